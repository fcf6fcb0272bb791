"""Language selection, locale-aware formatting and the language switch."""

from __future__ import annotations

import logging
import os
import tempfile
from datetime import date, datetime
from pathlib import Path

import flask_wtf.i18n
from babel import support
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, current_app, g, has_request_context, request, session
from flask_babel import (
    format_currency,
    format_date,
    format_datetime,
    get_locale,
    get_translations,
    to_user_timezone,
)
from flask_babel.speaklater import LazyString
from flask_login import current_user

from portal.extensions import babel


def select_locale() -> str:
    """The user's saved preference, else the switch's choice, else Accept-Language."""
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    languages = current_app.config["PORTAL_LANGUAGES"]
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    chosen = session.get("lang")
    if chosen in languages:
        return chosen
    return request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]


def money(cents: int | None) -> str:
    """Format euro cents for the current locale: 1 234,50 € / €1,234.50."""
    if cents is None:
        return ""
    return format_currency(cents / 100, "EUR")


# How people read dates: Finnish 22.11.2026 and "klo 4.10"; English day-month-year, never 11/22/26.
DATE_PATTERNS = {"fi": "d.M.y", "en": "d MMM y"}
DATETIME_PATTERNS = {"fi": "d.M.y 'klo' H.mm", "en": "d MMM y, HH:mm"}


def _pattern(patterns: dict[str, str]) -> str:
    return patterns.get(str(get_locale()), patterns["fi"])


def short_date(value: date | datetime | None) -> str:
    """A date as people read it here: 22.11.2026 / 22 Nov 2026."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = to_user_timezone(value).date()
    return format_date(value, _pattern(DATE_PATTERNS))


def short_datetime(value: datetime | None) -> str:
    """A date and time in Finnish time: 22.11.2026 klo 4.10 / 22 Nov 2026, 04:10."""
    return format_datetime(value, _pattern(DATETIME_PATTERNS)) if value else ""


log = logging.getLogger(__name__)


def ensure_compiled(directory: str) -> None:
    """Compile every .po newer than its .mo (the .mo files are build output, not committed).

    Each file is written to a temporary name and renamed, so parallel workers never read
    half a catalogue. A read-only install with up-to-date .mo files is left alone.
    """
    for po_path in Path(directory).glob("*/LC_MESSAGES/*.po"):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as handle:
            catalog = read_po(handle)
        try:
            fd, tmp = tempfile.mkstemp(dir=po_path.parent, suffix=".mo.tmp")
            with os.fdopen(fd, "wb") as out:
                write_mo(out, catalog)
            os.chmod(tmp, 0o644)
            os.replace(tmp, mo_path)
        except OSError as exc:
            log.warning("cannot compile %s: %s", po_path, exc)


def page_translations():
    """The catalogue for the current locale, found once per locale in each request.

    Flask-Babel looks the catalogue up again on every call (a page makes about a hundred);
    this keeps the one found with the locale object it was found for, so `force_locale`
    (mail rendered in the recipient's language) still switches it.
    """
    state = getattr(g, "_flask_babel", None) if g else None
    locale = getattr(state, "babel_locale", None)
    if locale is None:
        return get_translations()
    domain = getattr(state, "babel_domain", None)
    found = getattr(state, "portal_translations", None)
    if found is not None and found[0] is locale and found[1] is domain:
        return found[2]
    translations = get_translations()
    state.portal_translations = (locale, domain, translations)
    return translations


def page_gettext(string: str, **variables) -> str:
    """Flask-Babel's gettext through the catalogue `page_translations` keeps for the page."""
    text = page_translations().ugettext(string)
    return text % variables if variables else text


def lazy_gettext(string: str, **variables) -> LazyString:
    """A form label or word list translated when shown, in the language of the page showing it.

    Like Flask-Babel's, but through `page_translations`: a page shows dozens of these, and
    Flask-Babel's own looks the locale and the catalogue up again for each of them.
    """
    return LazyString(page_gettext, string, **variables)


_WTFORMS_CATALOGUES: dict[tuple[str, str], support.Translations] = {}


def _wtforms_translations() -> support.Translations | None:
    """WTForms' messages in the page's language, read from disk once per process and language.

    Flask-WTF reads and parses the catalogue file again on every request that shows a form.
    """
    if not has_request_context() or "babel" not in current_app.extensions:
        return None
    key = (flask_wtf.i18n.messages_path(), str(get_locale()))
    found = _WTFORMS_CATALOGUES.get(key)
    if found is None:
        found = _WTFORMS_CATALOGUES[key] = support.Translations.load(key[0], [key[1]], domain="wtforms")
    return found


def register(app: Flask) -> None:
    """Initialise Flask-Babel and add the formatting filters to Jinja."""
    directory = app.config["BABEL_TRANSLATION_DIRECTORIES"]
    ensure_compiled(directory)
    # Flask-WTF reads WTForms' own catalogues, whose Finnish is incomplete; ours is complete.
    flask_wtf.i18n.messages_path = lambda: directory
    flask_wtf.i18n._get_translations = _wtforms_translations
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.install_gettext_callables(
        gettext=lambda text: page_translations().ugettext(text),
        ngettext=lambda singular, plural, n: page_translations().ungettext(singular, plural, n),
        pgettext=lambda context, text: page_translations().upgettext(context, text),
        npgettext=lambda context, singular, plural, n: page_translations().unpgettext(
            context, singular, plural, n),
        newstyle=True)
    app.jinja_env.filters["money"] = money
    app.jinja_env.filters["short_date"] = short_date
    app.jinja_env.filters["short_datetime"] = short_datetime
    app.jinja_env.globals["languages"] = {"fi": "suomi", "en": "English"}
