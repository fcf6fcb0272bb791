"""Phone numbers shown grouped for reading (+358 40 123 4567); stored values stay as they are."""

from __future__ import annotations

import re

import phonenumbers

# Only an international number ("+" and digits, perhaps already spaced) is taken for a phone
# number: the `phone` filter also runs over other register values, which it leaves alone.
_INTERNATIONAL = re.compile(r"^\+\d[\d \-]{5,22}$")
FINLAND = 358


def readable_phone(value: object) -> object:
    """An international phone number grouped as people read it; any other value unchanged.

    Finnish numbers follow the national habit of a space before the last four digits
    (+358 40 123 4567, +358 9 123 4567); other countries' numbers use their own grouping.
    """
    if not isinstance(value, str) or not _INTERNATIONAL.match(value.strip()):
        return value
    try:
        number = phonenumbers.parse(value.strip(), None)
    except phonenumbers.NumberParseException:
        return value
    if not phonenumbers.is_valid_number(number):
        return value
    shown = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    if number.country_code == FINLAND:
        head, _, last = shown.rpartition(" ")
        if head and len(last) >= 6 and last.isdigit():
            shown = f"{head} {last[:-4]} {last[-4:]}"
    return shown
