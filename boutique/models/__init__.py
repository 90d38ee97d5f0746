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
from .invoices import INVOICE_KINDS, Invoice, InvoiceCounter
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

__all__ = [
    "COLLECTIBLE_STATUSES",
    "AccountEvent",
    "CashClosing",
    "DocumentJob",
    "CARD_STATUSES",
    "CardPayment",
    "DemoIntent",
    "WebhookEvent",
    "CUSTOMER_KINDS",
    "INVOICE_KINDS",
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
    "SlotTemplate",
    "UTCDateTime",
    "User",
    "utcnow",
]
