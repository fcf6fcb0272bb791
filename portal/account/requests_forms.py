"""Forms and words for the customer's requests (correction, erasure, restriction, objection).

The values typed are checked by the same service functions that file the request, so a form
and the service never disagree; this module only puts the service's codes into words.
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, RadioField, SelectMultipleField, StringField, SubmitField, TextAreaField
from wtforms.widgets import CheckboxInput, ListWidget

from portal.i18n import lazy_gettext as _l
from portal.services.refusals import InvalidValue
from portal.services.requests import Correction, Erasure, FieldChange, Scoped
from portal.services.values import CORRECTABLE_FIELDS, TEXT_MAX, clean_text, normalise_change, reply_email
from portal.words import FIELD_LABELS, SCOPE_LABELS, error_message


def _check(field, check, *args, **kwargs):
    """Run a service check on `field`; put its refusal next to the field. Returns the clean value."""
    try:
        return check(*args, **kwargs)
    except InvalidValue as problem:
        field.errors.append(error_message(problem.code, problem.field or field.name))
        return None


class _RequestForm(FlaskForm):
    """What every request form asks: an email address for the reply."""

    reply_contact = EmailField(_l("Email address for our reply"))

    def __init__(self, *args, customer=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.customer = customer

    def validate(self, extra_validators=None) -> bool:
        """Field validators, then the service's own checks."""
        super().validate(extra_validators)
        self.clean_reply = _check(self.reply_contact, reply_email, self.reply_contact.data)
        self.check()
        return not any(field.errors for field in self)

    def check(self) -> None:
        """Checks particular to the kind of request."""


class _Checkboxes(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class CorrectionForm(_RequestForm):
    """Art 16: tick the details to correct, give each a new value, and say on what basis."""

    chosen = _Checkboxes(_l("Details to correct"), choices=list(FIELD_LABELS.items()), validate_choice=True)
    reason = TextAreaField(_l("What is wrong, and on what basis should it be corrected?"))
    submit = SubmitField(_l("Send correction request"))

    def value_field(self, name: str):
        """The text input for the new value of `name`."""
        return self[f"new_{name}"]

    def check(self) -> None:
        chosen = set(self.chosen.data or ())
        self.changes = []
        for name in FIELD_LABELS:
            box = self.value_field(name)
            if name in chosen:
                value = _check(box, normalise_change, self.customer, name, box.data)
                if value is not None:
                    self.changes.append(FieldChange(name, value))
            elif (box.data or "").strip():
                box.errors.append(error_message("not_chosen"))
        if not chosen and not self.chosen.errors:
            self.chosen.errors.append(error_message("no_fields"))
        self.clean_reason = _check(self.reason, clean_text, self.reason.data, required=True,
                                   field_name="reason_correction")

    def details(self) -> Correction:
        """The validated request for the service."""
        return Correction(tuple(self.changes), self.clean_reason)


for _name, _length in CORRECTABLE_FIELDS.items():
    setattr(CorrectionForm, f"new_{_name}", StringField(FIELD_LABELS[_name]))


class ErasureForm(_RequestForm):
    """Art 17: the reason is optional; the holds are shown before sending."""

    reason = TextAreaField(_l("Why do you want your data erased? (optional)"))
    submit = SubmitField(_l("Send erasure request"))

    def check(self) -> None:
        self.clean_reason = _check(self.reason, clean_text, self.reason.data, required=False,
                                   field_name="reason")

    def details(self) -> Erasure:
        """The validated request for the service."""
        return Erasure(self.clean_reason or "")


class ScopedForm(_RequestForm):
    """Art 18 restriction or Art 21(1) objection: what it covers and why."""

    scope = RadioField(_l("What does your request cover?"), choices=list(SCOPE_LABELS.items()),
                       validate_choice=False)
    purpose = TextAreaField(_l("The purpose you mean"))
    reason = TextAreaField(_l("Why?"))
    submit = SubmitField(_l("Send request"))

    def check(self) -> None:
        if self.scope.data not in SCOPE_LABELS:
            self.scope.errors.append(error_message("scope"))
        self.clean_purpose = _check(self.purpose, clean_text, self.purpose.data,
                                    required=self.scope.data == "purpose", field_name="purpose")
        self.clean_reason = _check(self.reason, clean_text, self.reason.data, required=True,
                                   field_name="reason")

    def details(self) -> Scoped:
        """The validated request for the service."""
        return Scoped(self.scope.data, self.clean_reason, self.clean_purpose or "")


class MessageForm(FlaskForm):
    """A message to customer service in a request's thread."""

    body = TextAreaField(_l("Your message"))
    submit = SubmitField(_l("Send message"))

    def validate(self, extra_validators=None) -> bool:
        """CSRF, then the service's text check."""
        ok = super().validate(extra_validators)
        self.clean_body = _check(self.body, clean_text, self.body.data, required=True,
                                 max_length=TEXT_MAX, field_name="body")
        return ok and not self.body.errors


class ConfirmEmailForm(FlaskForm):
    """Confirm a correction's new email address (the button on the page the link opens)."""

    submit = SubmitField(_l("Confirm this address"))


class CancelForm(FlaskForm):
    """Cancel a request still waiting for handling."""

    submit = SubmitField(_l("Yes, cancel this request"))
