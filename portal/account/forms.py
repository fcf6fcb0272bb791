"""Forms on the customer's pages."""

from flask_wtf import FlaskForm
from wtforms import SubmitField

from portal.i18n import lazy_gettext as _l


class EndSessionsForm(FlaskForm):
    """Log out on every other device."""

    submit = SubmitField(_l("Log out on other devices"))
