"""The company's systems keep the register up to date: one customer and their history, upserted by
the company's own customer number (the sync API's PUT /api/v1/customers/<number>).

Values are checked with the same rules as a correction (portal/services/values.py): a value the
portal would refuse from the customer is refused from a system too, field by field. An erased
person is never re-created: only the status of the invoices an erasure kept may still change, so
that a hold can end.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from portal.models import ApiKey, Customer, Invoice, Order, Quote, User
from portal.models.history import INVOICE_STATUSES, QUOTE_STATUSES
from portal.services.audit import record_audit
from portal.services.effects import email_in_use
from portal.services.refusals import InvalidValue
from portal.services.values import CORRECTABLE_FIELDS, REQUIRED_FIELDS, clean_text, normalise_value

CUSTOMER_NUMBER = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
# Customer columns a system may set, beyond the correctable ones, with their checks.
MORE_TEXT = {"billing_address": 300, "e_invoice_operator": 64, "technical_data": 4000}
PERSON_FIELDS = (*CORRECTABLE_FIELDS, *MORE_TEXT, "ip_address", "country", "language",
                 "relationship_start", "relationship_end", "is_contact_person")
NOT_NULL = {**dict.fromkeys(REQUIRED_FIELDS), "country": "FI", "language": "fi",
            "relationship_start": None, "is_contact_person": False}
# History items: field -> (kind, limit or choices, required).
HISTORY = {
    "orders": (Order, {"number": ("text", 32, True), "ordered_on": ("date", None, True),
                       "description": ("text", 300, True), "total_cents": ("int", None, True),
                       "channel": ("text", 32, False)}),
    "quotes": (Quote, {"number": ("text", 32, True), "issued_on": ("date", None, True),
                       "valid_until": ("date", None, True), "description": ("text", 300, True),
                       "total_cents": ("int", None, True), "status": ("choice", QUOTE_STATUSES, True)}),
    "invoices": (Invoice, {"number": ("text", 32, True), "issued_on": ("date", None, True),
                           "due_on": ("date", None, True), "total_cents": ("int", None, True),
                           "status": ("choice", INVOICE_STATUSES, True), "paid_on": ("date", None, False)}),
}
AUDIT_ACTION = "api_customer_upserted"


class SyncRefused(Exception):
    """The upsert is refused as a whole; `code` says why."""

    code = "refused"


class CustomerErased(SyncRefused):
    """The person was erased: their data is not taken in again."""

    code = "customer_erased"


class SyncConflict(SyncRefused):
    """Another writer created or changed the same rows at the same moment; nothing was saved."""

    code = "conflict"


class InvalidFields(SyncRefused):
    """Some values are refused: `errors` maps each field's path ("email", "orders/0/number") to a code."""

    code = "invalid"

    def __init__(self, errors: dict[str, str]):
        super().__init__(sorted(errors))
        self.errors = errors


@dataclass(frozen=True)
class Upserted:
    """What an upsert did: the customer, whether it was new, and which fields changed."""

    customer_id: int
    created: bool
    changed: tuple[str, ...]


def _date(value, name: str) -> date:
    if not isinstance(value, str) or not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        raise InvalidValue("date", name)
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidValue("date", name) from None


def person_value(name: str, value, country: str):
    """One customer field as stored; None clears an optional field."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if name in NOT_NULL:
            raise InvalidValue("required", name)
        return None
    if name == "is_contact_person":
        if not isinstance(value, bool):
            raise InvalidValue("type", name)
        return value
    if not isinstance(value, str):
        raise InvalidValue("type", name)
    if name in CORRECTABLE_FIELDS:
        return normalise_value(name, value, country=country)
    if name in MORE_TEXT:
        return clean_text(value, required=True, max_length=MORE_TEXT[name], field_name=name)
    if name in ("relationship_start", "relationship_end"):
        return _date(value, name)
    if name == "country" and re.fullmatch(r"[A-Za-z]{2}", value):
        return value.upper()
    if name == "language" and value in ("fi", "en"):
        return value
    if name == "ip_address":
        try:
            return str(ipaddress.ip_address(value.strip()))
        except ValueError:
            pass
    raise InvalidValue("format", name)


def _person(data: dict, customer: Customer | None, errors: dict[str, str]) -> dict:
    """The customer fields given in `data`, checked and normalised; problems go to `errors`."""
    country = str(data.get("country") or getattr(customer, "country", None) or "FI").upper()
    values = {}
    for name in PERSON_FIELDS:
        if name in data:
            try:
                values[name] = person_value(name, data[name], country)
            except InvalidValue as problem:
                errors[name] = problem.code
    if customer is None:
        for name in sorted(REQUIRED_FIELDS - set(data)):
            errors[name] = "required"
    return values


def _item_value(kind: str, rule, required: bool, value, path: str):
    if value is None or value == "":
        if required:
            raise InvalidValue("required", path)
        return None
    if kind == "text" and isinstance(value, str):
        return clean_text(value, required=True, max_length=rule, field_name=path)
    if kind == "int" and isinstance(value, int) and not isinstance(value, bool):
        return value
    if kind == "date":
        return _date(value, path)
    if kind == "choice" and value in rule:
        return value
    raise InvalidValue("format", path)


def _history(data: dict, errors: dict[str, str]) -> dict[str, list[dict]]:
    """The order, quote and invoice lists given, each item checked; problems go to `errors`."""
    found = {}
    for key, (_model, fields) in HISTORY.items():
        items = []
        for number, item in enumerate(data.get(key) or []):
            values = {}
            for name, (kind, rule, required) in fields.items():
                path = f"{key}/{number}/{name}"
                try:
                    values[name] = _item_value(kind, rule, required, item.get(name), path)
                except InvalidValue as problem:
                    errors[path] = problem.code
            if key == "invoices" and values.get("status") == "paid" and not values.get("paid_on"):
                errors.setdefault(f"{key}/{number}/paid_on", "required")
            if values.get("number") in {i.get("number") for i in items}:
                errors[f"{key}/{number}/number"] = "duplicate"
            items.append(values)
        found[key] = items
    return found


def _store_history(session: Session, customer: Customer, history: dict[str, list[dict]],
                   errors: dict[str, str]) -> dict[str, int]:
    """Insert or update each item by its number; a number another customer has is refused."""
    counts = {}
    for key, items in history.items():
        model = HISTORY[key][0]
        numbers = [item["number"] for item in items]
        existing = {row.number: row for row in session.execute(
            select(model).where(model.number.in_(numbers))).scalars()} if numbers else {}
        for position, item in enumerate(items):
            row = existing.get(item["number"])
            if row is not None and row.customer_id != customer.id:
                errors[f"{key}/{position}/number"] = "number_taken"
            elif row is None and customer.erased_at is not None:
                errors[f"{key}/{position}/number"] = "customer_erased"
            elif row is None:
                session.add(model(customer_id=customer.id, **item))
            else:
                for name, value in item.items():
                    setattr(row, name, value)
        counts[key] = len(items)
    return counts


def _email_taken(session: Session, address: str, customer: Customer | None) -> bool:
    """True if another customer or account has `address` (checked before anything is written)."""
    if customer is not None:
        return email_in_use(session, address, customer)
    lowered = address.lower()
    return any(session.execute(select(model.id).where(func.lower(model.email) == lowered)).first()
               for model in (Customer, User))


def _apply(customer: Customer, values: dict) -> tuple[str, ...]:
    """Set the changed values on the customer; returns the names of the fields that changed."""
    changed = []
    for name, value in values.items():
        if getattr(customer, name) != value:
            setattr(customer, name, value)
            changed.append(name)
    return tuple(changed)


def upsert_customer(session: Session, number: str, data: dict, *, key: ApiKey, today: date) -> Upserted:
    """Create or update the customer with the company's `number`, and their history; commits.

    Fields left out stay as they are; null clears an optional field. Raises InvalidFields (per
    field), CustomerErased or SyncConflict, and then nothing is saved.
    """
    if not CUSTOMER_NUMBER.fullmatch(number or ""):
        raise InvalidFields({"customer_number": "format"})
    customer = session.execute(select(Customer).where(Customer.customer_number == number)
                               .with_for_update()).scalar_one_or_none()
    if customer is not None and customer.erased_at is not None and set(data) - {"invoices"}:
        raise CustomerErased()
    errors: dict[str, str] = {}
    values = _person(data, customer, errors)
    history = _history(data, errors)
    email = values.get("email")
    if email and email != getattr(customer, "email", None) and _email_taken(session, email, customer):
        errors["email"] = "email_taken"
    start = values.get("relationship_start", getattr(customer, "relationship_start", None) or today)
    end = values.get("relationship_end", getattr(customer, "relationship_end", None))
    if start and end and end < start:
        errors.setdefault("relationship_end", "before_start")
    if errors:
        raise InvalidFields(errors)
    created = customer is None
    try:
        if created:
            customer = Customer(customer_number=number, relationship_start=today)
            session.add(customer)
        changed = _apply(customer, values)
        session.flush()
        counts = _store_history(session, customer, history, errors)
        if errors:
            raise InvalidFields(errors)
        record_audit(session, AUDIT_ACTION, actor_kind="system", customer_id=customer.id,
                     details={"api_key_id": key.id, "api_key": key.name, "created": created,
                              "fields": sorted(changed), **counts})
        session.commit()
    except IntegrityError:
        session.rollback()
        raise SyncConflict() from None
    except InvalidFields:
        session.rollback()
        raise
    return Upserted(customer.id, created, changed)
