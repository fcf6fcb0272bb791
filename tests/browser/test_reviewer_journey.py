"""The staff reviewer's journey in Chromium, as production serves it (HTTPS, gunicorn, Redis, SMTP).

The reviewer logs in with an authenticator code, accepts the confidentiality commitment and
works the demo queue in Finnish and in English: approves Maija's correction (her data changes,
the recipient is told), Matti's restriction (the recipient is emailed), denies Liisa's
correction with reasons (she reads the letter and its PDF), approves Pekka's erasure with a
hold and Sanna's without, records Anna's phone request and extends it, and asks Maija a
question that she answers. The administrator then finds all of it in the audit log and checks
the chain. A phone-sized pass looks at the queue and a review page.

The tests run in file order on one served portal of their own: later ones read the state the
earlier ones left (the decisions, the audit entries). The reviewer and the administrator each
log in once; the other tests reuse their session, as a person keeps one browser open.
"""

from __future__ import annotations

import io
import re
import time
from datetime import date, timedelta

import pytest
from babel.dates import format_date
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from portal.demo import ADMIN_EMAIL, STAFF_EMAIL
from portal.models.types import utcnow
from portal.services.requests import add_month, helsinki_date
from tests.browser.conftest import _context_factory
from tests.browser.pages import (
    LIISA,
    MAIJA,
    MATTI,
    PEKKA,
    PHONE,
    enter_code,
    log_in,
    log_in_staff,
    path_of,
    switch_language,
    text_of,
)

pytestmark = pytest.mark.browser

ANNA = "anna.testinen@esimerkki.example"
SANNA = "sanna.salminen@esimerkki.example"
REFERENCE = re.compile(r"PR-\d{4}-\d{6}")
SHOTS = "/tmp/reviewer-{}.png"
DESKTOP = {"viewport": {"width": 1280, "height": 800}}

# What the tests found and did, for the tests after them (they run in file order).
REFS: dict[str, str] = {}
SESSIONS: dict[str, dict] = {}


@pytest.fixture(scope="module")
def reviewer_server(tmp_path_factory, redis_server, served_smtp):
    """The portal as production serves it, with the full demo, for this module alone.

    `flask demo` prints each staff member's authenticator secret; the fixture keeps them
    (served.secrets) as a person setting up their authenticator app would.
    """
    from tests import serving

    workdir = tmp_path_factory.mktemp("reviewer")
    env = {"PORTAL_RATELIMIT_STORAGE_URI": f"{redis_server.url}/2", "PORTAL_MAIL_SERVER": "127.0.0.1",
           "PORTAL_MAIL_PORT": str(served_smtp.port), "PORTAL_PROXY_COUNT": "1",
           "PORTAL_OUTBOX_SEND_IMMEDIATELY": "1"}
    with serving.portal_server(
            workdir, production=True, extra_env=env, gunicorn_args=("--workers", "2"),
            database_url=serving.served_database_url("portal_served_reviewer", workdir)) as served:
        served.smtp = served_smtp
        assert set(served.secrets) == {STAFF_EMAIL, ADMIN_EMAIL}, served.secrets
        yield served


@pytest.fixture
def open_context(browser, reviewer_server):
    """Open browser contexts on this module's server (desktop size unless told)."""
    opener, contexts = _context_factory(browser, reviewer_server)
    yield lambda **options: opener(**{**DESKTOP, **options})
    for context in contexts:
        context.close()


@pytest.fixture
def staff_page(open_context, reviewer_server):
    """A page of a staff member who is logged in (their first log-in's session, or a new one)."""

    def _open(email: str = STAFF_EMAIL, lang: str = "fi", **options) -> Page:
        context = open_context(locale="fi-FI", storage_state=SESSIONS.get(email), **options)
        page = context.new_page()
        page.goto("/staff/")
        if path_of(page) == "/login":
            log_in_staff(page, email, reviewer_server.secrets[email])
            if path_of(page) == "/staff/commitment":
                page.get_by_role("checkbox").check()
                page.get_by_role("button", name="Hyväksy ja jatka").click()
            SESSIONS[email] = context.storage_state()
        use_language(page, lang)
        return page

    return _open


# --- what the reviewer and the customers do ---------------------------------------------------

def use_language(page: Page, lang: str) -> None:
    """Switch the page to `lang` with the header's switch, unless it already shows it."""
    if page.locator("html").get_attribute("lang") != lang:
        switch_language(page, {"fi": "suomi", "en": "English"}[lang])


def shoot(page: Page, name: str) -> None:
    """A full-page screenshot for a human to look at."""
    page.wait_for_load_state("load")
    page.screenshot(path=SHOTS.format(name), full_page=True)


def heading(page: Page, text: str | re.Pattern) -> None:
    """The page's main heading reads `text`."""
    expect(page.get_by_role("heading", level=1)).to_have_text(text)


def flash(page: Page):
    """The message shown at the top after an action went through."""
    return page.locator(".flash[role=status]")


def status_badge(page: Page):
    """The request's status under the review page's heading."""
    return page.locator("hgroup .badge")


def fields_value(page: Page, term: str):
    """The value next to `term` in the page's list of details (dl.fields)."""
    return page.locator("dl.fields > dt", has_text=re.compile(rf"^{re.escape(term)}$")).locator(
        "xpath=following-sibling::dd[1]")


def open_review(page: Page, reference: str, lang: str) -> None:
    """Open a request's review page by its reference."""
    page.goto(f"/staff/requests/{reference}")
    heading(page, f"{'Pyyntö' if lang == 'fi' else 'Request'} {reference}")


def decide(page: Page, button: str) -> None:
    """Press one of the decision buttons (approve, deny, extend) on the review page."""
    page.locator("#decide").get_by_role("button", name=button, exact=True).click()


def reference_of(page: Page, name: str) -> str:
    """The reference of `name`'s one open request, as the queue lists it."""
    if name not in REFS:
        if path_of(page) != "/staff/":
            page.goto("/staff/")
        rows = page.locator("main table tbody tr").filter(has_text=name)
        expect(rows).to_have_count(1)
        REFS[name] = rows.get_by_role("link", name=REFERENCE).first.inner_text().strip()
    return REFS[name]


def customer_page(open_context, email: str, lang: str, **options) -> Page:
    """A customer logged in on a browser of their own, on My data."""
    page = open_context(locale="fi-FI" if lang == "fi" else "en-GB", **options).new_page()
    log_in(page, email, lang=lang)
    heading(page, "Omat tiedot" if lang == "fi" else "My data")
    return page


def mails(server, since: int, address: str, reference: str, count: int = 1, timeout: float = 10.0):
    """The messages to `address` whose subject names `reference`, once `count` have arrived."""
    deadline = time.monotonic() + timeout
    while True:
        found = [m for rcpt, m in server.smtp.messages()[since:]
                 if address in rcpt and reference in m["Subject"]]
        if len(found) >= count or time.monotonic() > deadline:
            assert len(found) == count, (address, reference, [m["Subject"] for m in found])
            return found
        time.sleep(0.1)


def pdf_text(page: Page) -> tuple[str, str]:
    """Download the decision letter's PDF from the request page: its file name and its text."""
    with page.expect_download() as info:
        page.locator("#decision").get_by_role("link", name=re.compile("PDF")).click()
    got = info.value
    assert got.failure() is None, got.failure()
    with open(got.path(), "rb") as handle:
        body = handle.read()
    assert body.startswith(b"%PDF-"), body[:20]
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(body)).pages)
    return got.suggested_filename, re.sub(r"\s+", " ", text)


def fi_date(day: date) -> str:
    """A date as the Finnish pages show it."""
    return f"{day.day}.{day.month}.{day.year}"


def en_date(day: date) -> str:
    """A date as the English pages show it (22 Nov 2026)."""
    return format_date(day, "medium", locale="en_GB")


WIDE_JS = """() => {
  const width = document.documentElement.clientWidth;
  // An element inside a box that scrolls or clips within the screen does not stick out.
  const contained = el => {
    for (let box = el.parentElement; box && box !== document.body; box = box.parentElement) {
      if (getComputedStyle(box).overflowX !== 'visible' && box.getBoundingClientRect().right <= width + 1) {
        return true;
      }
    }
    return false;
  };
  const wide = [...document.body.querySelectorAll('*')]
    .filter(el => el.getBoundingClientRect().right > width + 1 && !contained(el))
    .map(el => el.tagName + '.' + el.className + ' "' + el.textContent.trim().slice(0, 50) + '"');
  return {scroll: document.documentElement.scrollWidth, inner: width, wide: wide.slice(0, 3)};
}"""


def fits_width(page: Page) -> None:
    """Nothing on the page sticks out sideways (wide data tables scroll inside themselves)."""
    page.wait_for_load_state("load")
    width = page.evaluate(WIDE_JS)
    assert width["scroll"] <= width["inner"] + 1 and not width["wide"], (path_of(page), width)


# --- the journey --------------------------------------------------------------------------------

def test_reviewer_logs_in_with_a_code_accepts_the_commitment_and_sees_the_overdue_request_first(
        open_context, reviewer_server):
    context = open_context(locale="fi-FI")
    page = context.new_page()
    log_in(page, STAFF_EMAIL, lang="fi")
    assert path_of(page) == "/login/code"  # the password alone does not let staff in
    shoot(page, "desktop-fi-code")
    enter_code(page, reviewer_server.secrets[STAFF_EMAIL])

    # A new reviewer sees the commitment first, and nothing else opens before it is accepted.
    assert path_of(page) == "/staff/commitment"
    heading(page, "Salassapitositoumus")
    expect(page.locator("blockquote")).to_contain_text("Sitoudun pitämään salassa kaikki asiakasrekisterin")
    page.goto("/staff/requests/new")
    assert path_of(page) == "/staff/commitment"
    box = page.get_by_label("Olen lukenut sitoumuksen ja sitoudun noudattamaan sitä")
    page.get_by_role("button", name="Hyväksy ja jatka").click()
    expect(box).to_have_accessible_description("Hyväksy sitoumus valitsemalla ruutu.")
    expect(box).to_have_attribute("aria-invalid", "true")
    shoot(page, "desktop-fi-commitment-error")
    box.check()
    page.get_by_role("button", name="Hyväksy ja jatka").click()

    assert path_of(page) == "/staff/"
    heading(page, "Käsittelyjono")
    expect(page.get_by_role("navigation", name="Henkilöstön valikko")).to_be_visible()
    # The earliest deadline first: Anna's objection that came by letter is overdue.
    first = page.locator("main table tbody tr").first
    expect(first).to_contain_text("Anna Testinen")
    expect(first).to_contain_text(re.compile(r"\d+ päivää myöhässä"))
    for name in ("Maija Meikäläinen", "Matti Virtanen", "Liisa Esimerkki", "Pekka Mallinen",
                 "Sanna Salminen"):
        reference_of(page, name)
    shoot(page, "desktop-fi-queue")
    SESSIONS[STAFF_EMAIL] = context.storage_state()

    # The overdue request's own page says so too.
    page.locator("main table tbody tr").first.get_by_role("link", name=REFERENCE).first.click()
    expect(fields_value(page, "Määräaika")).to_contain_text(re.compile(r"\d+ päivää myöhässä"))


def test_finnish_correction_approved_changes_the_data_and_tells_the_recipient(
        staff_page, open_context, reviewer_server):
    since = len(reviewer_server.smtp.messages())
    page = staff_page(lang="fi")
    ref = reference_of(page, "Maija Meikäläinen")
    open_review(page, ref, "fi")
    expect(status_badge(page)).to_have_text("odottaa käsittelyä")
    diff = page.get_by_role("region", name="Pyydetyt muutokset")
    phone = diff.get_by_role("row").filter(has_text="Puhelinnumero")
    expect(phone.get_by_role("cell")).to_have_text(["Puhelinnumero", "+358 40 111 2222", "+358401112233",
                                                    "kelvollinen"])
    street = diff.get_by_role("row").filter(has_text="Katuosoite")
    expect(street.get_by_role("cell")).to_have_text(["Katuosoite", "Koivukuja 3 A 5", "Koivukuja 5 B 12",
                                                     "kelvollinen"])
    shoot(page, "desktop-fi-review-correction")

    decide(page, "Hyväksy")
    expect(flash(page)).to_have_text("Pyyntö on hyväksytty ja toteutettu.")
    expect(status_badge(page)).to_have_text("hyväksytty")
    decision = page.locator("#decision")
    expect(decision).to_contain_text(f"Päätetty {fi_date(helsinki_date(utcnow()))}")
    # Maija's data went to a billing service with no email address: the reviewer tells them.
    expect(decision).to_contain_text("Vastaanottajille ilmoitettu (19 artikla)")
    expect(decision.get_by_role("listitem")).to_have_text(
        "Laskutuspalvelu Esimerkki Oy: postitse tai puhelimitse, sinun toimestasi")
    expect(page.locator("#decide")).to_have_count(0)
    shoot(page, "desktop-fi-review-correction-approved")

    maija = customer_page(open_context, MAIJA, "fi")
    contact = text_of(maija, "main").replace(" ", "")
    assert "+358401112233" in contact and "+358401112222" not in contact, contact[:600]
    assert "Koivukuja5B12" in contact and "Koivukuja3A5" not in contact
    maija.goto(f"/account/requests/{ref}")
    expect(maija.locator("#decision")).to_contain_text("Päätetty")
    told = maija.locator("#decision")
    expect(told.get_by_role("heading", name="Kenelle kerroimme")).to_be_visible()
    expect(told.get_by_role("listitem")).to_have_text(
        "Laskutuspalvelu Esimerkki Oy: kerromme postitse tai puhelimitse")
    shoot(maija, "desktop-fi-customer-correction-approved")

    [mail] = mails(reviewer_server, since, MAIJA, ref)
    assert mail["Subject"] == f"Päätös pyyntöösi {ref}"
    assert '<html lang="fi">' in mail.get_body(("html",)).get_content()


def test_english_restriction_approved_flags_the_customer_and_emails_the_recipient(
        staff_page, open_context, reviewer_server):
    since = len(reviewer_server.smtp.messages())
    page = staff_page(lang="fi")
    ref = reference_of(page, "Matti Virtanen")
    open_review(page, ref, "fi")
    switch_language(page, "English")
    open_review(page, ref, "en")
    expect(status_badge(page)).to_have_text("in review")
    expect(page.locator("#asked")).to_contain_text("Covers: marketing")
    # The earlier question and Matti's answer are in the thread.
    expect(page.locator("#messages")).to_contain_text("Yes, the newsletter too, please.")

    decide(page, "Approve")
    expect(flash(page)).to_have_text("The request is approved and carried out.")
    expect(status_badge(page)).to_have_text("approved")
    decision = page.locator("#decision")
    expect(decision).to_contain_text("Recipients told (Art 19)")
    expect(decision.get_by_role("listitem")).to_have_text("Luottotieto Esimerkki Oy: by email")
    expect(page.locator("#flags")).to_contain_text("Processing restricted for marketing")
    shoot(page, "desktop-en-review-restriction-approved")

    [notice] = mails(reviewer_server, since, "asiakaspalvelu@luottotieto.example", ref)
    body = notice.get_body(("plain",)).get_content()
    assert "Matti Virtanen" in body, body
    [decided] = mails(reviewer_server, since, MATTI, ref)
    assert decided["Subject"] == f"Decision on your request {ref}"

    matti = customer_page(open_context, MATTI, "en")
    matti.goto(f"/account/requests/{ref}")
    told = matti.locator("#decision")
    expect(told.get_by_role("heading", name="Who we told")).to_be_visible()
    expect(told.get_by_role("listitem")).to_have_text(
        f"Luottotieto Esimerkki Oy: told by email on {en_date(helsinki_date(utcnow()))}")


def test_english_denial_needs_reasons_and_the_customers_read_their_letters(
        staff_page, open_context, reviewer_server):
    since = len(reviewer_server.smtp.messages())
    page = staff_page(lang="en")
    ref = reference_of(page, "Liisa Esimerkki")
    open_review(page, ref, "en")
    expect(status_badge(page)).to_have_text("in review")

    reason = page.get_by_label("Reasons for the denial")
    decide(page, "Deny")
    expect(reason).to_have_accessible_description("Write the reasons: the customer's letter must give them.")
    expect(status_badge(page)).to_have_text("in review")
    shoot(page, "desktop-en-review-deny-error")
    why = "Emme ole vielä saaneet virkatodistusta, josta nimenmuutos näkyy."
    reason.fill(f"{why}\nKun toimitat sen, korjaamme nimesi.")
    decide(page, "Deny")
    expect(flash(page)).to_have_text("The request is denied. The customer gets the letter.")
    expect(status_badge(page)).to_have_text("denied")
    expect(page.locator("#decision")).to_contain_text(why)
    [mail] = mails(reviewer_server, since, LIISA, ref)
    assert mail["Subject"] == f"Päätös pyyntöösi {ref}"

    liisa = customer_page(open_context, LIISA, "fi")
    liisa.goto(f"/account/requests/{ref}")
    decision = liisa.locator("#decision")
    expect(decision).to_contain_text("hylätty")
    expect(decision).to_contain_text(why)
    expect(decision).to_contain_text("Tietosuojavaltuutetun toimisto")
    shoot(liisa, "desktop-fi-customer-denied")
    name, text = pdf_text(liisa)
    assert name == f"paatos-{ref}.pdf", name
    for words in (why, "Tietosuojavaltuutetun toimisto", ref, "Olemme hylänneet pyyntösi.",
                  "Liisa Esimerkki"):
        assert words in text, (words, text)

    # Matti's correction denied long ago: the letter in English.
    matti = customer_page(open_context, MATTI, "en")
    matti.get_by_role("navigation").get_by_role("link", name="My data").click()
    matti.locator("#summary").get_by_role("link", name="My requests").click()
    denied = matti.get_by_role("row").filter(has_text="denied")
    expect(denied).to_have_count(1)
    old = denied.get_by_role("link", name=REFERENCE).inner_text()
    denied.get_by_role("link", name=REFERENCE).click()
    expect(matti.locator("#decision")).to_contain_text("The Trade Register still shows the company name")
    name, text = pdf_text(matti)
    assert name == f"decision-{old}.pdf", name
    for words in ("Data Protection Ombudsman", old, "The Trade Register still shows", "Matti Virtanen"):
        assert words in text, (words, text)


def test_finnish_erasures_with_a_hold_and_without(staff_page, open_context, reviewer_server):
    since = len(reviewer_server.smtp.messages())
    page = staff_page(lang="fi")
    pekka, sanna = reference_of(page, "Pekka Mallinen"), reference_of(page, "Sanna Salminen")

    open_review(page, pekka, "fi")
    asked = page.locator("#asked")
    expect(asked).to_contain_text("Osittainen poisto: osa tiedoista on säilytettävä.")
    expect(asked).to_contain_text("Laskusi on perinnässä.")
    expect(asked).to_contain_text("L-2022-0312")
    shoot(page, "desktop-fi-review-erasure-hold")
    decide(page, "Hyväksy")
    expect(flash(page)).to_have_text("Pyyntö on hyväksytty ja toteutettu.")
    expect(status_badge(page)).to_have_text("osittain hyväksytty")
    expect(fields_value(page, "Asiakas")).to_have_text("Poistettu asiakas")
    decision = page.locator("#decision")
    # What is kept stays until the accounting books may go (see report: the date is not formatted).
    expect(decision).to_contain_text("Säilytetään poistopäivään 31.12.2032 asti")
    expect(decision.get_by_role("listitem")).to_have_text("Perintä Esimerkki Oy: sähköpostitse")
    shoot(page, "desktop-fi-review-erasure-partial")
    # The letter explains the partial result: what went, what stays and why.
    decision.get_by_role("link", name="Kirjallinen päätös").click()
    letter = text_of(page)
    for words in ("Olemme hyväksyneet pyyntösi osittain.", "Säilytämme seuraavat tiedot:", "laskusi",
                  "Laskusi on perinnässä.", "Lasku L-2022-0312", pekka):
        assert words in letter, (words, letter)
    shoot(page, "desktop-fi-letter-erasure-partial")
    mails(reviewer_server, since, "perinta@perinta.example", pekka)
    mails(reviewer_server, since, PEKKA, pekka)

    open_review(page, sanna, "fi")
    expect(page.locator("#asked")).to_contain_text("Kaikki voidaan poistaa: mikään peruste ei vaadi "
                                                   "säilyttämään tietoja.")
    decide(page, "Hyväksy")
    expect(flash(page)).to_have_text("Pyyntö on hyväksytty ja toteutettu.")
    expect(status_badge(page)).to_have_text("hyväksytty")
    expect(fields_value(page, "Asiakas")).to_have_text("Poistettu asiakas")
    expect(page.get_by_text("Sanna")).to_have_count(0)
    [mail] = mails(reviewer_server, since, SANNA, sanna)
    assert mail["Subject"] == f"Päätös pyyntöösi {sanna}"

    gone = open_context(locale="fi-FI").new_page()
    log_in(gone, SANNA, lang="fi")
    assert path_of(gone) == "/login"
    expect(gone.get_by_text("Sähköpostiosoite tai salasana on väärin.")).to_be_visible()


def record_request(page: Page, words: dict, customer: str, kind: str, channel: str, received: date,
                   reason: str, **extra) -> str:
    """Fill the 'record a request' form; the new request's review page and its reference."""
    page.get_by_role("navigation", name=words["staff_menu"]).get_by_role("link", name=words["record"]).click()
    heading(page, words["record"])
    page.get_by_label(words["customer"]).fill(customer)
    page.get_by_label(kind, exact=True).check()
    page.get_by_label(channel, exact=True).check()
    page.get_by_label(words["received_on"]).fill(received.isoformat())
    if "field" in extra:
        page.get_by_label(words["field"]).first.select_option(label=extra["field"])
        page.get_by_label(words["value"], exact=True).first.fill(extra["value"])
    if "scope" in extra:
        page.get_by_label(words["scope"]).select_option(label=extra["scope"])
    page.get_by_label(words["reason"]).fill(reason)
    page.get_by_role("button", name=words["submit"], exact=True).click()
    heading(page, re.compile(rf"^{words['request']} PR-"))
    return REFERENCE.search(page.get_by_role("heading", level=1).inner_text()).group(0)


RECORD_EN = {"staff_menu": "Staff menu", "record": "Record a request", "submit": "Record the request",
             "request": "Request",
             "customer": "Customer's email address or customer number", "received_on": "Date received",
             "field": "Detail to correct", "value": "Correct value", "scope": "What a restriction",
             "reason": "The customer's reasons, as they gave them"}
RECORD_FI = {"staff_menu": "Henkilöstön valikko", "record": "Kirjaa pyyntö", "submit": "Kirjaa pyyntö",
             "request": "Pyyntö",
             "customer": "Asiakkaan sähköpostiosoite tai asiakasnumero", "received_on": "Saapumispäivä",
             "field": "Korjattava tieto", "value": "Oikea tieto", "scope": "Mitä rajoittaminen",
             "reason": "Asiakkaan perustelut"}


def test_english_phone_request_recorded_then_extended_by_a_month(staff_page, reviewer_server):
    since = len(reviewer_server.smtp.messages())
    page = staff_page(lang="en")
    yesterday = helsinki_date(utcnow()) - timedelta(days=1)
    ref = record_request(page, RECORD_EN, ANNA, "Correction", "by phone", yesterday,
                         "Called: the house number is wrong.", field="Street address", value="Kuusitie 6")
    REFS["Anna Testinen (phone)"] = ref
    due = add_month(yesterday)
    expect(flash(page)).to_have_text(f"Request {ref} is recorded. The deadline is {en_date(due)}.")
    expect(fields_value(page, "Received")).to_contain_text(f"{en_date(yesterday)}, 12:00 · by phone")
    expect(fields_value(page, "Deadline")).to_contain_text(en_date(due))
    expect(page.locator("#asked").get_by_role("row").filter(has_text="Street address").get_by_role("cell")) \
        .to_have_text(["Street address", "Kuusitie 4", "Kuusitie 6", "valid"])

    decide(page, "Extend the deadline")  # nothing chosen: both fields say what is missing
    months = page.locator("#decide fieldset").filter(has_text="Extend by")
    expect(months).to_contain_text("Choose how long.")
    why = page.get_by_label("Why more time is needed (the customer is told)")
    expect(why).to_have_accessible_description("Write the reason: the customer must be told why.")
    expect(fields_value(page, "Deadline")).not_to_contain_text("extended")
    shoot(page, "desktop-en-review-extend-error")

    page.get_by_label("one month", exact=True).check()
    reason = "We must check the new address from the population register."
    why.fill(reason)
    decide(page, "Extend the deadline")
    expect(flash(page)).to_have_text("The deadline is extended. The customer has been told why.")
    expect(fields_value(page, "Deadline")).to_contain_text(
        f"{en_date(add_month(due))} (extended from {en_date(due)}: {reason})")
    expect(page.locator("#decide")).to_contain_text(
        "The deadline has been extended once; it cannot be extended again.")
    expect(page.locator("#decide").get_by_role("button", name="Extend the deadline")).to_have_count(0)
    shoot(page, "desktop-en-review-extended")
    [told] = mails(reviewer_server, since, ANNA, f"We need more time for your request {ref}")
    assert reason in told.get_body(("plain",)).get_content()


def test_finnish_clarification_is_answered_in_the_thread(staff_page, open_context, reviewer_server):
    since = len(reviewer_server.smtp.messages())
    page = staff_page(lang="fi")
    today = helsinki_date(utcnow())
    ref = record_request(page, RECORD_FI, MAIJA, "Käsittelyn rajoittaminen", "sähköpostitse", today,
                         "En halua, että tietojani käytetään markkinointiin.", scope="Markkinointi")
    REFS["Maija Meikäläinen (email)"] = ref
    expect(flash(page)).to_have_text(f"Pyyntö {ref} on kirjattu. Määräaika on {fi_date(add_month(today))}.")
    expect(fields_value(page, "Vastaanotettu")).to_contain_text("sähköpostitse")

    question = "Koskeeko rajoitus myös asiakaskirjettä, jonka lähetämme kerran vuodessa?"
    ask = page.locator("#messages").get_by_label(re.compile("^Kysy asiakkaalta"))
    page.get_by_role("button", name="Lähetä asiakkaalle").click()
    expect(ask).to_have_accessible_description("Kirjoita viesti.")
    ask.fill(question)
    page.get_by_role("button", name="Lähetä asiakkaalle").click()
    expect(flash(page)).to_have_text("Kysymyksesi on lähetetty asiakkaalle.")
    expect(page.locator("#messages article")).to_have_count(1)
    expect(page.locator("#messages article")).to_contain_text(question)
    mails(reviewer_server, since, MAIJA, ref, count=2)  # the receipt, then the question

    maija = customer_page(open_context, MAIJA, "fi")
    maija.goto(f"/account/requests/{ref}")
    thread = maija.locator("#messages")
    expect(thread.locator("article")).to_contain_text(question)
    answer = "Kyllä, myös asiakaskirjettä."
    thread.get_by_label("Viestisi").fill(answer)
    thread.get_by_role("button", name="Lähetä viesti").click()
    expect(flash(maija)).to_have_text("Viestisi on lähetetty.")
    expect(thread.locator("article").last).to_contain_text(answer)
    shoot(maija, "desktop-fi-customer-thread")

    page.reload()
    messages = page.locator("#messages article")
    expect(messages).to_have_count(2)
    expect(messages.last).to_contain_text(answer)
    expect(messages.last.locator("header")).to_contain_text("Asiakas")
    shoot(page, "desktop-fi-review-thread")


AUDITED = {  # action label (as the Finnish page shows it) -> whose references it must show
    "Pyyntö ratkaistu": ("Maija Meikäläinen", "Matti Virtanen", "Liisa Esimerkki", "Pekka Mallinen",
                         "Sanna Salminen"),
    "Asiakkaan tiedot poistettu": ("Pekka Mallinen", "Sanna Salminen"),
    "Määräaikaa jatkettu": ("Anna Testinen (phone)",),
    "Asiakkaan tietoja katsottu": ("Maija Meikäläinen", "Liisa Esimerkki", "Anna Testinen (phone)"),
}


def test_administrator_finds_the_work_in_the_audit_log_and_the_chain_is_intact(staff_page):
    missing = {name for names in AUDITED.values() for name in names} - set(REFS)
    assert not missing, f"run the whole module: the earlier tests make these requests {missing}"
    page = staff_page(ADMIN_EMAIL, lang="fi")
    menu = page.get_by_role("navigation", name="Henkilöstön valikko")
    menu.get_by_role("link", name="Tapahtumaloki").click()
    heading(page, "Tapahtumaloki")
    for label, names in AUDITED.items():
        page.get_by_role("combobox", name=re.compile(r"^Tapahtuma\b")).select_option(label=label)
        page.get_by_role("button", name="Hae", exact=True).click()
        rows = page.locator("#results tbody tr")
        expect(rows.first).to_be_visible()
        expect(rows.locator("td").nth(2)).to_have_text(label)
        listed = text_of(page, "#results")
        for name in names:
            assert REFS[name] in listed, (label, name, REFS[name], listed[:1500])
        assert STAFF_EMAIL in listed
    shoot(page, "desktop-fi-audit")

    page.get_by_role("link", name="Tarkista, että tapahtumaloki on eheä").click()
    expect(page.locator("#chain [role=status]")).to_contain_text(
        re.compile(r"^Tapahtumaloki on eheä: \d+ merkintää tarkistettu\."))
    expect(page.locator("#chain [role=alert]")).to_have_count(0)
    switch_language(page, "English")
    expect(page.locator("#chain [role=status]")).to_contain_text(
        re.compile(r"^The audit log is intact: \d+ entries checked\."))
    shoot(page, "desktop-en-audit-verified")


def test_phone_pass_over_the_queue_and_a_review_page_in_finnish(staff_page):
    page = staff_page(lang="fi", **PHONE)
    page.goto("/staff/")
    heading(page, "Käsittelyjono")
    shoot(page, "phone-fi-queue")  # first, so that a human can see what a failed check found
    fits_width(page)
    ref = REFS.get("Anna Testinen (phone)") or reference_of(page, "Anna Testinen")
    open_review(page, ref, "fi")
    expect(page.locator("#decide").get_by_role("button", name="Hyväksy", exact=True)).to_be_visible()
    shoot(page, "phone-fi-review")
    fits_width(page)
    page.goto("/staff/requests/new")
    heading(page, "Kirjaa pyyntö")
    shoot(page, "phone-fi-record")
    fits_width(page)
