"""Decision letters: the customer's written decision as HTML and PDF, in the decision's language.

A letter is built from the request alone (reference, dates, the decision and its details), so
it still renders after the customer has been erased. For a denied correction the letter is the
seeds' "kirjallinen todistus" of the reasons; every denial and partial approval names the route
to the Data Protection Ombudsman (DESIGN §4.4, §7). Rendering needs the app (templates and
translations; `letter_html` also a request for the stylesheet's URL); never a commit.
WeasyPrint is imported only when a PDF is made: it loads Pango, which nothing else needs.
The company's logo is embedded as a data: URI and its accent colour comes in a second style
sheet (/brand/theme.css on screen, a data: URI in the PDF), so the PDF still needs no network.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

from flask import current_app, render_template, url_for
from flask_babel import force_locale
from sqlalchemy.orm import object_session

from portal.models import ControllerSettings, Customer, PrivacyRequest
from portal.services.branding import THEME_PATH, logo_data_uri
from portal.services.holds import Hold, Item

DECIDED = ("approved", "partially_approved", "denied")
LOCALES = ("fi", "en")
STYLESHEET = "letter.css"
FILENAME_STEMS = {"fi": "paatos", "en": "decision"}


class NoLetter(LookupError):
    """The request has no decision yet, so there is no letter."""


@dataclass(frozen=True)
class DecisionFacts:
    """What a decision did, in codes and dates the letter and the email put into words."""

    kind: str
    outcome: str
    locale: str
    corrected: tuple[str, ...] = ()  # correction: the fields changed
    not_corrected: tuple[str, ...] = ()  # correction: the fields asked for but not changed
    erased: tuple[Item, ...] = ()
    kept: tuple[Item, ...] = ()
    holds: tuple[Hold, ...] = ()
    purge_on: date | None = None
    scope: str | None = None  # restriction/objection in force: all, marketing or purpose
    purpose: str = ""
    recipients: tuple[str, ...] = ()  # Art 19: who was told

    @property
    def appeal(self) -> bool:
        """Not everything asked was granted: the letter names the Ombudsman route."""
        return self.outcome in ("denied", "partially_approved")

    @property
    def certificate(self) -> bool:
        """A denied correction: the letter is the written certificate of the reasons (seeds)."""
        return self.kind == "correction" and self.outcome == "denied"

    @property
    def did_something(self) -> bool:
        """True if the letter has anything to say under 'What we did'."""
        return bool(self.corrected or self.not_corrected or self.erased or self.kept
                    or self.scope or self.recipients)


def has_letter(request: PrivacyRequest) -> bool:
    """True once the request is decided (approved, partially approved or denied)."""
    return request.status in DECIDED and request.decided_at is not None


def letter_locale(request: PrivacyRequest) -> str:
    """The language of the letter: the customer's at decision time, else their language now."""
    chosen = (request.decision_details or {}).get("locale")
    if chosen in LOCALES:
        return chosen
    customer = request.customer
    account = customer.account if customer is not None else None
    for language in (getattr(account, "locale", None), getattr(customer, "language", None)):
        if language in LOCALES:
            return language
    return "fi"


def _items(codes) -> tuple[Item, ...]:
    """Known item codes in the register's order (unknown codes from older data are skipped)."""
    wanted = {str(code) for code in codes or ()}
    return tuple(item for item in Item if str(item) in wanted)


def decision_facts(request: PrivacyRequest) -> DecisionFacts:
    """The decision's details as the letter tells them (any missing key means 'nothing of that')."""
    details = request.decision_details or {}
    asked = [change.get("field") for change in (request.details or {}).get("changes", [])]
    applied = tuple(details.get("applied") or ())
    erasure = details.get("erasure") or {}
    holds = tuple(Hold.from_json(values) for values in erasure.get("kept") or ())
    kept = _items({str(item) for hold in holds for item in hold.kept})
    flag = details.get("flag") or {}
    purge_on = erasure.get("purge_on")
    return DecisionFacts(
        kind=request.kind, outcome=request.status, locale=letter_locale(request),
        corrected=applied, not_corrected=tuple(f for f in asked if f and f not in applied),
        erased=_items(erasure.get("erased")), kept=kept, holds=holds,
        purge_on=date.fromisoformat(purge_on) if purge_on else None,
        scope=flag.get("scope") if request.status != "denied" else None,
        purpose=flag.get("purpose") or "",
        recipients=tuple(n["recipient"] for n in details.get("notices") or () if n.get("recipient")))


def _addressee(request: PrivacyRequest) -> Customer | None:
    """The person the letter is addressed to; None once erased (the letter then names the reference)."""
    customer = request.customer
    return customer if customer is not None and customer.erased_at is None else None


def _accent(settings: ControllerSettings | None) -> str | None:
    """The company's accent colour, if one is chosen."""
    return settings.accent_colour if settings is not None else None


def _render(request: PrivacyRequest, settings: ControllerSettings | None, stylesheet: str,
            accent_stylesheet: str | None) -> str:
    """The letter's HTML in its own language, linking the style sheets; NoLetter if undecided."""
    if not has_letter(request):
        raise NoLetter(request.reference)
    facts = decision_facts(request)
    session = object_session(request)
    logo = logo_data_uri(session) if session is not None and settings is not None else None
    with force_locale(facts.locale):
        return render_template("letters/decision.html", req=request, facts=facts, settings=settings,
                               addressee=_addressee(request), stylesheet=stylesheet,
                               accent_stylesheet=accent_stylesheet, logo=logo)


def letter_html(request: PrivacyRequest, settings: ControllerSettings | None) -> str:
    """The letter as a whole HTML page in its own language; NoLetter if undecided."""
    accent = _accent(settings)
    return _render(request, settings, url_for("static", filename=STYLESHEET),
                   f"{THEME_PATH}?v={accent[1:]}" if accent else None)


def static_only_fetcher(folder: Path):
    """A WeasyPrint URL fetcher that reads files in `folder` and nothing else: no network."""
    from weasyprint.urls import URLFetcher

    root = folder.resolve()

    class StaticOnlyFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            """Open `url` only if it is a file in the static folder or a data: URI; refuse anything else."""
            parts = urlsplit(url)
            if parts.scheme == "data":  # the letter's own logo and colour: no network, no file
                return super().fetch(url, headers)
            if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
                raise ValueError("decision letters load no remote resources")
            if not Path(url2pathname(parts.path)).resolve().is_relative_to(root):
                raise ValueError("decision letters load only the portal's static files")
            return super().fetch(url, headers)

    return StaticOnlyFetcher(allowed_protocols=("file", "data"), allow_redirects=False)


def letter_pdf(request: PrivacyRequest, settings: ControllerSettings | None) -> bytes:
    """The letter as an A4 PDF (WeasyPrint, local fonts, no network); NoLetter if undecided."""
    from weasyprint import HTML

    folder = Path(current_app.static_folder)
    accent = _accent(settings)
    accent_css = f":root {{ --brand-accent: {accent}; }}".encode() if accent else None
    html = _render(request, settings, (folder / STYLESHEET).as_uri(),
                   "data:text/css;base64," + base64.b64encode(accent_css).decode() if accent_css else None)
    return HTML(string=html, base_url=folder.as_uri() + "/",
                url_fetcher=static_only_fetcher(folder)).write_pdf()


def letter_filename(request: PrivacyRequest) -> str:
    """paatos-PR-2026-000042.pdf or decision-PR-2026-000042.pdf, by the letter's language."""
    return f"{FILENAME_STEMS[letter_locale(request)]}-{request.reference}.pdf"
