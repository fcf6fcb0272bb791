"""Language selection, locale-aware formatting and the language switch."""

from __future__ import annotations

from datetime import date, datetime

from flask import Flask, current_app, request, session
from flask_babel import format_currency, format_date, format_datetime
from flask_login import current_user

from portal.extensions import babel


def select_locale() -> str:
    """The user's saved preference, else the switch's choice, else Accept-Language."""
    languages = current_app.config["PORTAL_LANGUAGES"]
    user = current_user if current_user else None
    if user is not None and user.is_authenticated and user.locale in languages:
        return user.locale
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
        return format_datetime(value, "short")
    return format_date(value, "short")


def register(app: Flask) -> None:
    """Initialise Flask-Babel and add the formatting filters to Jinja."""
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.filters["money"] = money
    app.jinja_env.filters["short_date"] = short_date
    app.jinja_env.globals["languages"] = {"fi": "suomi", "en": "English"}
