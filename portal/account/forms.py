"""Forms on the customer's pages."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SubmitField


class EndSessionsForm(FlaskForm):
    """Log out on every other device."""

    submit = SubmitField(_l("Log out on other devices"))
