"""The company's own look: its logo (kept in the database) and its accent colour.

Hosts keep no local state, so the logo's bytes live in the `brand_logo` row and are served from
there (/brand/logo). The colour lives in the controller settings. Every change is checked
(logo_checks, colours), audited with codes only, and committed here.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass

from sqlalchemy.orm import Session, undefer

from portal.models import BrandLogo, ControllerSettings
from portal.models.types import utcnow
from portal.services.audit import record_audit
from portal.services.colours import ColourRefused, check_accent
from portal.services.controller import get_settings
from portal.services.logo_checks import LogoFacts, LogoRefused, check_logo

LOGO_PATH = "/brand/logo"
THEME_PATH = "/brand/theme.css"
# How the logo is drawn in page headers and emails: at most this tall and this wide (CSS px).
SHOWN_HEIGHT, SHOWN_MAX_WIDTH = 40, 240
_FACTS: dict[str, LogoFacts] = {}  # by sha256: a stored logo never changes under its hash


class BrandingRefused(ValueError):
    """A change to the look that cannot be made; `code` says why and `params` fill in the words."""

    def __init__(self, code: str, **params):
        super().__init__(code)
        self.code, self.params = code, params


@dataclass(frozen=True)
class LogoView:
    """How to show the stored logo: its type, a short version for URLs, and a size to draw it at."""

    media_type: str
    sha256: str
    width: int
    height: int

    @property
    def version(self) -> str:
        """The start of the hash: changes whenever the logo does (cache busting in URLs)."""
        return self.sha256[:12]

    @property
    def path(self) -> str:
        """The logo's address on this site, with its version (prefix it with PORTAL_BASE_URL in email)."""
        return f"{LOGO_PATH}?v={self.version}"


@dataclass(frozen=True)
class Brand:
    """The look a page, an email or a letter is drawn with."""

    colour: str | None  # None: the portal's default blue
    logo: LogoView | None


def _refused(error: LogoRefused | ColourRefused) -> BrandingRefused:
    """The check's refusal as ours, with the values the message needs."""
    if isinstance(error, ColourRefused):
        return BrandingRefused(error.code, colour=error.colour, ratio=error.ratio)
    return BrandingRefused(error.code, **error.params)


def _settings(session: Session) -> ControllerSettings:
    """The controller settings row; the look is part of it, so it must exist first."""
    settings = get_settings(session)
    if settings is None:
        raise BrandingRefused("settings_missing")
    return settings


def set_accent_colour(session: Session, value: str | None, *, actor=None,
                      actor_kind: str | None = None) -> bool:
    """Set the accent colour ('#rrggbb' reaching 4.5:1 on white) or clear it (None or ''); commits.

    Returns False when the colour was already that (nothing is written).
    """
    try:
        colour = check_accent(value) if value and value.strip() else None
    except ColourRefused as error:
        raise _refused(error) from error
    settings = _settings(session)
    if settings.accent_colour == colour:
        return False
    settings.accent_colour = colour
    record_audit(session, "accent_colour_changed", actor=actor, actor_kind=actor_kind,
                 details={"accent_colour": colour})
    session.commit()
    return True


def save_logo(session: Session, content: bytes, *, actor=None, actor_kind: str | None = None) -> LogoFacts:
    """Check and store a PNG or SVG logo in place of any earlier one; commits."""
    try:
        facts = check_logo(content)
    except LogoRefused as error:
        raise _refused(error) from error
    digest = hashlib.sha256(content).hexdigest()
    logo = session.get(BrandLogo, 1) or BrandLogo(id=1)
    logo.media_type, logo.content, logo.sha256, logo.uploaded_at = facts.media_type, content, digest, utcnow()
    session.add(logo)
    record_audit(session, "brand_logo_changed", actor=actor, actor_kind=actor_kind,
                 details={"media_type": facts.media_type, "bytes": len(content)})
    session.commit()
    _FACTS[digest] = facts
    return facts


def remove_logo(session: Session, *, actor=None, actor_kind: str | None = None) -> bool:
    """Remove the logo (pages show the company's name again); commits. False if there was none."""
    logo = session.get(BrandLogo, 1)
    if logo is None:
        return False
    session.delete(logo)
    record_audit(session, "brand_logo_removed", actor=actor, actor_kind=actor_kind, details={})
    session.commit()
    return True


def stored_logo(session: Session) -> BrandLogo | None:
    """The logo row with its bytes, or None."""
    return session.get(BrandLogo, 1, options=[undefer(BrandLogo.content)])


def _shown_size(facts: LogoFacts) -> tuple[int, int]:
    """The logo's size when drawn SHOWN_HEIGHT tall, narrowed to SHOWN_MAX_WIDTH if wider."""
    scale = min(SHOWN_HEIGHT / facts.height, SHOWN_MAX_WIDTH / facts.width)
    return max(1, round(facts.width * scale)), max(1, round(facts.height * scale))


def _facts(session: Session, digest: str) -> LogoFacts | None:
    """The stored logo's facts, measured once per process and logo (its bytes read only then)."""
    if digest not in _FACTS:
        logo = stored_logo(session)
        if logo is None or logo.sha256 != digest:
            return None
        if len(_FACTS) > 16:
            _FACTS.clear()
        try:
            _FACTS[digest] = check_logo(logo.content)
        except LogoRefused:  # stored before a stricter check: draw it square rather than fail
            _FACTS[digest] = LogoFacts(logo.media_type, 1, 1)
    return _FACTS[digest]


def brand(session: Session, settings: ControllerSettings | None) -> Brand:
    """The look for `settings` (None: the neutral default); the logo's facts came with them."""
    if settings is None:
        return Brand(None, None)
    row = settings.logo
    facts = _facts(session, row.sha256) if row else None
    logo = LogoView(row.media_type, row.sha256, *_shown_size(facts)) if facts else None
    return Brand(settings.accent_colour, logo)


def logo_data_uri(session: Session) -> str | None:
    """The logo as a data: URI (for letters: WeasyPrint needs no network for it), or None."""
    logo = stored_logo(session)
    if logo is None:
        return None
    return f"data:{logo.media_type};base64,{base64.b64encode(logo.content).decode('ascii')}"
