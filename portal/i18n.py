"""Language selection, locale-aware formatting and the language switch."""

from __future__ import annotations

import logging
import os
import tempfile
from datetime import date, datetime
from pathlib import Path

import flask_wtf.i18n
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, current_app, has_request_context, request, session
from flask_babel import format_currency, format_date, format_datetime, to_user_timezone
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


def short_date(value: date | datetime | None) -> str:
    """A date in the locale's short format (21.11.2026)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = to_user_timezone(value).date()
    return format_date(value, "short")


def short_datetime(value: datetime | None) -> str:
    """A date and time in the locale's short format, in the portal's time zone."""
    return format_datetime(value, "short") if value else ""


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


def register(app: Flask) -> None:
    """Initialise Flask-Babel and add the formatting filters to Jinja."""
    directory = app.config["BABEL_TRANSLATION_DIRECTORIES"]
    ensure_compiled(directory)
    # Flask-WTF reads WTForms' own catalogues, whose Finnish is incomplete; ours is complete.
    flask_wtf.i18n.messages_path = lambda: directory
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.filters["money"] = money
    app.jinja_env.filters["short_date"] = short_date
    app.jinja_env.filters["short_datetime"] = short_datetime
    app.jinja_env.globals["languages"] = {"fi": "suomi", "en": "English"}
