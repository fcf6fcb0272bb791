"""SQLAlchemy models, one module per aggregate."""

from portal.models.accounts import Role, User, UserSession, roles_users
from portal.models.audit import AuditEvent
from portal.models.customers import MARKETING_CHANNELS, Customer, MarketingProhibition
from portal.models.history import Invoice, Order, Quote
from portal.models.outbox import OutboxMessage
from portal.models.provenance import DataSource, Disclosure
from portal.models.settings import ControllerSettings

__all__ = [
    "MARKETING_CHANNELS",
    "AuditEvent",
    "ControllerSettings",
    "Customer",
    "DataSource",
    "Disclosure",
    "Invoice",
    "MarketingProhibition",
    "Order",
    "OutboxMessage",
    "Quote",
    "Role",
    "User",
    "UserSession",
    "roles_users",
]
