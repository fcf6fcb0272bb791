"""Values typed by people: free text and the correctable customer fields, checked and normalised.

Used by the customer's forms, by staff when they re-check a correction, and by the services that
store the values, so a form and the database never disagree about what is valid.
"""

from __future__ import annotations

import re

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from stdnum import iban
from stdnum.exceptions import ValidationError
from stdnum.fi import ytunnus

from portal.models import Customer
from portal.services.refusals import InvalidValue

# The Customer fields a customer may ask to have corrected, and their column lengths.
CORRECTABLE_FIELDS: dict[str, int] = {
    "first_name": 100, "last_name": 100, "organisation": 200, "position": 120,
    "business_id": 9, "email": 255, "phone": 32, "street_address": 200, "postal_code": 10,
    "city": 100, "website": 255, "e_invoice_address": 64,
}
REQUIRED_FIELDS = frozenset({"first_name", "last_name", "email"})
SCOPES = ("all", "marketing", "purpose")  # what a restriction or objection covers
TEXT_MAX = 4000
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_text(value: str | None, *, required: bool, max_length: int = TEXT_MAX,
               field_name: str | None = None) -> str:
    """Free text trimmed, with newlines normalised; control characters and overlong text refused."""
    text = (value or "").replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text and required:
        raise InvalidValue("required", field_name)
    if _CONTROL.search(text):
        raise InvalidValue("control_characters", field_name)
    if len(text) > max_length:
        raise InvalidValue("too_long", field_name)
    return text


def _email(value: str, field_name: str = "email") -> str:
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError:
        raise InvalidValue("email", field_name) from None


def reply_email(value: str | None) -> str:
    """The address for replies, normalised; InvalidValue(code, "reply_contact") if it is not one."""
    text = clean_text(value, required=True, max_length=255, field_name="reply_contact")
    return _email(text, "reply_contact")


def _phone(value: str) -> str:
    try:
        number = phonenumbers.parse(value, "FI")
    except phonenumbers.NumberParseException:
        raise InvalidValue("phone", "phone") from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidValue("phone", "phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _business_id(value: str) -> str:
    try:
        return ytunnus.format(ytunnus.validate(value))
    except ValidationError:
        raise InvalidValue("business_id", "business_id") from None


def _postal_code(value: str, country: str) -> str:
    compact = value.replace(" ", "")
    if country == "FI" and not re.fullmatch(r"[0-9]{5}", compact):
        raise InvalidValue("postal_code", "postal_code")
    if not re.fullmatch(r"[0-9A-Za-z -]{2,10}", value):
        raise InvalidValue("postal_code", "postal_code")
    return compact if country == "FI" else value.upper()


def _website(value: str) -> str:
    url = value if re.match(r"https?://", value, re.IGNORECASE) else "https://" + value
    if not re.fullmatch(r"https?://[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+(:[0-9]{1,5})?(/[^\s]*)?", url,
                        re.IGNORECASE):
        raise InvalidValue("website", "website")
    return url


def _e_invoice_address(value: str) -> str:
    compact = re.sub(r"[\s-]", "", value).upper()
    ovt = re.fullmatch(r"0037([0-9]{8})[0-9A-Z]{0,5}", compact)
    if (ovt and ytunnus.is_valid(ovt.group(1))) or iban.is_valid(compact):
        return compact
    raise InvalidValue("e_invoice_address", "e_invoice_address")


_NORMALISERS = {"email": _email, "phone": _phone, "business_id": _business_id,
                "website": _website, "e_invoice_address": _e_invoice_address}


def normalise_value(name: str, value: str | None, *, country: str = "FI") -> str:
    """The value as it would be stored in field `name`; InvalidValue(code, name) if it cannot be."""
    if name not in CORRECTABLE_FIELDS:
        raise InvalidValue("unknown_field", name)
    text = clean_text(value, required=True, max_length=CORRECTABLE_FIELDS[name], field_name=name)
    if "\n" in text:
        raise InvalidValue("control_characters", name)
    if name == "postal_code":
        return _postal_code(text, country)
    normaliser = _NORMALISERS.get(name)
    return normaliser(text) if normaliser else text


def normalise_change(customer: Customer, name: str, value: str | None) -> str:
    """A correction's new value as stored; refused if invalid or the same as the value held now."""
    country = customer.country or "FI"
    new = normalise_value(name, value, country=country)
    current = getattr(customer, name)
    if current:
        try:
            current = normalise_value(name, str(current), country=country)
        except InvalidValue:
            current = str(current)
        if current.casefold() == new.casefold():
            raise InvalidValue("unchanged", name)
    return new
