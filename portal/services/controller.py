"""Reading and changing the controller's details."""

from __future__ import annotations

from datetime import date

from email_validator import EmailNotValidError, validate_email
from sqlalchemy.orm import Session
from stdnum.fi import ytunnus

from portal.models import ControllerSettings
from portal.models.settings import BILINGUAL_FIELDS, PLAIN_FIELDS
from portal.services.audit import record_audit
from portal.services.colours import MINIMUM_CONTRAST, ColourRefused, check_accent

ALLOWED_KEYS = set(PLAIN_FIELDS) | {f"{f}_{lang}" for f in BILINGUAL_FIELDS for lang in ("fi", "en")} | {
    "statement_date", "retention_years", "accent_colour"}


class SettingsError(ValueError):
    """The settings file had a value we cannot accept."""


def get_settings(session: Session) -> ControllerSettings | None:
    """The controller settings row, or None before anything is configured."""
    return session.get(ControllerSettings, 1)


def _clean(values: dict) -> dict:
    """Validate the values an operator gave; raise SettingsError on the first problem."""
    unknown = set(values) - ALLOWED_KEYS
    if unknown:
        raise SettingsError(f"unknown setting(s): {', '.join(sorted(unknown))}")
    cleaned = dict(values)
    for key, value in cleaned.items():
        if key not in {"statement_date", "retention_years"} and not isinstance(value, str):
            raise SettingsError(f"{key}: must be text")
        if isinstance(value, str):
            cleaned[key] = value.strip()
    if cleaned.get("business_id"):
        try:
            cleaned["business_id"] = ytunnus.format(ytunnus.validate(cleaned["business_id"]))
        except Exception as exc:  # stdnum raises several ValidationError subclasses
            raise SettingsError(f"business_id: not a valid Y-tunnus ({exc})") from exc
    for key in ("privacy_email", "contact_email"):
        if cleaned.get(key):
            try:
                cleaned[key] = validate_email(cleaned[key], check_deliverability=False).normalized
            except EmailNotValidError as exc:
                raise SettingsError(f"{key}: {exc}") from exc
    if "retention_years" in cleaned:
        years = cleaned["retention_years"]
        if not isinstance(years, int) or not 1 <= years <= 50:
            raise SettingsError("retention_years: a whole number of years between 1 and 50")
    if "accent_colour" in cleaned:
        cleaned["accent_colour"] = _accent(cleaned["accent_colour"])
    if "statement_date" in cleaned and not isinstance(cleaned["statement_date"], date):
        try:
            cleaned["statement_date"] = date.fromisoformat(str(cleaned["statement_date"]))
        except ValueError as exc:
            raise SettingsError("statement_date: use the form YYYY-MM-DD") from exc
    return cleaned


def _accent(value: str) -> str | None:
    """The accent colour as '#rrggbb' ('' means the portal's default); SettingsError if it fails AA."""
    if not value:
        return None
    try:
        return check_accent(value)
    except ColourRefused as exc:
        if exc.code == "colour_format":
            raise SettingsError("accent_colour: write the colour as #rrggbb, for example #0172ad") from exc
        raise SettingsError(
            f"accent_colour: {exc.colour} has a contrast of only {exc.ratio:.2f}:1 against white; "
            f"links and buttons need at least {MINIMUM_CONTRAST}:1 (WCAG AA). Choose a darker shade."
        ) from exc


def update_settings(session: Session, values: dict) -> ControllerSettings:
    """Create or update the controller settings from a mapping (validated, committed)."""
    cleaned = _clean(values)
    settings = get_settings(session)
    if settings is None:
        missing = {"name", "privacy_email"} - set(cleaned)
        if missing:
            raise SettingsError(f"missing required setting(s): {', '.join(sorted(missing))}")
        settings = ControllerSettings(id=1)
        session.add(settings)
    if "accent_colour" in cleaned and cleaned["accent_colour"] != settings.accent_colour:
        record_audit(session, "accent_colour_changed", actor_kind="system",
                     details={"accent_colour": cleaned["accent_colour"]})
    for key, value in cleaned.items():
        setattr(settings, key, value)
    session.commit()
    return settings
