"""Forms for getting access, activating an account and choosing the language."""

from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, PasswordField, SubmitField
from wtforms.validators import DataRequired, Email, EqualTo, Length

from portal.i18n import lazy_gettext as _l


class GetAccessForm(FlaskForm):
    """Ask for an invitation link by email address."""

    email = EmailField(
        _l("Email address"),
        validators=[
            DataRequired(message=_l("Enter your email address.")),
            Email(message=_l("Enter a valid email address, e.g. name@example.com."),
                  check_deliverability=False),
            Length(max=255),
        ],
    )
    submit = SubmitField(_l("Send me a link"))


class ActivateForm(FlaskForm):
    """Choose the first password."""

    password = PasswordField(
        _l("New password"), validators=[DataRequired(message=_l("Choose a password."))]
    )
    password_confirm = PasswordField(
        _l("Password again"),
        validators=[
            DataRequired(message=_l("Type the password again.")),
            EqualTo("password", message=_l("The passwords do not match.")),
        ],
    )
    submit = SubmitField(_l("Set password"))


class LanguageForm(FlaskForm):
    """The language switch shown on every page."""

    next = HiddenField()
