"""Configuration classes. Every value can be set from the environment."""

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"
DEV_SECRET_KEY = "dev-only-not-secret"  # noqa: S105  (refused by ProductionConfig.check)


def _env_int(name, default):
    return int(os.environ.get(name, default))


def _env_list(name, default=""):
    """A comma-separated variable as a list of its non-empty items."""
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


class Config:
    # Production settings and checks (flask demo-data refuses to run there).
    PRODUCTION = False
    SECRET_KEY = os.environ.get("SECRET_KEY", DEV_SECRET_KEY)
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'boutique.sqlite'}"
    )
    # A dropped server connection (PostgreSQL restarted) is replaced before use.
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    # Seconds before connecting to PostgreSQL gives up (libpq counts at least 2).
    DATABASE_CONNECT_TIMEOUT = _env_int("DATABASE_CONNECT_TIMEOUT", 5)

    BABEL_DEFAULT_LOCALE = "fr"
    BABEL_DEFAULT_TIMEZONE = "Europe/Paris"
    LANGUAGES = ("fr", "en")

    # Uploaded product photos (originals re-encoded and thumbnails).
    UPLOAD_FOLDER = os.environ.get("UPLOAD_FOLDER", str(INSTANCE_DIR / "uploads"))
    # Rendered PDFs and label QR codes, reused while what they show is unchanged (shared by
    # every worker: a shared volume when several hosts serve).
    DOCUMENT_CACHE_FOLDER = os.environ.get(
        "DOCUMENT_CACHE_FOLDER", str(INSTANCE_DIR / "cache" / "documents")
    )
    DOCUMENT_CACHE_MAX_AGE = _env_int("DOCUMENT_CACHE_MAX_AGE", 7 * 24 * 3600)
    # A PDF not rendered yet is rendered by the worker (`flask outbox worker`) while staff see
    # the printable page, which reloads every DOCUMENTS_REFRESH_SECONDS until the PDF is there.
    # Off: rendered in the request (development and tests, where no worker runs).
    DOCUMENTS_IN_BACKGROUND = os.environ.get("DOCUMENTS_IN_BACKGROUND", "0") == "1"
    DOCUMENTS_REFRESH_SECONDS = _env_int("DOCUMENTS_REFRESH_SECONDS", 5)
    PHOTO_MAX_BYTES = 5 * 1024 * 1024
    # Above the photo limit so that the form, not the server, explains a too-big file.
    MAX_CONTENT_LENGTH = 8 * 1024 * 1024

    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = True
    AUTH_RATE_LIMIT = os.environ.get("AUTH_RATE_LIMIT", "10 per minute")
    # Orders placed from the storefront ("Commander") per client network (IPv6: its /64).
    # Only placed orders count; a refused basket does not. Several limits: "20 per hour;60 per day".
    # A hit is counted once the order exists, so requests arriving at the same moment all pass:
    # a burst may overshoot this limit and the email one by up to (workers × threads − 1).
    ORDER_RATE_LIMIT = os.environ.get("ORDER_RATE_LIMIT", "20 per hour")
    # Orders placed per email address given at checkout, from any network: one person cannot
    # fill the week, nor have the shop mail someone else's address again and again.
    ORDER_EMAIL_RATE_LIMIT = os.environ.get("ORDER_EMAIL_RATE_LIMIT", "5 per hour")
    # Highest total (cents) of an order paid on pick-up by a guest or an account whose email is
    # not verified; above it: card payment, or a verified account. 0 refuses every such order.
    UNPAID_ORDER_CAP_CENTS = _env_int("UNPAID_ORDER_CAP_CENTS", 15000)
    # Card orders waiting for their payment hold stock and a place (PAYMENT_HOLD_MINUTES + 5):
    # a guest or unverified account may have this many at once per client network, and one per
    # email (a new card order releases that email's unpaid one). Verified accounts and staff are
    # not counted; 0 turns the per-network count off. Customers sharing one address (mobile
    # CGNAT) are held back only while that many of their card orders are unpaid at once (a
    # payment page open, or left, until its hold ends); they may still pay on pick-up.
    PENDING_CARD_HOLDS_PER_CONNECTION = _env_int("PENDING_CARD_HOLDS_PER_CONNECTION", 3)
    # Changes sent from customers' order pages per client network (each one may mail).
    ORDER_CHANGE_RATE_LIMIT = os.environ.get("ORDER_CHANGE_RATE_LIMIT", "20 per hour")
    # A customer's changes to one order send at most one "order changed" mail per this many
    # minutes; later ones show on the order page and in the next mail (e.g. the confirmation).
    ORDER_CHANGE_MAIL_MINUTES = _env_int("ORDER_CHANGE_MAIL_MINUTES", 10)
    # "Prévenez-moi" sign-ups per client network, and products one address may wait for.
    WAITLIST_RATE_LIMIT = os.environ.get("WAITLIST_RATE_LIMIT", "20 per hour")
    WAITLIST_MAX_PER_ADDRESS = _env_int("WAITLIST_MAX_PER_ADDRESS", 20)
    # Failed logins on one account, from any address, before its login locks for the window.
    LOGIN_ACCOUNT_LIMIT = os.environ.get("LOGIN_ACCOUNT_LIMIT", "10 per 15 minutes")
    # When the shared storage (Redis) fails, log it and let the request through, each
    # worker counting in its own memory meanwhile; never answer 500 for it.
    RATELIMIT_SWALLOW_ERRORS = True
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    # A Redis that accepts and never answers must not hold a page: give up fast.
    RATELIMIT_STORAGE_OPTIONS = {"socket_connect_timeout": 1, "socket_timeout": 1}

    # Mail: "smtp" delivers through MAIL_SERVER; "file" writes .eml files to MAIL_FILE_DIR.
    MAIL_BACKEND = os.environ.get("MAIL_BACKEND", "smtp")
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "127.0.0.1")
    MAIL_PORT = _env_int("MAIL_PORT", 25)
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_USE_TLS = os.environ.get("MAIL_USE_TLS", "0") == "1"
    MAIL_DEFAULT_SENDER = os.environ.get(
        "MAIL_DEFAULT_SENDER", "La Pépinière <boutique@lapepiniere.example>"
    )
    MAIL_FILE_DIR = os.environ.get("MAIL_FILE_DIR", str(INSTANCE_DIR / "mails"))
    # Seconds an SMTP server may take to answer before the outbox tries it again later.
    MAIL_TIMEOUT = _env_int("MAIL_TIMEOUT", 5)
    # Deliver a request's mails in its own process once the response has gone. Off in
    # production: a slow SMTP server would hold the worker; `flask outbox worker` sends them.
    OUTBOX_SEND_AFTER_RESPONSE = False
    # Seconds `flask outbox worker` sleeps when nothing is due.
    OUTBOX_POLL_SECONDS = _env_int("OUTBOX_POLL_SECONDS", 5)

    PASSWORD_RESET_MAX_AGE = _env_int("PASSWORD_RESET_MAX_AGE", 3600)
    # Seconds the link mailed to a new team account (to choose its password) stays valid.
    STAFF_WELCOME_MAX_AGE = _env_int("STAFF_WELCOME_MAX_AGE", 72 * 3600)
    # Seconds the link mailed at registration stays valid.
    EMAIL_VERIFY_MAX_AGE = _env_int("EMAIL_VERIFY_MAX_AGE", 7 * 24 * 3600)
    # Password hashes: argon2id at OWASP's parameters (19 MiB, 2 iterations).
    ARGON2_TIME_COST = _env_int("ARGON2_TIME_COST", 2)
    ARGON2_MEMORY_KIB = _env_int("ARGON2_MEMORY_KIB", 19 * 1024)
    # Seconds a handover link (the QR code on an order's label) stays valid: 60 days.
    HANDOVER_LINK_MAX_AGE = _env_int("HANDOVER_LINK_MAX_AGE", 60 * 24 * 3600)
    # Minutes after a slot's end before staff may mark an order as not collected.
    NO_SHOW_GRACE_MINUTES = _env_int("NO_SHOW_GRACE_MINUTES", 60)
    SHOP_NAME = os.environ.get("SHOP_NAME", "La Pépinière")
    # Shown where a customer is told to call (an order refused by a limit); empty: not shown.
    SHOP_PHONE = os.environ.get("SHOP_PHONE", "")
    # The shop's public address: every absolute link (mails, .ics, QR codes, payment returns)
    # is built from it, never from the request's Host (boutique/links.py).
    PUBLIC_URL = os.environ.get("PUBLIC_URL", "http://127.0.0.1:5000")
    # Host names requests may carry (Flask answers 400 to others). None: any host, for
    # development; production trusts PUBLIC_URL's host plus the TRUSTED_HOSTS list.
    TRUSTED_HOSTS = None

    # The seller printed on invoices (copied into each invoice when it is issued).
    SELLER_NAME = os.environ.get("SELLER_NAME", "Association La Pépinière")
    SELLER_ADDRESS = os.environ.get("SELLER_ADDRESS", "Chemin des Jardins, 84000 Avignon")
    SELLER_SIRET = os.environ.get("SELLER_SIRET", "12345678900011")
    # Empty: the association is not registered for VAT; SELLER_VAT_EXEMPTION is printed instead.
    SELLER_VAT_NUMBER = os.environ.get("SELLER_VAT_NUMBER", "FR32123456789")
    SELLER_VAT_EXEMPTION = os.environ.get(
        "SELLER_VAT_EXEMPTION", "TVA non applicable, art. 293 B du CGI"
    )
    # VAT-free mode (an association outside VAT): order lines are frozen at 0 %, invoices carry
    # no VAT and print SELLER_VAT_EXEMPTION. Unset: on when SELLER_VAT_NUMBER is empty.
    VAT_EXEMPT = (
        os.environ["VAT_EXEMPT"] not in ("", "0") if os.environ.get("VAT_EXEMPT") else None
    )
    # The books (sales journal, FEC): the chart of accounts, per VAT rate in basis points
    # (0: sales in VAT-free mode). Each one may be set by environment, e.g. ACCOUNT_SALES_550.
    ACCOUNT_CUSTOMERS = os.environ.get("ACCOUNT_CUSTOMERS", "411000")
    ACCOUNT_SALES = {
        rate: os.environ.get(f"ACCOUNT_SALES_{rate}", default)
        for rate, default in ((0, "701000"), (550, "701055"), (1000, "701100"), (2000, "701200"))
    }
    ACCOUNT_VAT = {
        rate: os.environ.get(f"ACCOUNT_VAT_{rate}", default)
        for rate, default in ((550, "445711"), (1000, "445712"), (2000, "445713"))
    }
    FEC_JOURNAL_CODE = os.environ.get("FEC_JOURNAL_CODE", "VT")
    FEC_JOURNAL_LABEL = os.environ.get("FEC_JOURNAL_LABEL", "Ventes")
    INVOICE_DUE_DAYS = _env_int("INVOICE_DUE_DAYS", 30)
    # Professionals may choose to pay by invoice (transfer); "0" takes the choice away.
    INVOICE_PAYMENT = os.environ.get("INVOICE_PAYMENT", "1") != "0"
    # The account transfers are paid into, printed on invoices, order pages and mails (with the
    # invoice number as the payment reference). Production refuses to start without them while
    # INVOICE_PAYMENT is on.
    BANK_IBAN = os.environ.get("BANK_IBAN", "")
    BANK_BIC = os.environ.get("BANK_BIC", "")
    BANK_ACCOUNT_HOLDER = os.environ.get("BANK_ACCOUNT_HOLDER", "")
    LATE_PAYMENT_RATE = os.environ.get("LATE_PAYMENT_RATE", "trois fois le taux d'intérêt légal")
    RECOVERY_INDEMNITY_EUROS = _env_int("RECOVERY_INDEMNITY_EUROS", 40)
    # Insertion workshops ("ateliers et chantiers d'insertion") may cover at most this share of
    # their charges with commercial sales: the season dashboard shows the year's share against it.
    INSERTION_SALES_CAP_PERCENT = _env_int("INSERTION_SALES_CAP_PERCENT", 30)

    # Plant passports (Regulation (EU) 2016/2031): the operator's registration number with the
    # plant health service (part B, e.g. "FR-84-00123") and the plants' country of origin
    # (part D). Empty: the dashboard warns staff while a product is a plant for planting.
    PLANT_PASSPORT_OPERATOR = os.environ.get("PLANT_PASSPORT_OPERATOR", "")
    PLANT_PASSPORT_COUNTRY = os.environ.get("PLANT_PASSPORT_COUNTRY", "FR")

    # Card payments (boutique/payments/gateway.py). STRIPE_API_BASE is only for tests
    # (localstripe); unset, the stripe library uses Stripe's own address.
    STRIPE_SECRET_KEY = os.environ.get("STRIPE_SECRET_KEY", "")
    STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET", "")
    STRIPE_API_BASE = os.environ.get("STRIPE_API_BASE") or None
    # Seconds before a call to Stripe gives up (a customer or the webhook is waiting).
    STRIPE_TIMEOUT = _env_int("STRIPE_TIMEOUT", 10)
    # A page view's side questions to Stripe (are lapsed holds paid, the return from the payment
    # page) give up sooner, and after one went unanswered page views stop asking for a while.
    STRIPE_PAGE_TIMEOUT = _env_int("STRIPE_PAGE_TIMEOUT", 3)
    STRIPE_PAGE_PAUSE = _env_int("STRIPE_PAGE_PAUSE", 60)
    # Without Stripe keys, card payment goes to the shop's own demo page (never in production).
    PAYMENT_DEMO = True
    # Minutes a card order holds its stock and slot while the customer pays.
    PAYMENT_HOLD_MINUTES = _env_int("PAYMENT_HOLD_MINUTES", 30)
    # Card authorisations lapse after about 7 days: capture-due acts on those older than this.
    CARD_AUTHORISATION_DAYS = _env_int("CARD_AUTHORISATION_DAYS", 6)

    # How many reverse proxies stand in front (nginx: 1). Their X-Forwarded-For and
    # X-Forwarded-Proto are then believed (never X-Forwarded-Host), and only on connections
    # coming from PROXY_ADDRESSES (addresses or networks); 0 trusts none.
    TRUSTED_PROXIES = _env_int("TRUSTED_PROXIES", 0)
    PROXY_ADDRESSES = _env_list("PROXY_ADDRESSES", "127.0.0.1,::1")

    # Minutes after a password was typed during which sensitive staff actions (accounts, roles,
    # approvals, exports of personal data, refunds) go through without asking for it again.
    RECENT_LOGIN_MINUTES = _env_int("RECENT_LOGIN_MINUTES", 30)

    # Personal data kept no longer than needed (`flask privacy purge`, daily): guest orders'
    # contact data, secret links and every order's note go this many days after pick-up
    # (three years by default: the plant passport register names the buyer that long); sent
    # mails (and undelivered ones staff dealt with) leave the outbox after PRIVACY_OUTBOX_DAYS.
    PRIVACY_ORDER_DAYS = _env_int("PRIVACY_ORDER_DAYS", 1096)
    PRIVACY_OUTBOX_DAYS = _env_int("PRIVACY_OUTBOX_DAYS", 90)

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    # "Rester connecté" (customers only; staff never get it) lasts a month, not a year.
    REMEMBER_COOKIE_DURATION = timedelta(days=_env_int("REMEMBER_COOKIE_DAYS", 30))


# An example account (a valid IBAN of no real account) for development and tests.
EXAMPLE_BANK = {
    "BANK_IBAN": "FR76 3000 6000 0112 3456 7890 189",
    "BANK_BIC": "AGRIFRPP",
    "BANK_ACCOUNT_HOLDER": "Association La Pépinière",
}


class DevelopmentConfig(Config):
    DEBUG = True
    BANK_IBAN = os.environ.get("BANK_IBAN", EXAMPLE_BANK["BANK_IBAN"])
    BANK_BIC = os.environ.get("BANK_BIC", EXAMPLE_BANK["BANK_BIC"])
    BANK_ACCOUNT_HOLDER = os.environ.get("BANK_ACCOUNT_HOLDER", EXAMPLE_BANK["BANK_ACCOUNT_HOLDER"])
    MAIL_BACKEND = os.environ.get("MAIL_BACKEND", "file")
    OUTBOX_SEND_AFTER_RESPONSE = True
    # An example registration number (not a real operator's) so demo labels show a passport.
    PLANT_PASSPORT_OPERATOR = os.environ.get("PLANT_PASSPORT_OPERATOR", "FR-84-00123")


class TestingConfig(Config):
    TESTING = True
    BANK_IBAN = EXAMPLE_BANK["BANK_IBAN"]
    BANK_BIC = EXAMPLE_BANK["BANK_BIC"]
    BANK_ACCOUNT_HOLDER = EXAMPLE_BANK["BANK_ACCOUNT_HOLDER"]
    SECRET_KEY = "testing-secret"  # noqa: S105
    SQLALCHEMY_DATABASE_URI = "sqlite://"
    WTF_CSRF_ENABLED = False
    RATELIMIT_ENABLED = False
    RATELIMIT_STORAGE_URI = "memory://"
    MAIL_BACKEND = "smtp"
    MAIL_SERVER = "127.0.0.1"
    MAIL_PORT = 0  # tests point this at their own SMTP server
    # Like development: the tests see a request's mail arrive once its response is closed.
    OUTBOX_SEND_AFTER_RESPONSE = True
    PUBLIC_URL = "http://localhost"  # where the test client's requests go
    PLANT_PASSPORT_OPERATOR = "FR-84-00123"
    # Fast hashing: tests create many accounts.
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_KIB = 64


class ProductionConfig(Config):
    PRODUCTION = True
    PAYMENT_DEMO = False
    # No default address: links must never point at a development one.
    PUBLIC_URL = os.environ.get("PUBLIC_URL", "")
    # Other host names the shop answers to (comma-separated), besides PUBLIC_URL's.
    TRUSTED_HOSTS = _env_list("TRUSTED_HOSTS")
    # The worker renders the big PDFs: no request waits half a minute for WeasyPrint.
    DOCUMENTS_IN_BACKGROUND = os.environ.get("DOCUMENTS_IN_BACKGROUND", "1") == "1"
    # Served over HTTPS behind the reverse proxy: browsers must never come back in plain HTTP.
    HSTS_ENABLED = True
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    PREFERRED_URL_SCHEME = "https"

    @classmethod
    def complete(cls, config):
        """Trust PUBLIC_URL's host name, and the TRUSTED_HOSTS listed besides it."""
        host = urlsplit(config.get("PUBLIC_URL") or "").hostname
        extra = config.get("TRUSTED_HOSTS") or []
        if isinstance(extra, str):
            extra = [name.strip() for name in extra.split(",") if name.strip()]
        config["TRUSTED_HOSTS"] = list(dict.fromkeys([host, *extra] if host else extra))

    @classmethod
    def check(cls, config):
        """Refuse to start with settings that are only fit for development."""
        if not config.get("SECRET_KEY") or config["SECRET_KEY"] == DEV_SECRET_KEY:
            raise RuntimeError(
                "SECRET_KEY must be set to a long random value in production "
                "(production is the default: FLASK_CONFIG=development for a local run)."
            )
        if len(config["SECRET_KEY"]) < 24:
            raise RuntimeError("SECRET_KEY is too short for production (24 characters at least).")
        if config.get("PAYMENT_DEMO"):
            raise RuntimeError("The demo payment page cannot run in production.")
        if not config.get("STRIPE_SECRET_KEY") or not config.get("STRIPE_WEBHOOK_SECRET"):
            raise RuntimeError(
                "STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET must be set in production."
            )
        public = urlsplit(config.get("PUBLIC_URL") or "")
        if public.scheme != "https" or not public.hostname:
            raise RuntimeError(
                "PUBLIC_URL must be the shop's https address in production "
                "(e.g. https://boutique.lapepiniere.example): every link in mails is built from it."
            )
        if config.get("INVOICE_PAYMENT"):
            problem = bank_details_problem(config)
            if problem:
                raise RuntimeError(
                    f"{problem} Transfers are paid into this account (or set INVOICE_PAYMENT=0 "
                    "to stop offering payment by invoice)."
                )
        if (config.get("RATELIMIT_STORAGE_URI") or "memory://").startswith("memory://"):
            raise RuntimeError(
                "RATELIMIT_STORAGE_URI must name a shared storage in production "
                "(e.g. redis://127.0.0.1:6379/0): each process would count on its own."
            )


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def bank_details_problem(config):
    """Why BANK_IBAN, BANK_BIC and BANK_ACCOUNT_HOLDER cannot be printed for transfers, or ""."""
    from schwifty import BIC, IBAN
    from schwifty.exceptions import SchwiftyException

    missing = [name for name in ("BANK_IBAN", "BANK_BIC", "BANK_ACCOUNT_HOLDER") if not config.get(name)]
    if missing:
        return f"{', '.join(missing)} must be set in production."
    try:
        IBAN(config["BANK_IBAN"])
    except SchwiftyException as error:
        return f"BANK_IBAN is not a valid IBAN ({error})."
    try:
        BIC(config["BANK_BIC"])
    except SchwiftyException as error:
        return f"BANK_BIC is not a valid BIC ({error})."
    return ""
