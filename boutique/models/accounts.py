"""Accounts: customers (individuals, restaurants, AMAPs) and staff."""

import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..passwords import hash_password, verify_password
from .base import PRO_KINDS, UTCDateTime, utcnow


class User(UserMixin, db.Model):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default="customer")
    # Customer kind; None for staff accounts.
    kind: Mapped[str | None] = mapped_column(String(16))
    # For restaurants and AMAPs: pending until staff approve, then approved or refused.
    pro_status: Mapped[str | None] = mapped_column(String(16), index=True)
    first_name: Mapped[str] = mapped_column(String(80), default="")
    last_name: Mapped[str] = mapped_column(String(80), default="")
    phone: Mapped[str] = mapped_column(String(30), default="")
    organisation: Mapped[str] = mapped_column(String(160), default="")
    siret: Mapped[str | None] = mapped_column(String(14))
    address: Mapped[str] = mapped_column(String(255), default="")
    postcode: Mapped[str] = mapped_column(String(10), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    locale: Mapped[str] = mapped_column(String(5), default="fr")
    # The version of the terms of sale (TERMS_VERSION) last accepted: asked again when it changes.
    terms_version: Mapped[str] = mapped_column(String(20), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set when the owner followed the link mailed at registration.
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Part of every session and remember-me cookie: bumping it ends them all at once
    # (logout, password change or reset, role change, deactivation).
    session_version: Mapped[int] = mapped_column(default=0)
    # A disabled account cannot log in; its sessions end.
    active: Mapped[bool] = mapped_column(default=True)
    # Staff accounts: when an admin last created, re-roled, disabled or enabled it.
    access_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Deleted at its owner's request (RGPD): personal data erased, the row kept for the orders
    # and invoices that refer to it.
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        CheckConstraint("role IN ('customer', 'gate', 'staff', 'admin')", name="role"),
        CheckConstraint(
            "kind IS NULL OR kind IN ('individual', 'restaurant', 'amap')", name="kind"
        ),
    )

    def get_id(self):
        """Flask-Login's id: the account, its session version (bumping it ends every session),
        and a random part so that each login's remember-me cookie is a new value."""
        return f"{self.id}:{self.session_version}:{secrets.token_hex(8)}"

    @property
    def is_active(self):
        return self.active

    def end_sessions(self):
        """Make every session and remember-me cookie of this account invalid."""
        self.session_version = (self.session_version or 0) + 1

    def set_password(self, password):
        self.password_hash = hash_password(password)

    def check_password(self, password):
        return verify_password(self.password_hash, password)

    @property
    def is_staff(self):
        """Runs the week: everything but accounts, approvals and personal-data exports."""
        return self.role in ("staff", "admin")

    @property
    def is_admin(self):
        return self.role == "admin"

    @property
    def works_at_gate(self):
        """May use the handover pages (the gate role sees nothing else)."""
        return self.role in ("gate", "staff", "admin")

    @property
    def email_verified(self):
        return self.email_verified_at is not None

    @property
    def is_professional(self):
        return self.kind in PRO_KINDS

    @property
    def is_approved_professional(self):
        return self.is_professional and self.pro_status == "approved"

    @property
    def price_kind(self):
        """The price list this account sees: professional prices only once approved."""
        return self.kind if self.is_approved_professional else "individual"

    @property
    def display_name(self):
        full = f"{self.first_name} {self.last_name}".strip()
        if self.is_professional and self.organisation:
            return self.organisation
        return full or self.email


class AccountEvent(db.Model):
    """An account's history: who approved, refused or revoked a professional account, and when.

    The actor is kept as a label ("équipe <email>", "client", "système") besides its id, so the
    line still reads right once the staff account is gone.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    actor_label: Mapped[str] = mapped_column(String(254))
    action: Mapped[str] = mapped_column(String(40))
    details: Mapped[dict] = mapped_column(JSON, default=dict)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
