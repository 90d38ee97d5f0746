"""La Pépinière: the short-circuit shop of a market-garden nursery."""

import contextlib
import os

from flask import Flask, has_request_context, render_template, request, session, url_for
from flask_babel import format_date, get_locale, lazy_gettext
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy import event
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import SecurityError
from werkzeug.routing import IntegerConverter

from config import CONFIGS

from .extensions import babel, csrf, db, limiter, login_manager, migrate
from .health import healthz
from .outbox import send_after_response
from .proxy import ProxyHeaders


def create_app(config_name=None, **overrides):
    """Build the application for a configuration name (default: FLASK_CONFIG or production).

    Production by default: a server started without FLASK_CONFIG gets the production checks,
    never DEBUG and the development secret.
    """
    config_name = config_name or os.environ.get("FLASK_CONFIG", "production")
    config_class = CONFIGS[config_name]
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder="../templates",
        static_folder="../static",
    )
    # Ids in addresses stay within database integers: a huge one is a 404, not a 500.
    app.url_map.converters["int"] = DatabaseIdConverter
    app.config.from_object(config_class)
    app.config.update(overrides)
    if hasattr(config_class, "complete"):
        config_class.complete(app.config)
    if hasattr(config_class, "check"):
        config_class.check(app.config)
    # A read-only install (code owned by root, the service's user writing only where it is told)
    # cannot create it: production keeps nothing there, its database, uploads and documents being
    # configured elsewhere, and a default that does point there fails with its own error.
    with contextlib.suppress(OSError):
        os.makedirs(app.instance_path, exist_ok=True)
    if app.config["TRUSTED_PROXIES"]:
        app.wsgi_app = ProxyHeaders(
            app.wsgi_app, app.config["TRUSTED_PROXIES"], app.config["PROXY_ADDRESSES"]
        )

    register_extensions(app)
    register_security_headers(app)
    register_blueprints(app)
    register_template_helpers(app)
    register_errorhandlers(app)
    register_commands(app)
    return app


class DatabaseIdConverter(IntegerConverter):
    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(url_map, *args, **kwargs)


def select_locale():
    from .formatting import babel_locale

    if not has_request_context():
        return None  # flask commands: the default locale (French)
    if current_user.is_authenticated and current_user.locale:
        return babel_locale(current_user.locale)
    return babel_locale(session.get("lang", "fr"))


def register_extensions(app):
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    if uri.startswith("sqlite"):
        # A file never drops the connection: no ping before each request's first query.
        options["pool_pre_ping"] = False
    elif uri.startswith("postgresql"):
        # A server that accepts and never answers costs a request this long, not forever.
        connect_args = dict(options.get("connect_args") or {})
        connect_args.setdefault("connect_timeout", app.config["DATABASE_CONNECT_TIMEOUT"])
        options["connect_args"] = connect_args
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    db.init_app(app)
    migrate.init_app(app, db)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "account.login"
    login_manager.login_message_category = "info"
    login_manager.login_message = lazy_gettext("Connectez-vous pour accéder à cette page.")

    from . import auth  # noqa: F401  (registers the user loader)

    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            event.listen(db.engine, "connect", _sqlite_pragmas)


def _sqlite_pragmas(dbapi_connection, _record):
    # WAL lets readers go on while an order is written; writers wait for each other
    # (busy_timeout) instead of failing at once.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.close()


def register_blueprints(app):
    from .account import bp as account_bp
    from .basket import bp as basket_bp
    from .books import bp as books_bp
    from .checkout import bp as checkout_bp
    from .groups import bp as groups_bp
    from .legal import bp as legal_bp
    from .ordering import bp as ordering_bp
    from .payments import bp as payments_bp
    from .season import bp as season_bp
    from .shop import bp as shop_bp
    from .sowing import bp as sowing_bp
    from .staff import bp as staff_bp
    from .standing import bp as standing_bp
    from .waitlist import bp as waitlist_bp

    app.register_blueprint(shop_bp)
    app.register_blueprint(basket_bp)
    app.register_blueprint(checkout_bp)
    app.register_blueprint(ordering_bp)
    app.register_blueprint(groups_bp)
    app.register_blueprint(legal_bp)
    app.register_blueprint(payments_bp)
    app.register_blueprint(waitlist_bp, url_prefix="/prevenez-moi")
    app.register_blueprint(account_bp, url_prefix="/compte")
    app.register_blueprint(staff_bp, url_prefix="/gestion")
    app.register_blueprint(books_bp, url_prefix="/gestion/comptabilite")
    app.register_blueprint(standing_bp, url_prefix="/compte/commandes-recurrentes")
    app.register_blueprint(season_bp, url_prefix="/gestion/saison")
    app.register_blueprint(sowing_bp, url_prefix="/gestion/semis")
    app.after_request(send_after_response)
    app.add_url_rule("/healthz", view_func=healthz)


def register_template_helpers(app):
    from .formatting import (
        format_cents,
        format_iso_date,
        format_vat_rate,
        format_when,
        in_locale,
        kind_label,
        shown_week_label,
        week_label_with_year,
    )
    from .links import page_path

    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.globals["page_path"] = page_path
    app.jinja_env.filters.update(
        money=format_cents,
        vat_rate=format_vat_rate,
        when=format_when,
        isodate=format_iso_date,
        date=format_date,
        in_locale=in_locale,
        week_label=shown_week_label,
        week_with_year=week_label_with_year,
        kind_label=kind_label,
    )

    @app.context_processor
    def inject_shop():
        basket = (session.get("basket") if has_request_context() else None) or {}
        return {
            "shop_name": app.config["SHOP_NAME"],
            # The page's language ("fr", "en"): the lang attribute and the language switch.
            "current_locale": get_locale().language,
            "basket_count": len(basket.get("items") or {}),  # lines, not units
        }


def register_errorhandlers(app):
    def error_page(error):
        status = getattr(error, "code", 500) or 500
        if status >= 500:
            db.session.rollback()
        if status == 429 and getattr(error, "response", None) is not None:
            return error.response  # the page of the limit that was hit (checkout/limits.py)
        template = status if status in (403, 404, 500) else "generic"
        return render_template(f"errors/{template}.html", error=error, status=status), status

    for status in (400, 403, 404, 405, 413, 429, 500):
        app.register_error_handler(status, error_page)

    @app.errorhandler(OperationalError)
    def database_unavailable(error):
        # The database does not answer (or a deadlock outlived its retries): a page that says
        # so, rendered without the context processors (they would ask the database again).
        app.logger.error("database unavailable on %s: %s", request.path, error.orig)
        page = app.jinja_env.get_template("errors/503.html").render(
            shop_name=app.config["SHOP_NAME"],
            stylesheet=url_for("static", filename="css/style.css"),
            home=url_for("shop.home"),
        )
        return page, 503, {"Retry-After": "30"}

    @app.errorhandler(SecurityError)
    def untrusted_host(error):
        # Plain text: without a trusted host there is no URL adapter to build the page's links.
        return "Bad Request: unknown host.", 400, {"Content-Type": "text/plain; charset=utf-8"}

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return render_template("errors/csrf.html", status=400), 400


def register_security_headers(app):
    from .security import register_input_guard, register_security_headers

    register_security_headers(app)
    register_input_guard(app)


def register_commands(app):
    from .cli import register

    register(app)
