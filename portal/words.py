"""The words for request codes (kinds, statuses, scopes, fields, holds): one place for every page and email.

Registered as the template global `request_words`, so customer pages, staff pages, emails and
letters all name a thing the same way.
"""

from __future__ import annotations

from types import SimpleNamespace

from portal.i18n import lazy_gettext as _l
from portal.services import register
from portal.services.holds import HoldCode, Item, Until
from portal.services.values import CORRECTABLE_FIELDS

KIND_LABELS = {
    "correction": _l("Correction of your data"),
    "erasure": _l("Erasure of your data"),
    "restriction": _l("Restriction of processing"),
    "objection": _l("Objection to processing"),
}
KIND_TITLES = {
    "correction": _l("Ask us to correct your data"),
    "erasure": _l("Ask us to erase your data"),
    "restriction": _l("Ask us to restrict the processing of your data"),
    "objection": _l("Object to the processing of your data"),
}
STATUS_LABELS = {
    "pending": _l("waiting for handling"),
    "in_review": _l("in review"),
    "approved": _l("approved"),
    "partially_approved": _l("partially approved"),
    "denied": _l("denied"),
    "cancelled": _l("cancelled"),
}
SCOPE_LABELS = {
    "all": _l("All processing of my data"),
    "marketing": _l("Marketing"),
    "purpose": _l("A purpose I describe below"),
}
_FIELD_LABELS = {f.name: f.label for c in register.DATA_CATEGORIES for f in c.fields}
FIELD_LABELS = {name: _FIELD_LABELS[name] for name in CORRECTABLE_FIELDS}

HOLD_REASONS = {
    HoldCode.OPEN_INVOICES: _l("You have an open invoice. We keep what billing needs until it is paid."),
    HoldCode.DEBT_COLLECTION: _l("An invoice of yours is in debt collection. We keep what the "
                                 "collection needs until it ends."),
    HoldCode.ACCOUNTING_BOOKS: _l("The Accounting Act (Kirjanpitolaki 2:10) requires us to keep the "
                                  "books for 10 years from the end of the financial year."),
    HoldCode.ACCOUNTING_VOUCHERS: _l("The Accounting Act (Kirjanpitolaki 2:10) requires us to keep "
                                     "invoices and receipts (vouchers) for 6 years from the end of the "
                                     "financial year."),
    HoldCode.CONTACT_PERSON: _l("You are a contact person of a company that is our customer. Your "
                                "details cannot be erased while you have that role."),
}
UNTIL_EVENTS = {
    Until.INVOICES_PAID: _l("until the invoice is paid"),
    Until.COLLECTION_ENDED: _l("until the debt collection ends"),
    Until.ROLE_ENDED: _l("until your role as contact person ends"),
}
ITEM_LABELS = {
    Item.NAME: _l("your name"),
    Item.CONTACT: _l("your contact details (email, phone)"),
    Item.ADDRESS: _l("your postal address"),
    Item.ORGANISATION: _l("your organisation, position and business ID"),
    Item.BILLING: _l("your billing details"),
    Item.ORDERS: _l("your orders"),
    Item.INVOICES: _l("your invoices"),
    Item.QUOTES: _l("your quotes"),
    Item.TECHNICAL: _l("technical data such as your IP address"),
    Item.SOURCES: _l("the record of where your data came from"),
}

# What a restriction or objection covers, said after the request is made (where "below" means nothing).
SCOPE_SUMMARIES = {
    "all": _l("all processing of the data"),
    "marketing": _l("marketing"),
    "purpose": _l("a purpose described in the request"),
}
# The kinds and scopes as staff name them (the customer's labels say "your data").
KIND_NAMES = {
    "correction": _l("Correction"),
    "erasure": _l("Erasure"),
    "restriction": _l("Restriction of processing"),
    "objection": _l("Objection to processing"),
}
STAFF_SCOPE_LABELS = {
    "all": _l("All processing"),
    "marketing": _l("Marketing"),
    "purpose": _l("A purpose the customer described"),
}
CHANNEL_LABELS = {
    "portal": _l("in the portal"),
    "phone": _l("by phone"),
    "letter": _l("by letter"),
    "email": _l("by email"),
}

WORDS = SimpleNamespace(channels=CHANNEL_LABELS, kinds=KIND_LABELS, kind_names=KIND_NAMES, titles=KIND_TITLES,
                        statuses=STATUS_LABELS, scopes=SCOPE_LABELS, scope_summaries=SCOPE_SUMMARIES,
                        fields=FIELD_LABELS, hold_reasons=HOLD_REASONS, until_events=UNTIL_EVENTS,
                        items=ITEM_LABELS)

_MESSAGES = {
    "required": _l("Fill in this field."),
    "email": _l("Enter a valid email address, e.g. name@example.com."),
    "phone": _l("Enter a valid phone number, e.g. 040 123 4567 or +46 70 123 4567."),
    "business_id": _l("Enter a valid business ID (Y-tunnus), e.g. 1234567-1. Check the last digit."),
    "postal_code": _l("Enter a postal code of five digits, e.g. 00100."),
    "website": _l("Enter a web address, e.g. www.example.fi."),
    "e_invoice_address": _l("Enter an e-invoice address (OVT code, e.g. 003712345671) or an IBAN."),
    "too_long": _l("The text is too long."),
    "control_characters": _l("Remove the special characters from this text."),
    "unchanged": _l("This is the value we already have. Enter the corrected value."),
    "scope": _l("Choose what your request covers."),
    "not_chosen": _l("You typed a new value but did not tick this detail. Tick it, or clear the value."),
    "no_fields": _l("Choose at least one detail to correct."),
}
_REQUIRED = {
    "reason_correction": _l("Tell us what is wrong and on what basis."),
    "reason": _l("Tell us why."),
    "purpose": _l("Describe the purpose you mean."),
    "reply_contact": _l("Enter an email address for our reply."),
    "body": _l("Write your message."),
}


def error_message(code: str, field_name: str | None = None) -> str:
    """The words for a service refusal code about a typed value, for the field it concerns."""
    if code == "required" and field_name in _REQUIRED:
        return str(_REQUIRED[field_name])
    if code == "required" and field_name in CORRECTABLE_FIELDS:
        return str(_l("Enter the new value."))
    return str(_MESSAGES.get(code, _MESSAGES["required"] if code == "required" else _l("Check this value.")))
