"""Forms of the look page (/staff/look): the accent colour and the logo."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import StringField, SubmitField
from wtforms.validators import Length
from wtforms.widgets import ColorInput

from portal.i18n import lazy_gettext as _l
from portal.services.colours import DEFAULT_ACCENT


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class ColourForm(FlaskForm):
    """The accent colour, typed as #rrggbb or picked; an empty field means the portal's default."""

    accent_colour = StringField(_l("Accent colour"), filters=[_strip], validators=[Length(max=20)])
    picker = StringField(_l("Or pick it"), filters=[_strip], widget=ColorInput(), validators=[Length(max=20)])
    submit = SubmitField(_l("Save colour"))

    def chosen(self, current: str | None) -> str:
        """The colour asked for: the typed one if it was changed, else the picked one if that was.

        Both inputs start at the saved colour and, without JavaScript, both are sent.
        """
        typed, picked = self.accent_colour.data or "", self.picker.data or ""
        if typed.lower() != (current or "") or picked.lower() == (current or DEFAULT_ACCENT):
            return typed
        return picked


class LogoForm(FlaskForm):
    """Upload a logo (PNG or SVG); services/branding checks the file itself."""

    logo = FileField(_l("Logo file"), validators=[FileRequired(_l("Choose a PNG or SVG file."))])
    submit = SubmitField(_l("Upload logo"))


class RemoveLogoForm(FlaskForm):
    """A bare form with only its CSRF token: remove the logo."""
