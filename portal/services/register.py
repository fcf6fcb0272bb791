"""What the register holds, described once for the 'My data' page and the privacy statement."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from portal.models import Customer


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
