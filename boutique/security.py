"""Security headers on every response (DESIGN rule 8 and the deployment checklist).

The pages carry no script at all, inline or not; styles come from our own stylesheet. The
policy still names Stripe's page in `form-action`: "Commander" answers with a redirect to it,
and browsers apply form-action to the redirect of a form's submission.
"""

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self' https://checkout.stripe.com",
        "frame-ancestors 'none'",
    )
)
HSTS = "max-age=31536000; includeSubDomains"

# Pages with someone's orders, invoices, account or the back office: never kept by the browser
# (back button on a shared computer) or a cache on the way. Whole blueprints, so a new page
# is covered without thinking of it; checkout holds the customer's contact details.
NO_STORE_BLUEPRINTS = frozenset({"account", "checkout", "ordering", "payments", "staff"})
# Same blueprint, nothing personal: the documents' print stylesheet keeps its own caching.
CACHEABLE_ENDPOINTS = frozenset({"staff.documents_stylesheet"})


def register_security_headers(app):
    @app.after_request
    def add_security_headers(response):
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        # Order pages are secret links: never tell another site where the visitor came from.
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if app.config.get("HSTS_ENABLED"):
            headers.setdefault("Strict-Transport-Security", HSTS)
        return response

    @app.after_request
    def no_store_private_pages(response):
        from flask import request

        if request.blueprint in NO_STORE_BLUEPRINTS and request.endpoint not in CACHEABLE_ENDPOINTS:
            response.headers["Cache-Control"] = "no-store"
        return response


def _has_nul(values):
    return any("\x00" in value for value in values if isinstance(value, str))


def register_input_guard(app):
    """Refuse input with NUL characters before any view sees it.

    No form field has a use for them, and PostgreSQL refuses them in text: they would turn
    a typo or a probe into a server error. The signed webhook reads its raw body itself.
    """
    from flask import abort, request

    @app.before_request
    def refuse_nul_characters():
        if request.endpoint == "payments.stripe_webhook":
            return None
        if (
            _has_nul(request.args.values())
            or _has_nul((request.view_args or {}).values())
            or _has_nul(request.form.values())
        ):
            abort(400)
        return None
