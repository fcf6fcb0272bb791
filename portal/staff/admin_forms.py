"""Forms of the staff administration page."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, RadioField, SelectField, SubmitField
from wtforms.validators import Email, InputRequired, Length

from portal.i18n import lazy_gettext as _l

ROLE_CHOICES = (("reviewer", _l("Reviewer: handles requests")),
                ("admin", _l("Administrator: also manages staff, the look and the audit log")))


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class InviteStaffForm(FlaskForm):
    """Invite a new staff member by email."""

    email = EmailField(_l("Work email address"), filters=[_strip], validators=[
        InputRequired(_l("Enter the email address.")), Length(max=255),
        Email(_l("Enter a valid email address, for example name@example.com."),
              check_deliverability=False)])
    role = RadioField(_l("Role"), choices=ROLE_CHOICES, default="reviewer",
                      validators=[InputRequired(_l("Choose a role."))])
    language = SelectField(_l("Language of the invitation"), choices=(("fi", "suomi"), ("en", "English")),
                           default="fi")
    submit = SubmitField(_l("Send invitation"))


class RoleForm(FlaskForm):
    """Change one staff member's role."""

    role = SelectField(_l("Role"), choices=(("reviewer", _l("Reviewer")), ("admin", _l("Administrator"))),
                       validators=[InputRequired()])
    submit = SubmitField(_l("Change role"))


class ConfirmForm(FlaskForm):
    """A bare form with only its CSRF token: deactivate or reactivate."""
