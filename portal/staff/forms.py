"""Forms of the staff pages."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, RadioField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length

from portal.i18n import lazy_gettext as _l
from portal.services.values import TEXT_MAX


class CommitmentForm(FlaskForm):
    """Accept the confidentiality commitment."""

    accept = BooleanField(_l("I have read the commitment and undertake to follow it"),
                          validators=[InputRequired(_l("Tick the box to accept the commitment."))])
    submit = SubmitField(_l("Accept and continue"))


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class _Versioned(FlaskForm):
    """A decision form carries the request version the reviewer saw."""

    version = HiddenField(validators=[InputRequired()])

    def seen_version(self) -> int:
        """The version as a number (0 if tampered with, which no request has)."""
        try:
            return int(self.version.data)
        except (TypeError, ValueError):
            return 0


class ApproveForm(_Versioned):
    """Approve a request; the reasons are optional and go into the customer's letter."""

    reason = TextAreaField(_l("Reasons or notes for the customer (optional)"),
                           validators=[Length(max=TEXT_MAX)])
    submit = SubmitField(_l("Approve"))


class DenyForm(_Versioned):
    """Deny a request; the written reasons are required (they go into the decision letter)."""

    reason = TextAreaField(_l("Reasons for the denial"), filters=[_strip], validators=[
        DataRequired(_l("Write the reasons: the customer's letter must give them.")), Length(max=TEXT_MAX)])
    submit = SubmitField(_l("Deny"))


class ExtendForm(_Versioned):
    """Extend the deadline once, by one or two months, with the reason the customer is told."""

    months = RadioField(_l("Extend by"), choices=[("1", _l("one month")), ("2", _l("two months"))],
                        validators=[InputRequired(_l("Choose how long."))])
    reason = TextAreaField(_l("Why more time is needed (the customer is told)"), filters=[_strip],
                           validators=[DataRequired(_l("Write the reason: the customer must be told why.")),
                                       Length(max=TEXT_MAX)])
    submit = SubmitField(_l("Extend the deadline"))


class MessageForm(FlaskForm):
    """Ask the customer for clarification, or write an internal note."""

    body = TextAreaField(_l("Message"), filters=[_strip],
                         validators=[DataRequired(_l("Write the message.")), Length(max=TEXT_MAX)])
    submit = SubmitField(_l("Send"))
