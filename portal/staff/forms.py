"""Forms of the staff pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SubmitField
from wtforms.validators import InputRequired


class CommitmentForm(FlaskForm):
    """Accept the confidentiality commitment."""

    accept = BooleanField(_l("I have read the commitment and undertake to follow it"),
                          validators=[InputRequired(_l("Tick the box to accept the commitment."))])
    submit = SubmitField(_l("Accept and continue"))
