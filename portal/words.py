"""The words for request codes (kinds, statuses, scopes, fields, holds): one place for every page and email.

Registered as the template global `request_words`, so customer pages, staff pages, emails and
letters all name a thing the same way.
"""

from __future__ import annotations

from types import SimpleNamespace

from flask_babel import lazy_gettext as _l

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

WORDS = SimpleNamespace(kinds=KIND_LABELS, titles=KIND_TITLES, statuses=STATUS_LABELS, scopes=SCOPE_LABELS,
                        fields=FIELD_LABELS, hold_reasons=HOLD_REASONS, until_events=UNTIL_EVENTS,
                        items=ITEM_LABELS)
