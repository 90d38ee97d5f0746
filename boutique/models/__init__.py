"""Database models. Money is integer cents; datetimes are timezone-aware UTC.

Split by feature; import them from here (`from boutique.models import Order`).
"""

from .accounts import AccountEvent, User
from .base import (
    CUSTOMER_KINDS,
    PRO_KINDS,
    ROLES,
    VAT_RATES,
    UTCDateTime,
    utcnow,
)
from .catalog import Category, Offer, Product, SalesWeek
from .groups import (
    GROUP_STATUSES,
    MEMBER_PAYMENT_METHODS,
    GroupMember,
    GroupMemberLine,
    GroupOrder,
)
from .invoices import INVOICE_KINDS, Invoice, InvoiceCounter
from .legal import LEGAL_SLUGS, CashJournalEntry, LegalPage
from .orders import (
    COLLECTIBLE_STATUSES,
    OPEN_STATUSES,
    ORDER_STATUSES,
    PAYMENT_KINDS,
    PAYMENT_METHODS,
    CashClosing,
    DocumentJob,
    Order,
    OrderEvent,
    OrderLine,
    OutboxMessage,
    Payment,
    PickupPoint,
    PickupSlot,
    SlotTemplate,
)
from .payments import CARD_STATUSES, CardPayment, DemoIntent, WebhookEvent
from .season import (
    WAITLIST_END_REASONS,
    CropPlan,
    ForecastOverride,
    SeasonCharge,
    SownLot,
    WaitlistEntry,
)
from .standing import StandingOrder, StandingOrderLine, StandingPlacement

__all__ = [
    "COLLECTIBLE_STATUSES",
    "AccountEvent",
    "CashClosing",
    "CashJournalEntry",
    "DocumentJob",
    "CARD_STATUSES",
    "CardPayment",
    "DemoIntent",
    "WebhookEvent",
    "CUSTOMER_KINDS",
    "CropPlan",
    "ForecastOverride",
    "GROUP_STATUSES",
    "GroupMember",
    "GroupMemberLine",
    "GroupOrder",
    "INVOICE_KINDS",
    "LEGAL_SLUGS",
    "LegalPage",
    "MEMBER_PAYMENT_METHODS",
    "OPEN_STATUSES",
    "ORDER_STATUSES",
    "PAYMENT_KINDS",
    "PAYMENT_METHODS",
    "PRO_KINDS",
    "ROLES",
    "VAT_RATES",
    "Category",
    "Invoice",
    "InvoiceCounter",
    "Offer",
    "Order",
    "OrderEvent",
    "OrderLine",
    "OutboxMessage",
    "Payment",
    "PickupPoint",
    "PickupSlot",
    "Product",
    "SalesWeek",
    "SeasonCharge",
    "SlotTemplate",
    "SownLot",
    "StandingOrder",
    "StandingOrderLine",
    "StandingPlacement",
    "UTCDateTime",
    "User",
    "WAITLIST_END_REASONS",
    "WaitlistEntry",
    "utcnow",
]
