"""axe-core finds no serious or critical WCAG 2.1 A/AA problem on any page, in Finnish and English,
on a phone (390×844) and a desktop (1280×800).

Every page a person meets is opened as they would reach it, in one browser context per role,
language and screen: the public pages, the log-in's second step, the staff commitment, the
customer's pages and the staff pages (a11y_pages.AXE_PAGES). A full-page screenshot of each goes
to test-artifacts/axe/, with a JSON list of everything axe reported (best-practice and minor
findings too, which do not fail the test). test_every_page_route_is_checked fails when the app
has a GET page that the list neither opens nor leaves out with a reason.

The module serves a portal of its own (the demo register with its requests) as production
serves it: the checks file a correction, invite a staff member and make recovery codes, and
no other test should see those. It overrides `live_server`, so `new_context` opens contexts on
it and, like the other production-mode browser tests, it runs in the PostgreSQL pass.
"""

from __future__ import annotations

import json
import re
import time

import pytest

from portal.demo import ADMIN_EMAIL, STAFF_EMAIL
from tests.browser.a11y_pages import (
    AXE_PAGES,
    EXCLUDED,
    LANGS,
    REFERENCE,
    Site,
    log_in_password,
    open_as,
    submit,
)
from tests.browser.axe import AXE_JS, add_axe, axe_source, run_axe, write_report
from tests.browser.conftest import _context_factory, activation_link
from tests.browser.pages import LIISA, MATTI, PEKKA, PHONE, enter_code, header_rows, path_of
from tests.serving import ROOT

pytestmark = pytest.mark.browser

VIEWPORTS = {"phone": PHONE, "desktop": {"viewport": {"width": 1280, "height": 800}}}
NEW_STAFF = "uusi.kasittelija@esimerkki.example"
NEW_EMAIL = "liisa.uusi@esimerkki.example"


@pytest.fixture(scope="module")
def live_server(tmp_path_factory, redis_server, served_smtp):
    """This module's portal, served as in production, with the authenticator secrets `flask demo` printed."""
    from tests import serving

    workdir = tmp_path_factory.mktemp("axe")
    env = {"PORTAL_RATELIMIT_STORAGE_URI": f"{redis_server.url}/3", "PORTAL_MAIL_SERVER": "127.0.0.1",
           "PORTAL_MAIL_PORT": str(served_smtp.port), "PORTAL_PROXY_COUNT": "1",
           "PORTAL_OUTBOX_SEND_IMMEDIATELY": "1"}
    with serving.portal_server(
            workdir, production=True, extra_env=env, gunicorn_args=("--workers", "2"),
            database_url=serving.served_database_url("portal_served_axe", workdir)) as served:
        served.smtp = served_smtp
        assert set(served.secrets) == {STAFF_EMAIL, ADMIN_EMAIL}, served.secrets
        yield served


@pytest.fixture(scope="module")
def axe() -> str:
    """axe.min.js from node_modules (missing fails the module, with how to install it)."""
    return axe_source()


@pytest.fixture(scope="module")
def site(browser, live_server, axe) -> Site:
    """The logged-in sessions, references and emailed links the pages need, made once."""
    opener, contexts = _context_factory(browser, live_server)
    try:
        yield prepare_site(live_server, lambda **options: opener(**VIEWPORTS["desktop"], **options))
    finally:
        for context in contexts:
            context.close()


def mailed_link(site: Site, address: str, pattern: str, timeout: float = 10.0) -> str:
    """The newest link matching `pattern` in a mail to `address`."""
    deadline = time.monotonic() + timeout
    while True:
        for recipients, message in reversed(site.server.smtp.messages()):
            found = re.search(pattern, message.get_body(("plain",)).get_content())
            if address in recipients and found and found.group(0).startswith(f"{site.server.url}/"):
                return found.group(0)  # this module's portal: the mail server is shared
        assert time.monotonic() < deadline, f"no mail with {pattern} to {address}"
        time.sleep(0.1)


def prepare_site(server, open_context) -> Site:
    """Log each role in once, find the references and fetch the emailed links the pages need."""
    site = Site(server)
    for role, email in (("reviewer", STAFF_EMAIL), ("staff", ADMIN_EMAIL)):
        page = open_context().new_page()
        log_in_password(page, email)
        enter_code(page, server.secrets[email])
        site.sessions[role] = page.context.storage_state()
    page.goto("/staff/")
    for name, who in (("erasure", "Pekka Mallinen"), ("correction", "Maija Meikäläinen")):
        row = page.locator("main table tbody tr").filter(has_text=who)
        site.refs[name] = row.get_by_role("link", name=REFERENCE).inner_text().strip()
    page.goto("/staff/admin")  # the invitation gives the activation page a real link
    submit(page, "form[action$='/invite']", email=NEW_STAFF, role="reviewer")
    site.links["activate"] = activation_link(server, NEW_STAFF)

    page = open_context().new_page()
    log_in_password(page, MATTI)
    site.sessions["customer"] = page.context.storage_state()
    page.goto("/account/requests")
    for ref in page.get_by_role("link", name=REFERENCE).all_inner_texts():
        page.goto(f"/account/requests/{ref}")
        decided = page.locator("a[href$='/letter']").count() > 0
        site.refs["decided" if decided else "open"] = ref

    page = open_context().new_page()  # a correction of the email address mails a confirmation link
    log_in_password(page, LIISA)
    page.goto("/account/requests/new/correction")
    submit(page, chosen="email", new_email=NEW_EMAIL, reason="Osoitteeni vaihtui.")
    assert REFERENCE.search(path_of(page)), page.url
    site.links["confirm"] = mailed_link(site, NEW_EMAIL, r"https?://\S+/account/confirm-email/[\w.\-]+")

    page = open_context().new_page()
    page.goto("/reset")
    submit(page, email=PEKKA)
    site.links["reset"] = mailed_link(site, PEKKA, r"https?://\S+/reset/[\w.\-]+")
    assert {"open", "decided", "erasure", "correction"} <= site.refs.keys(), site.refs
    return site


def test_axe_core_is_installed_at_the_pinned_version():
    """node_modules holds the axe-core that package-lock.json pins (`npm ci` after a version bump)."""
    axe_source()
    pinned = json.loads((ROOT / "package-lock.json").read_text())["packages"]["node_modules/axe-core"]
    installed = json.loads((AXE_JS.parent / "package.json").read_text())["version"]
    assert installed == pinned["version"], (
        f"node_modules has axe-core {installed}, package-lock.json pins {pinned['version']}: "
        "run `npm ci --no-audit --no-fund --ignore-scripts`")


def test_every_page_route_is_checked(app):
    """A GET rule of the app is opened by AXE_PAGES or excluded with a reason: no page slips through."""
    checked = {visit.rule for visits in AXE_PAGES.values() for visit in visits if visit.rule}
    pages = {rule.rule for rule in app.url_map.iter_rules() if "GET" in rule.methods}
    missing = sorted(pages - checked - EXCLUDED.keys())
    assert not missing, (f"GET pages that no accessibility check opens: {missing}. Add a visit to "
                         "AXE_PAGES in tests/browser/a11y_pages.py, or to EXCLUDED with the reason")
    stale = sorted((checked | EXCLUDED.keys()) - pages)
    assert not stale, f"AXE_PAGES or EXCLUDED name rules the app no longer has: {stale}"
    assert not checked & EXCLUDED.keys(), checked & EXCLUDED.keys()


@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("role", AXE_PAGES)
def test_no_serious_or_critical_axe_violations(role, lang, viewport, site, new_context, axe, artifacts):
    context = add_axe(new_context(**VIEWPORTS[viewport], **open_as(site, role, lang)), axe)
    page = context.new_page()
    found = []
    crowded = []  # pages whose header takes more than two rows on the phone
    shots = artifacts / "axe"
    shots.mkdir(exist_ok=True)
    for visit in AXE_PAGES[role]:
        name = f"{role}-{visit.name}-{lang}-{viewport}"
        expected = visit.go(page, site, lang)
        assert path_of(page) == expected, f"{name}: expected {expected}, the browser is on {page.url}"
        shown = page.locator("html").get_attribute("lang")
        assert shown == lang or visit.own_language and shown in LANGS, f"{name}: in {shown}, not {lang}"
        found += run_axe(page, name)
        if viewport == "phone" and len(rows := header_rows(page)) > 2:
            crowded.append(f"{name}: {rows}")
        page.screenshot(path=shots / f"{name}.png", full_page=True, scale="css")
    write_report(shots / f"{role}-{lang}-{viewport}.json", found)
    failing = [v.describe() for v in found if v.fails]
    for line in (v.describe() for v in found if not v.fails):
        print("not failing:", line)
    assert not failing, "axe found serious or critical WCAG problems:\n" + "\n".join(failing)
    assert not crowded, "the header takes more than two rows on a phone:\n" + "\n".join(crowded)
