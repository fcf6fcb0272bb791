"""Words for the import's problem codes (portal/services/importing.py): one line error each.

The CLI prints them in English, as every operator command does; a staff page showing an import's
result would show the same messages in the staff member's language.
"""

from __future__ import annotations

from flask_babel import gettext as _

from portal.i18n import lazy_gettext as _l
from portal.services.import_history import LineError

LINE_MESSAGES = {
    "required": _l("a value is required"),
    "email": _l("not a valid email address"),
    "phone": _l("not a valid phone number"),
    "business_id": _l("not a valid business ID (Y-tunnus): check the last digit"),
    "postal_code": _l("not a valid postal code (five digits in Finland)"),
    "website": _l("not a valid web address"),
    "e_invoice_address": _l("not an e-invoice address (OVT code) or an IBAN"),
    "too_long": _l("the text is too long"),
    "control_characters": _l("the text contains control characters"),
    "customer_number": _l("use 1 to 64 letters, digits, dots, hyphens or underscores, "
                          "starting with a letter or digit"),
    "country": _l("use a two-letter country code such as FI"),
    "language": _l("use fi or en"),
    "ip_address": _l("not a valid IP address"),
    "date": _l("not a date: write 15.8.2025 or 2025-08-15"),
    "before_start": _l("the customer relationship ends before it starts"),
    "boolean": _l("write yes or no (kyllä or ei)"),
    "amount": _l("not an amount: write 1234,50 or 1234.50"),
    "quotes_status": _l("use sent, accepted, declined or expired"),
    "invoices_status": _l("use open, paid or collection"),
    "email_taken": _l("another customer or account already has this email address"),
    "customer_erased": _l("this customer's data has been erased and is not imported again"),
    "unknown_customer": _l("no customer has this number in the register or in the customers file"),
    "customer_invalid": _l("this customer's row in the customers file has errors"),
    "number_taken": _l("another customer's order, quote or invoice has this number"),
    "extra_cells": _l("the row has more cells than the header"),
    "encoding": _l("the file cannot be read in the given encoding"),
    "empty": _l("the file is empty"),
    "xlsx": _l("not a readable Excel workbook (.xlsx)"),
}
UNKNOWN = _l("check this value")


def line_message(error: LineError, column: str | None = None) -> str:
    """The words for one error's code; `column` is the header as the file writes it.

    Not its place: the caller says which file and line.
    """
    column = column or error.column
    if error.code == "duplicate":
        return _("the same value is already on line %(line)d", line=error.other_line)
    if error.code == "unknown_column":
        return _("unknown column %(column)s", column=column)
    if error.code == "duplicate_column":
        return _("the column %(column)s is in the header twice", column=column)
    if error.code == "missing_column":
        return _("the required column %(column)s is missing", column=column)
    return str(LINE_MESSAGES.get(error.code, UNKNOWN))
