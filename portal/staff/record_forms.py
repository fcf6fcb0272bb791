"""The form for recording a request that arrived by phone, letter or email."""

from __future__ import annotations

from datetime import timedelta

from flask_wtf import FlaskForm
from wtforms import DateField, RadioField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from portal.i18n import lazy_gettext as _l
from portal.models.types import utcnow
from portal.services.requests import helsinki_date
from portal.services.values import CORRECTABLE_FIELDS, TEXT_MAX
from portal.words import CHANNEL_LABELS, FIELD_LABELS, KIND_NAMES, STAFF_SCOPE_LABELS

CORRECTION_ROWS = 3
OLDEST_RECEIPT = timedelta(days=366)


class RecordRequestForm(FlaskForm):
    """A request received outside the portal: who, what, how and when it arrived."""

    customer = StringField(_l("Customer's email address or customer number"), validators=[
        InputRequired(_l("Enter the customer's email address or customer number.")), Length(max=255)])
    kind = RadioField(_l("Kind of request"), choices=list(KIND_NAMES.items()),
                      validators=[InputRequired(_l("Choose the kind of request."))])
    channel = RadioField(_l("How the request arrived"),
                         choices=[(k, v) for k, v in CHANNEL_LABELS.items() if k != "portal"],
                         validators=[InputRequired(_l("Choose how the request arrived."))])
    received_on = DateField(_l("Date received"), validators=[InputRequired(_l("Enter the date received."))])
    scope = SelectField(_l("What a restriction or objection covers"),
                        choices=list(STAFF_SCOPE_LABELS.items()), validators=[Optional()])
    purpose = TextAreaField(_l("The purpose, if the customer named one"), validators=[Length(max=TEXT_MAX)])
    reason = TextAreaField(_l("The customer's reasons, as they gave them"), validators=[Length(max=TEXT_MAX)])
    reply_contact = StringField(
        _l("Where to send the reply (email or postal address; empty: the customer's email)"),
        validators=[Length(max=255)])
    submit = SubmitField(_l("Record the request"))

    def validate_received_on(self, field) -> None:
        """Not in the future, and not more than a year back."""
        today = helsinki_date(utcnow())
        if field.data and field.data > today:
            raise ValueError(_l("The date cannot be in the future."))
        if field.data and field.data < today - OLDEST_RECEIPT:
            raise ValueError(_l("The date is more than a year ago. Check it."))

    def corrections(self) -> list[tuple[str, str]]:
        """The (field, new value) pairs typed for a correction."""
        pairs = []
        for row in range(1, CORRECTION_ROWS + 1):
            name, value = getattr(self, f"field_{row}").data, getattr(self, f"value_{row}").data
            if name and (value or "").strip():
                pairs.append((name, value))
        return pairs


_FIELD_CHOICES = [("", _l("(choose a detail)")), *((name, FIELD_LABELS[name]) for name in CORRECTABLE_FIELDS)]
for _row in range(1, CORRECTION_ROWS + 1):
    setattr(RecordRequestForm, f"field_{_row}",
            SelectField(_l("Detail to correct"), choices=_FIELD_CHOICES, validators=[Optional()]))
    setattr(RecordRequestForm, f"value_{_row}",
            StringField(_l("Correct value"), validators=[Length(max=255)]))
