"""Forms for finding a customer and for giving the purpose before their data is shown.

The values are checked by the look-up service itself (portal/services/lookups.py), which
raises InvalidValue codes; this module puts those codes into words next to the right field.
"""

from __future__ import annotations

from flask_babel import gettext as _
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, StringField, SubmitField

from portal.i18n import lazy_gettext as _l
from portal.lookup_words import STAFF_REASON_LABELS
from portal.services.lookups import NOTE_MAX, SEARCH_MIN
from portal.words import KIND_NAMES

_MESSAGES = {
    ("required", "q"): _l("Type a name, an email address or a customer number."),
    ("too_short", "q"): _l("Type at least %(num)d characters, or the whole customer number.", num=SEARCH_MIN),
    ("lookup_reason", "reason"): _l("Choose why you need the data."),
    ("lookup_reference", "request_reference"): _l("Choose the request you are handling."),
    ("required", "note"): _l("Write the purpose. The customer sees it."),
    ("too_long", "note"): _l("Write at most %(num)d characters.", num=NOTE_MAX),
    ("too_long", "q"): _l("The text is too long."),
    ("control_characters", None): _l("Remove the special characters from this text."),
}


def error_message(code: str, field_name: str | None) -> str:
    """The words for a look-up service refusal, for the field it concerns."""
    message = _MESSAGES.get((code, field_name)) or _MESSAGES.get((code, None))
    return str(message or _l("Check this value."))


class _CheckedForm(FlaskForm):
    """A form whose values the service checks; its refusals are shown next to the field."""

    def refuse(self, code: str, field_name: str | None) -> None:
        """Show the service's refusal `code` next to `field_name` (or the first field)."""
        target = getattr(self, field_name or "", None) or next(iter(self))
        target.errors = [*target.errors, error_message(code, field_name)]


class SearchForm(_CheckedForm):
    """Find a customer by name, email address or customer number."""

    q = StringField(_l("Name, email address or customer number"))
    submit = SubmitField(_l("Search"))


class PurposeForm(_CheckedForm):
    """Why the staff member needs this customer's data; recorded and shown to the customer."""

    reason = RadioField(_l("Why do you need this customer's data?"),
                        choices=list(STAFF_REASON_LABELS.items()), validate_choice=False)
    request_reference = SelectField(_l("The request you are handling"), validate_choice=False)
    note = StringField(_l("The purpose in your own words"))
    submit = SubmitField(_l("Show the data"))

    def __init__(self, *args, requests: list[tuple[str, str]] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.request_reference.choices = [("", _("No request chosen"))] + [
            (reference, f"{reference} – {KIND_NAMES[kind]}") for reference, kind in requests]
        if len(requests) == 1 and not self.is_submitted():
            self.request_reference.data = requests[0][0]
