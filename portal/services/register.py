"""What the register holds, described once for the 'My data' page and the privacy statement."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from flask_babel import get_locale

from portal.i18n import lazy_gettext as _l
from portal.models import MARKETING_CHANNELS, ControllerSettings, Customer
from portal.models.requests import OPEN_STATUSES


@dataclass(frozen=True)
class Field:
    """One field of a customer's register entry and its label."""

    name: str
    label: object


@dataclass(frozen=True)
class Category:
    """A group of fields shown together."""

    key: str
    title: object
    fields: tuple[Field, ...]

    def labels_in_sentence(self) -> str:
        """The fields' labels as a list inside a sentence: 'first name, last name, ...'."""
        return ", ".join(in_sentence(field.label) for field in self.fields)


DATA_CATEGORIES: tuple[Category, ...] = (
    Category("identity", _l("Name and contact details"), (
        Field("first_name", _l("First name")),
        Field("last_name", _l("Last name")),
        Field("email", _l("Email address")),
        Field("phone", _l("Phone number")),
        Field("street_address", _l("Street address")),
        Field("postal_code", _l("Postal code")),
        Field("city", _l("City")),
        Field("country", _l("Country")),
        Field("language", _l("Preferred language")),
    )),
    Category("organisation", _l("Organisation you represent"), (
        Field("organisation", _l("Organisation")),
        Field("position", _l("Position")),
        Field("business_id", _l("Business ID (Y-tunnus)")),
        Field("website", _l("Website")),
        Field("is_contact_person", _l("Company contact person")),
    )),
    Category("billing", _l("Billing details"), (
        Field("billing_address", _l("Billing address")),
        Field("e_invoice_address", _l("E-invoice address")),
        Field("e_invoice_operator", _l("E-invoice operator")),
    )),
    Category("technical", _l("Technical customer data"), (
        Field("ip_address", _l("IP address")),
        Field("technical_data", _l("Other technical data")),
    )),
)

MARKETING_LABELS = {
    "direct_advertising": _l("Direct advertising"),
    "distance_selling": _l("Distance selling"),
    "direct_marketing": _l("Direct marketing"),
    "market_research": _l("Market and opinion research"),
    "catalogues": _l("Publication in catalogues and on mailing labels"),
}

SOURCE_LABELS = {
    "registration": _l("Your own registration"),
    "shop_purchase": _l("A purchase in our shop"),
    "webshop_purchase": _l("A purchase in our web shop"),
    "reseller": _l("A purchase from a reseller"),
    "customer_notice": _l("Information you gave us during the customer relationship"),
    "address_service": _l("Name and address update service"),
    "subcontractor": _l("A subcontractor providing the service"),
}

RECIPIENT_LABELS = {
    "credit_check": _l("Credit decision"),
    "debt_collection": _l("Debt collection"),
    "billing": _l("Billing"),
    "authority": _l("Legal obligation to an authority"),
    "service_provider": _l("Service provided on our behalf"),
}

INVOICE_STATUS_LABELS = {
    "open": _l("Open"),
    "paid": _l("Paid"),
    "collection": _l("In debt collection"),
}

QUOTE_STATUS_LABELS = {
    "sent": _l("Sent"),
    "accepted": _l("Accepted"),
    "declined": _l("Declined"),
    "expired": _l("Expired"),
}

LANGUAGE_LABELS = {"fi": "suomi", "en": "English"}

@dataclass(frozen=True)
class ShownField:
    """A field's label and the value as shown to the customer."""

    label: object
    value: object


def field_values(customer: Customer, category: Category) -> list[ShownField]:
    """The fields of one category with the customer's values."""
    shown = []
    for field in category.fields:
        value = getattr(customer, field.name)
        if field.name == "language":
            value = LANGUAGE_LABELS.get(value, value)
        elif field.name == "country" and value:
            value = get_locale().territories.get(value, value)
        shown.append(ShownField(field.label, value))
    return shown


@dataclass(frozen=True)
class CategoryView:
    """One category as 'My data' shows it: the recorded fields, then the empty ones in a line."""

    category: Category
    recorded: tuple[ShownField, ...]
    not_recorded: tuple[str, ...]


def category_view(customer: Customer, category: Category) -> CategoryView:
    """Split a category's fields into those with a value and the labels of the empty ones."""
    shown = field_values(customer, category)
    empty = [f for f in shown if f.value is None or f.value == ""]
    return CategoryView(category, tuple(f for f in shown if f not in empty),
                        tuple(in_sentence(f.label) for f in empty))


_FIRST_WORD = re.compile(r"[^\s-]+")


def in_sentence(label) -> str:
    """A label as it reads mid-sentence: 'Website' -> 'website', but 'IP address' stays."""
    text = str(label)
    first = _FIRST_WORD.match(text)
    if not text or (first and first.group().isupper()):
        return text
    return text[0].lower() + text[1:]


@dataclass(frozen=True)
class InvoiceDue:
    """An unpaid invoice: open or in debt collection."""

    number: str
    due_on: date
    status: str


@dataclass(frozen=True)
class OpenRequest:
    """A request still waiting for a decision, and when the answer is due."""

    reference: str | None
    kind: str
    due_on: date
    extended: bool


@dataclass(frozen=True)
class Contact:
    """Whom a customer asks about invoices: the controller's contact person, else its privacy address."""

    name: str | None
    email: str | None
    phone: str | None


@dataclass(frozen=True)
class Summary:
    """What 'My data' says first: the relationship, unpaid invoices, marketing, open requests."""

    relationship_end: date | None
    deletion_on: date | None
    retention_years: int
    unpaid: tuple[InvoiceDue, ...]
    contact: Contact | None
    prohibited: tuple[str, ...]
    open_requests: tuple[OpenRequest, ...]

    @property
    def prohibited_labels(self) -> tuple[str, ...]:
        """The prohibited channels in words that read mid-sentence, in the current language."""
        return tuple(in_sentence(MARKETING_LABELS[channel]) for channel in self.prohibited)

    @property
    def prohibits_all(self) -> bool:
        """True if every marketing channel is prohibited."""
        return len(self.prohibited) == len(MARKETING_CHANNELS)

    @property
    def open_invoices(self) -> tuple[InvoiceDue, ...]:
        """Unpaid invoices not (yet) in debt collection."""
        return tuple(i for i in self.unpaid if i.status == "open")

    @property
    def in_collection(self) -> tuple[InvoiceDue, ...]:
        """Invoices handed to debt collection."""
        return tuple(i for i in self.unpaid if i.status == "collection")


def _contact(settings: ControllerSettings | None) -> Contact | None:
    if settings is None:
        return None
    if settings.contact_email or settings.contact_phone:
        return Contact(settings.contact_name, settings.contact_email, settings.contact_phone)
    return Contact(None, settings.privacy_email, None)


def summarise(customer: Customer, settings: ControllerSettings | None, retention_years: int) -> Summary:
    """The summary at the top of 'My data', from the customer's own rows (no commit)."""
    unpaid = tuple(InvoiceDue(i.number, i.due_on, i.status)
                   for i in sorted(customer.invoices, key=lambda i: i.due_on) if i.status != "paid")
    prohibited = customer.prohibited_channels()
    open_requests = tuple(
        OpenRequest(r.reference, r.kind, r.effective_due_on, r.extended_due_on is not None)
        for r in sorted(customer.requests, key=lambda r: r.effective_due_on)
        if r.status in OPEN_STATUSES)
    return Summary(
        relationship_end=customer.relationship_end,
        deletion_on=customer.retention_until(retention_years),
        retention_years=retention_years,
        unpaid=unpaid,
        contact=_contact(settings),
        prohibited=tuple(c for c in MARKETING_CHANNELS if c in prohibited),
        open_requests=open_requests,
    )
