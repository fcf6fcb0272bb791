"""Every page a person meets, by role, as the accessibility checks open them (test_accessibility.py).

A visit reaches one page (or one state of it: a form with its errors, a search's results) as a
person does, and returns the path the browser must then be on. The visits of a role run in
order in one browser context, so a visit may build on the one before it.

Roles and who plays them on the module's own portal:
- public: nobody logged in; reset, invitation and email-confirmation pages from real emailed links
- login: the reviewer between the password and the authenticator code
- reviewer: the demo reviewer before accepting the confidentiality commitment
- customer: Matti (a request in review with a thread, a denied one with its letter)
- staff: the demo administrator (reviewer and administrator)
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from playwright.sync_api import Page, expect

from portal.demo import DEMO_PASSWORD, STAFF_EMAIL
from tests.browser.pages import PEKKA, path_of, switch_language

LANGS = {"fi": {"locale": "fi-FI", "switch": "suomi"}, "en": {"locale": "en-GB", "switch": "English"}}
REFERENCE = re.compile(r"PR-\d{4}-\d{6,12}")

# GET rules no check opens, each with the reason.
EXCLUDED = {
    "/healthz": "plain-text liveness answer for the load balancer, not a page",
    "/static/<path:filename>": "stylesheets and images; axe checks them on every page that uses them",
    "/fs-static/<path:filename>": "Flask-Security's bundled JavaScript, unused",
    "/brand/logo": "the company's logo image; axe checks its alt text on every page that shows it",
    "/brand/theme.css": "the accent colour's stylesheet; axe checks the contrast on every page",
    "/account/export.json": "a download (JSON), not a page",
    "/account/export.zip": "a download (CSV files in a ZIP), not a page",
    "/account/requests/<ref>/letter.pdf": "a download (PDF), not a page",
    "/staff/requests/<ref>/letter.pdf": "a download (PDF), not a page",
    "/staff/audit.csv": "a download (CSV), not a page",
    "/staff/reports.csv": "a download (CSV), not a page",
    "/api/v1/openapi.json": "JSON for the company's systems",
    "/api/v1/handoffs": "JSON API for the company's systems (API key, no browser session)",
    "/login/method": "choosing between second-step methods; with the authenticator app the only one, "
                     "Flask-Security sends the browser on to /login",
}


@dataclass
class Site:
    """What the pages need, made once on the module's portal: sessions, references, links."""

    server: object
    sessions: dict[str, dict] = field(default_factory=dict)
    refs: dict[str, str] = field(default_factory=dict)
    links: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Visit:
    """One page (or state of a page) to check: its name, the URL rule it covers, how to reach it."""

    name: str
    rule: str | None
    go: Callable[[Page, Site, str], str]
    own_language: bool = False  # a decision letter stays in the language it was written in


def open_as(site: Site, role: str, lang: str) -> dict:
    """Browser-context options for `role` in `lang`: the role's saved session, if it has one."""
    options = {"locale": LANGS[lang]["locale"]}
    if role in site.sessions:
        options["storage_state"] = site.sessions[role]
    return options


def use_language(page: Page, lang: str) -> None:
    """Switch to `lang` with the header's switch unless the page is in it already."""
    if page.locator("html").get_attribute("lang") != lang:
        switch_language(page, LANGS[lang]["switch"])


def at(path: str | Callable[[Site], str], switch: bool = True) -> Callable[[Page, Site, str], str]:
    """A visit that opens `path` (or the path made from the site), switched to the right language."""

    def go(page: Page, site: Site, lang: str) -> str:
        target = path(site) if callable(path) else path
        page.goto(target)
        if switch:
            use_language(page, lang)
        return target.split("?")[0]

    return go


def submit(page: Page, form: str = "main form", **values: str) -> None:
    """Fill the fields of `form` by their names (ticking boxes and radios) and send it."""
    scope = page.locator(form).first
    for name, value in values.items():
        box = scope.locator(f"[name={name}]")
        if box.first.get_attribute("type") in ("checkbox", "radio"):
            box.and_(page.locator(f"[value='{value}']")).check()
        else:
            box.fill(value)
    scope.locator("button[type=submit]").first.click()
    page.wait_for_load_state("load")


def log_in_password(page: Page, email: str) -> None:
    """The log-in form's first step, by field names (works in either language)."""
    page.goto("/login")
    submit(page, email=email, password=DEMO_PASSWORD)


# --- visits that do more than open a page -----------------------------------------------------

def failed_login(page: Page, site: Site, lang: str) -> str:
    """The log-in form after a wrong password, with its message (an address nobody has).

    The four contexts make four failures within a minute from one address: the limit is five.
    """
    page.goto("/login")
    submit(page, email="nobody@esimerkki.example", password="Wrong-password-123")
    return "/login"


def reset_asked(page: Page, site: Site, lang: str) -> str:
    """The reset page's answer after asking for a link."""
    page.goto("/reset")
    submit(page, email=PEKKA)
    return "/reset"


def access_asked(page: Page, site: Site, lang: str) -> str:
    """'Check your email' after asking for an invitation."""
    page.goto("/get-access")
    submit(page, email="anna.testinen@esimerkki.example")
    expect(page.locator("input[name=email]")).to_have_count(0)
    return "/get-access"


def link(name: str) -> Callable[[Site], str]:
    """The path of the emailed link `name`."""
    return lambda site: re.sub(r"^https?://[^/]+", "", site.links[name])


def password_step(page: Page, site: Site, lang: str) -> str:
    """The reviewer's password accepted: the page asking for the authenticator code."""
    page.context.clear_cookies()
    log_in_password(page, STAFF_EMAIL)
    return "/login/code"


def wrong_code(page: Page, site: Site, lang: str) -> str:
    """The code page after a wrong code, with its message."""
    page.goto("/login/code")
    submit(page, code="000000")
    return "/login/code"


def commitment_refused(page: Page, site: Site, lang: str) -> str:
    """The commitment sent without the box ticked: the error next to the box."""
    submit(page)
    return "/staff/commitment"


def request_errors(page: Page, site: Site, lang: str) -> str:
    """A restriction sent empty: the summary and each field's message."""
    page.goto("/account/requests/new/restriction")
    submit(page)
    return "/account/requests/new/restriction"


def authenticator_chosen(page: Page, site: Site, lang: str) -> str:
    """Two-step set-up after choosing the authenticator app: the QR code and the code field."""
    page.goto("/account/two-step")
    submit(page, setup="authenticator")
    expect(page.locator("input[autocomplete='one-time-code']")).to_be_visible()
    return "/account/two-step"


def record_errors(page: Page, site: Site, lang: str) -> str:
    """'Record a request' sent empty: every field's message."""
    page.goto("/staff/requests/new")
    submit(page)
    return "/staff/requests/new"


def customer_found(page: Page, site: Site, lang: str) -> str:
    """The customer search's results."""
    page.goto("/staff/customers")
    submit(page, q="Meikäläinen")
    return "/staff/customers"


def customer_purpose(page: Page, site: Site, lang: str) -> str:
    """From the results to a customer: first the question why."""
    page.locator("#matches a[href^='/staff/customers/']").first.click()
    expect(page.locator("input[name=reason]").first).to_be_visible()
    return path_of(page)


def customer_shown(page: Page, site: Site, lang: str) -> str:
    """The customer's data, once the purpose is given."""
    submit(page, reason="customer_contact", note="Asiakas soitti.")
    expect(page.locator("input[name=reason]")).to_have_count(0)
    return path_of(page)


def audit_found(page: Page, site: Site, lang: str) -> str:
    """The audit log's search results (every entry)."""
    page.goto("/staff/audit")
    submit(page)
    return "/staff/audit"


def codes_made(page: Page, site: Site, lang: str) -> str:
    """New recovery codes, shown once."""
    page.goto("/account/recovery-codes")
    submit(page)
    expect(page.locator(".recovery-codes code").first).to_be_visible()
    return "/account/recovery-codes"


def _ref(name: str, suffix: str = "", base: str = "/account/requests/") -> Callable[[Site], str]:
    return lambda site: f"{base}{site.refs[name]}{suffix}"


SECURITY = [
    Visit("password", "/account/password", at("/account/password")),
    Visit("two-step", "/account/two-step", at("/account/two-step")),
    Visit("two-step-authenticator", None, authenticator_chosen),
    Visit("recovery-codes", "/account/recovery-codes", at("/account/recovery-codes")),
    Visit("verify", "/verify", at("/verify")),
]

AXE_PAGES: dict[str, list[Visit]] = {
    "public": [
        Visit("front", "/", at("/")),
        Visit("privacy", "/privacy", at("/privacy")),
        Visit("login", "/login", at("/login")),
        Visit("login-failed", None, failed_login),
        Visit("forgot-password", "/reset", at("/reset")),
        Visit("forgot-password-sent", None, reset_asked),
        Visit("reset-password", "/reset/<token>", at(link("reset"))),
        Visit("get-access", "/get-access", at("/get-access")),
        Visit("get-access-sent", None, access_asked),
        Visit("activate", "/activate/<token>", at(link("activate"))),
        Visit("confirm-email", "/account/confirm-email/<token>", at(link("confirm"))),
        Visit("confirm-email-invalid", None, at("/account/confirm-email/not-a-real-link")),
        Visit("not-found", None, at("/no-such-page")),
    ],
    "login": [
        Visit("code", "/login/code", password_step),
        Visit("code-wrong", None, wrong_code),
        Visit("code-help", "/login/code/help", at("/login/code/help")),
        Visit("recovery", "/login/recovery", at("/login/recovery")),
    ],
    "reviewer": [
        Visit("commitment", "/staff/commitment", at("/staff/commitment")),
        Visit("commitment-refused", None, commitment_refused),
    ],
    "customer": [
        Visit("my-data", "/account", at("/account")),
        Visit("requests", "/account/requests", at("/account/requests")),
        *(Visit(f"new-{kind}", "/account/requests/new/<kind>" if kind == "correction" else None,
                at(f"/account/requests/new/{kind}"))
          for kind in ("correction", "erasure", "restriction", "objection")),
        Visit("new-restriction-errors", None, request_errors),
        Visit("request-thread", "/account/requests/<ref>", at(_ref("open"))),
        Visit("request-decided", None, at(_ref("decided"))),
        Visit("letter", "/account/requests/<ref>/letter", at(_ref("decided", "/letter"), switch=False), True),
        Visit("marketing", "/account/marketing", at("/account/marketing")),
        Visit("export", "/account/export", at("/account/export")),
        *SECURITY,
        Visit("forbidden", None, at("/staff/")),
    ],
    "staff": [
        Visit("queue", "/staff/", at("/staff/")),
        Visit("review-thread", "/staff/requests/<ref>", at(_ref("open", base="/staff/requests/"))),
        Visit("review-erasure", None, at(_ref("erasure", base="/staff/requests/"))),
        Visit("review-correction", None, at(_ref("correction", base="/staff/requests/"))),
        Visit("review-decided", None, at(_ref("decided", base="/staff/requests/"))),
        Visit("letter", "/staff/requests/<ref>/letter",
              at(_ref("decided", "/letter", "/staff/requests/"), switch=False), True),
        Visit("record", "/staff/requests/new", at("/staff/requests/new")),
        Visit("record-errors", None, record_errors),
        Visit("customers", "/staff/customers", at("/staff/customers")),
        Visit("customers-found", None, customer_found),
        Visit("customer-purpose", "/staff/customers/<int:customer_id>", customer_purpose),
        Visit("customer", None, customer_shown),
        Visit("audit", "/staff/audit", at("/staff/audit")),
        Visit("audit-results", None, audit_found),
        Visit("admin", "/staff/admin", at("/staff/admin")),
        Visit("look", "/staff/look", at("/staff/look")),
        Visit("reports", "/staff/reports", at("/staff/reports")),
        *SECURITY,
        Visit("recovery-codes-made", None, codes_made),
    ],
}
