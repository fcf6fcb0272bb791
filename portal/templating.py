"""Template globals shared by every page."""

from __future__ import annotations

from flask import Flask, g
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _

from portal.extensions import db
from portal.phones import readable_phone
from portal.services.controller import get_settings
from portal.services.letters import decision_facts
from portal.words import WORDS

SUPERVISORY_AUTHORITY = {
    "name_fi": "Tietosuojavaltuutetun toimisto",
    "name_en": "Office of the Data Protection Ombudsman",
    "street": "Lintulahdenkuja 4, 00530 Helsinki",
    "postal": "PL 800, 00531 Helsinki",
    "phone": "029 566 6700",
    "email": "tietosuoja@om.fi",
    "web": "https://tietosuoja.fi",
}


def controller_settings():
    """The controller settings row, read once per request (None before `flask controller set`)."""
    if "controller_settings" not in g:
        g.controller_settings = get_settings(db.session)
    return g.controller_settings


def skip_settings() -> None:
    """Render the rest of this request with the neutral title: the database cannot be read."""
    g.controller_settings = None


def portal_brand() -> str:
    """The controller's name, or a neutral title before it is configured."""
    settings = controller_settings()
    return settings.name if settings else _("Privacy portal")


def portal_privacy_email() -> str:
    """Where customers can write about their data."""
    settings = controller_settings()
    return settings.privacy_email if settings else ""


def in_locale(locale: str, caller) -> str:
    """Render a template's `{% call in_locale(code) %}` block in `locale` (mail in two languages)."""
    with force_locale(locale):
        return caller()


def register(app: Flask) -> None:
    """Expose the helpers to Jinja."""
    app.jinja_env.globals.update(
        portal_brand=portal_brand,
        portal_privacy_email=portal_privacy_email,
        authority=SUPERVISORY_AUTHORITY,
        get_locale=get_locale,
        request_words=WORDS,
        in_locale=in_locale,
        decision_facts=decision_facts,
    )
    app.jinja_env.filters["phone"] = readable_phone
