"""Erasure holds: what must stay when a customer asks to be erased, why, and until when.

The seeds' conditions, verbatim: "ellei lainsäädäntö, avoimet laskut tai perintätoimet estä
tietojen poistamista", and "Mikäli toimit yritys- tai organisaation yhteyshenkilönä ei tietojasi
voida poistaa tänä aikana." The law here is Kirjanpitolaki 2:10: the books are kept 10 years from
the end of the financial year, the vouchers 6 years from the end of the year in which the
financial year ended. The financial year is taken to be the calendar year.

A pure function of the customer and today: no session, no translation. Codes only; the pages
and letters put them into words.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from portal.models import Customer

BOOKS_YEARS = 10
VOUCHERS_YEARS = 6


class HoldCode(StrEnum):
    """Why some data must stay."""

    OPEN_INVOICES = "open_invoices"
    DEBT_COLLECTION = "debt_collection"
    ACCOUNTING_BOOKS = "accounting_books"
    ACCOUNTING_VOUCHERS = "accounting_vouchers"
    CONTACT_PERSON = "contact_person"


class Until(StrEnum):
    """A hold that ends with an event rather than on a date."""

    INVOICES_PAID = "invoices_paid"
    COLLECTION_ENDED = "collection_ended"
    ROLE_ENDED = "role_ended"


class Item(StrEnum):
    """A part of the register entry, as the customer is told what stays and what goes."""

    NAME = "name"
    CONTACT = "contact"  # email, phone
    ADDRESS = "address"  # street address, postal code, city
    ORGANISATION = "organisation"  # organisation, position, business ID, website
    BILLING = "billing"  # billing and e-invoice addresses
    ORDERS = "orders"
    INVOICES = "invoices"
    QUOTES = "quotes"
    TECHNICAL = "technical"  # IP address, technical customer data
    SOURCES = "sources"  # where the data came from


ITEMS_KEPT: dict[HoldCode, tuple[Item, ...]] = {
    HoldCode.OPEN_INVOICES: (Item.NAME, Item.ADDRESS, Item.BILLING, Item.INVOICES),
    HoldCode.DEBT_COLLECTION: (Item.NAME, Item.ADDRESS, Item.CONTACT, Item.INVOICES),
    HoldCode.ACCOUNTING_BOOKS: (Item.NAME, Item.ORDERS, Item.INVOICES),
    HoldCode.ACCOUNTING_VOUCHERS: (Item.NAME, Item.ADDRESS, Item.BILLING, Item.ORDERS, Item.INVOICES),
    HoldCode.CONTACT_PERSON: (Item.NAME, Item.CONTACT, Item.ORGANISATION),
}


@dataclass(frozen=True)
class Hold:
    """One reason to keep data: what stays, and until a date or an event."""

    code: HoldCode
    kept: tuple[Item, ...]
    until: date | None = None
    until_event: Until | None = None
    invoices: tuple[str, ...] = ()  # the invoice numbers concerned, if any

    @classmethod
    def from_json(cls, values: dict) -> Hold:
        """The hold as stored by `as_json`."""
        until, event = values.get("until"), values.get("until_event")
        code = HoldCode(values["code"])
        return cls(code, ITEMS_KEPT[code], until=date.fromisoformat(until) if until else None,
                   until_event=Until(event) if event else None, invoices=tuple(values.get("invoices", ())))

    def as_json(self) -> dict:
        """The hold as plain JSON values (stored with an erasure request as told to the customer)."""
        return {"code": str(self.code), "until": self.until.isoformat() if self.until else None,
                "until_event": str(self.until_event) if self.until_event else None,
                "invoices": list(self.invoices)}


@dataclass(frozen=True)
class ErasureAssessment:
    """Every hold on a customer's data today, and what could be erased now."""

    holds: tuple[Hold, ...]
    erasable: tuple[Item, ...]

    @property
    def erasable_now(self) -> bool:
        """True if at least part of the data can be erased now."""
        return bool(self.erasable)

    @property
    def everything_now(self) -> bool:
        """True if nothing holds any data back."""
        return not self.holds


def end_of_year_plus(year: int, years: int) -> date:
    """31 December `years` after the end of `year` (Kirjanpitolaki 2:10 periods)."""
    return date(year + years, 12, 31)


def _accounting_holds(customer: Customer, today: date) -> list[Hold]:
    """Books and vouchers still inside their retention period."""
    years = [o.ordered_on.year for o in customer.orders] + [i.issued_on.year for i in customer.invoices]
    if not years:
        return []
    last = max(years)
    holds = []
    for code, period in ((HoldCode.ACCOUNTING_BOOKS, BOOKS_YEARS),
                         (HoldCode.ACCOUNTING_VOUCHERS, VOUCHERS_YEARS)):
        until = end_of_year_plus(last, period)
        if until >= today:
            holds.append(Hold(code, ITEMS_KEPT[code], until=until))
    return holds


def _invoice_holds(customer: Customer) -> list[Hold]:
    """Open invoices and invoices in debt collection."""
    holds = []
    for status, code, event in (("open", HoldCode.OPEN_INVOICES, Until.INVOICES_PAID),
                                ("collection", HoldCode.DEBT_COLLECTION, Until.COLLECTION_ENDED)):
        numbers = tuple(sorted(i.number for i in customer.invoices if i.status == status))
        if numbers:
            holds.append(Hold(code, ITEMS_KEPT[code], until_event=event, invoices=numbers))
    return holds


def erasure_holds(customer: Customer, today: date) -> ErasureAssessment:
    """What must stay if `customer` were erased on `today`, and what could go now."""
    holds = _invoice_holds(customer)
    if customer.is_contact_person:
        holds.append(Hold(HoldCode.CONTACT_PERSON, ITEMS_KEPT[HoldCode.CONTACT_PERSON],
                          until_event=Until.ROLE_ENDED))
    holds += _accounting_holds(customer, today)
    kept = {item for hold in holds for item in hold.kept}
    return ErasureAssessment(tuple(holds), tuple(item for item in Item if item not in kept))
