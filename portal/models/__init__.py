"""SQLAlchemy models, one module per aggregate."""

from portal.models.accounts import Role, User, UserSession, roles_users
from portal.models.api import ApiKey, Handoff
from portal.models.audit import AuditEvent
from portal.models.customers import (
    MARKETING_CHANNELS,
    Customer,
    MarketingChange,
    MarketingProhibition,
    MarketingSuppression,
)
from portal.models.history import Invoice, Order, Quote
from portal.models.outbox import OutboxMessage
from portal.models.provenance import DataSource, Disclosure
from portal.models.requests import (
    PrivacyRequest,
    ProcessingFlag,
    RecipientNotice,
    RequestEvent,
    RequestMessage,
)
from portal.models.settings import BrandLogo, ControllerSettings

__all__ = [
    "MARKETING_CHANNELS",
    "ApiKey",
    "AuditEvent",
    "BrandLogo",
    "ControllerSettings",
    "Customer",
    "DataSource",
    "Disclosure",
    "Handoff",
    "Invoice",
    "MarketingChange",
    "MarketingProhibition",
    "MarketingSuppression",
    "Order",
    "OutboxMessage",
    "PrivacyRequest",
    "ProcessingFlag",
    "Quote",
    "RecipientNotice",
    "RequestEvent",
    "RequestMessage",
    "Role",
    "User",
    "UserSession",
    "roles_users",
]
