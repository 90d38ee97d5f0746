"""Configuration classes. Every value can be set from the environment."""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"
DEV_SECRET_KEY = "dev-only-not-secret"  # noqa: S105  (refused by ProductionConfig.check)


def _env_int(name, default):
    return int(os.environ.get(name, default))


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY", DEV_SECRET_KEY)
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'boutique.sqlite'}"
    )
    # A dropped server connection (PostgreSQL restarted) is replaced before use.
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}

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
    PHOTO_MAX_BYTES = 5 * 1024 * 1024
    # Above the photo limit so that the form, not the server, explains a too-big file.
    MAX_CONTENT_LENGTH = 8 * 1024 * 1024

    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = True
    AUTH_RATE_LIMIT = os.environ.get("AUTH_RATE_LIMIT", "10 per minute")

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

    PASSWORD_RESET_MAX_AGE = _env_int("PASSWORD_RESET_MAX_AGE", 3600)
    # Seconds a handover link (the QR code on an order's label) stays valid: 60 days.
    HANDOVER_LINK_MAX_AGE = _env_int("HANDOVER_LINK_MAX_AGE", 60 * 24 * 3600)
    # Minutes after a slot's end before staff may mark an order as not collected.
    NO_SHOW_GRACE_MINUTES = _env_int("NO_SHOW_GRACE_MINUTES", 60)
    SHOP_NAME = os.environ.get("SHOP_NAME", "La Pépinière")
    # Address of the shop for links in mails sent outside a request (flask commands).
    PUBLIC_URL = os.environ.get("PUBLIC_URL", "http://127.0.0.1:5000")

    # The seller printed on invoices (copied into each invoice when it is issued).
    SELLER_NAME = os.environ.get("SELLER_NAME", "Association La Pépinière")
    SELLER_ADDRESS = os.environ.get("SELLER_ADDRESS", "Chemin des Jardins, 84000 Avignon")
    SELLER_SIRET = os.environ.get("SELLER_SIRET", "12345678900011")
    # Empty: the association is not registered for VAT; SELLER_VAT_EXEMPTION is printed instead.
    SELLER_VAT_NUMBER = os.environ.get("SELLER_VAT_NUMBER", "FR32123456789")
    SELLER_VAT_EXEMPTION = os.environ.get("SELLER_VAT_EXEMPTION", "")
    INVOICE_DUE_DAYS = _env_int("INVOICE_DUE_DAYS", 30)
    LATE_PAYMENT_RATE = os.environ.get("LATE_PAYMENT_RATE", "trois fois le taux d'intérêt légal")
    RECOVERY_INDEMNITY_EUROS = _env_int("RECOVERY_INDEMNITY_EUROS", 40)

    # Card payments (boutique/payments/gateway.py). STRIPE_API_BASE is only for tests
    # (localstripe); unset, the stripe library uses Stripe's own address.
    STRIPE_SECRET_KEY = os.environ.get("STRIPE_SECRET_KEY", "")
    STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET", "")
    STRIPE_API_BASE = os.environ.get("STRIPE_API_BASE") or None
    # Without Stripe keys, card payment goes to the shop's own demo page (never in production).
    PAYMENT_DEMO = True
    # Minutes a card order holds its stock and slot while the customer pays.
    PAYMENT_HOLD_MINUTES = _env_int("PAYMENT_HOLD_MINUTES", 30)
    # Card authorisations lapse after about 7 days: capture-due acts on those older than this.
    CARD_AUTHORISATION_DAYS = _env_int("CARD_AUTHORISATION_DAYS", 6)

    # How many reverse proxies stand in front (nginx: 1). Their X-Forwarded-* headers are then
    # believed for the client's address, the scheme and the host; 0 trusts none.
    TRUSTED_PROXIES = _env_int("TRUSTED_PROXIES", 0)

    # Minutes after a password was typed during which sensitive staff actions (accounts, roles,
    # approvals, exports of personal data, refunds) go through without asking for it again.
    RECENT_LOGIN_MINUTES = _env_int("RECENT_LOGIN_MINUTES", 30)

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True


class DevelopmentConfig(Config):
    DEBUG = True
    MAIL_BACKEND = os.environ.get("MAIL_BACKEND", "file")


class TestingConfig(Config):
    TESTING = True
    SECRET_KEY = "testing-secret"  # noqa: S105
    SQLALCHEMY_DATABASE_URI = "sqlite://"
    WTF_CSRF_ENABLED = False
    RATELIMIT_ENABLED = False
    RATELIMIT_STORAGE_URI = "memory://"
    MAIL_BACKEND = "smtp"
    MAIL_SERVER = "127.0.0.1"
    MAIL_PORT = 0  # tests point this at their own SMTP server
    # Fast hashing: tests create many accounts. Not a secret.
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"  # noqa: S105


class ProductionConfig(Config):
    PAYMENT_DEMO = False
    # Served over HTTPS behind the reverse proxy: browsers must never come back in plain HTTP.
    HSTS_ENABLED = True
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    PREFERRED_URL_SCHEME = "https"

    @classmethod
    def check(cls, config):
        """Refuse to start with settings that are only fit for development."""
        if not config.get("SECRET_KEY") or config["SECRET_KEY"] == DEV_SECRET_KEY:
            raise RuntimeError("SECRET_KEY must be set to a long random value in production.")
        if len(config["SECRET_KEY"]) < 24:
            raise RuntimeError("SECRET_KEY is too short for production (24 characters at least).")
        if config.get("PAYMENT_DEMO"):
            raise RuntimeError("The demo payment page cannot run in production.")
        if not config.get("STRIPE_SECRET_KEY") or not config.get("STRIPE_WEBHOOK_SECRET"):
            raise RuntimeError(
                "STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET must be set in production."
            )


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}
