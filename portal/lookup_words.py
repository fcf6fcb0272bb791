"""Words for the purposes of staff look-ups: what staff choose, and what the customer reads.

One purpose has two wordings: staff choose "The customer contacted us", the customer reads
"You contacted us". Nothing is registered globally: views pass this module to their templates,
and the export writes the customer's words.
"""

from __future__ import annotations

from flask_babel import gettext as _

from portal.i18n import lazy_gettext as _l

# The choices on the purpose form, in LOOKUP_REASONS order.
STAFF_REASON_LABELS = {
    "customer_contact": _l("The customer contacted us"),
    "request": _l("Handling a request"),
    "billing": _l("A question about billing or an invoice"),
    "correction_check": _l("Checking the data before a correction"),
    "other": _l("Another reason (write it below)"),
}
# The same purposes as the customer reads them on 'My data' and in the export.
CUSTOMER_REASON_LABELS = {
    "customer_contact": _l("You contacted us"),
    "request": _l("Handling your request"),
    "billing": _l("A question about billing or an invoice"),
    "correction_check": _l("Checking your data before a correction"),
    "other": _l("Other reason"),
}


def purpose_text(lookup, *, staff: bool = False) -> str:
    """A look-up's purpose in words, with the request's reference and the typed note.

    For "other" the typed note is the purpose; for other reasons a note follows the label.
    """
    if lookup.reason == "other" and lookup.note:
        return lookup.note
    if lookup.reason == "request" and lookup.reference:
        text = (_("Handling request %(reference)s", reference=lookup.reference) if staff
                else _("Handling your request %(reference)s", reference=lookup.reference))
    elif staff and lookup.reason in STAFF_REASON_LABELS and lookup.reason != "other":
        text = str(STAFF_REASON_LABELS[lookup.reason])
    else:
        text = str(CUSTOMER_REASON_LABELS.get(lookup.reason, CUSTOMER_REASON_LABELS["other"]))
    return f"{text}: {lookup.note}" if lookup.note else text
