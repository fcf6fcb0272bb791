"""A customer's whole journey through the self-service rights in Chromium, as production serves it.

Maija (Finnish) and Matti (English) log in, read My data, download their data, switch a marketing
prohibition on and off, file requests, follow and cancel one, get the emails and log out. Pekka
(Finnish, a debt in collection) asks for erasure. A phone-sized pass checks that the pages fit.

These tests change customers' requests, so they run on a served portal of their own (one per
module, with the demo's requests loaded), not on the session's shared one.
"""

from __future__ import annotations

import csv
import io
import json
import re
import time
import zipfile
from datetime import date

import pytest
from babel.dates import format_date
from playwright.sync_api import Page, expect

from portal.models.types import utcnow
from portal.services.requests import add_month, helsinki_date
from tests.browser.conftest import _context_factory
from tests.browser.pages import MAIJA, MATTI, PEKKA, PHONE, log_in, path_of, text_of

pytestmark = pytest.mark.browser

REFERENCE = re.compile(r"PR-\d{4}-\d{6}")
SHOTS = "/tmp/journey-{}.png"
DESKTOP = {"viewport": {"width": 1280, "height": 800}}


@pytest.fixture(scope="module")
def journey_server(tmp_path_factory, redis_server, served_smtp):
    """The portal as production serves it, with the full demo, for this module alone."""
    from tests.serving import portal_server, served_database_url

    workdir = tmp_path_factory.mktemp("journey")
    env = {"PORTAL_RATELIMIT_STORAGE_URI": f"{redis_server.url}/1", "PORTAL_MAIL_SERVER": "127.0.0.1",
           "PORTAL_MAIL_PORT": str(served_smtp.port), "PORTAL_PROXY_COUNT": "1",
           "PORTAL_OUTBOX_SEND_IMMEDIATELY": "1"}
    with portal_server(workdir, production=True, extra_env=env, gunicorn_args=("--workers", "2"),
                       database_url=served_database_url("portal_served_journey", workdir)) as served:
        served.smtp = served_smtp
        yield served


@pytest.fixture
def open_context(browser, journey_server):
    """Open browser contexts on this module's server (desktop size unless told)."""
    opener, contexts = _context_factory(browser, journey_server)
    yield lambda **options: opener(**{**DESKTOP, **options})
    for context in contexts:
        context.close()


# --- what the customer does -------------------------------------------------------------------

def shoot(page: Page, name: str) -> None:
    """A full-page screenshot for a human to look at."""
    page.wait_for_load_state("load")
    page.screenshot(path=SHOTS.format(name), full_page=True)


def assert_fits_width(page: Page) -> None:
    """Nothing on the page needs scrolling sideways."""
    page.wait_for_load_state("load")
    width = page.evaluate("""() => ({
        scroll: document.documentElement.scrollWidth, inner: window.innerWidth,
        wide: [...document.body.querySelectorAll('*')]
          .filter(el => el.getBoundingClientRect().right > window.innerWidth + 1)
          .map(el => el.tagName + ' "' + el.textContent.trim().slice(0, 40) + '"').slice(-3)})""")
    assert width["scroll"] <= width["inner"], (path_of(page), width)


def heading(page: Page, text: str) -> None:
    """The page's main heading reads `text`."""
    expect(page.get_by_role("heading", level=1)).to_have_text(text)


def flash(page: Page):
    """The message shown at the top after an action went through."""
    return page.locator(".flash[role=status]")


def filed_reference(page: Page, received: str) -> str:
    """After sending a form: the new request's page, and its reference from the heading."""
    expect(flash(page)).to_contain_text(received)
    match = REFERENCE.search(page.get_by_role("heading", level=1).inner_text())
    assert match, page.get_by_role("heading", level=1).inner_text()
    assert path_of(page) == f"/account/requests/{match.group(0)}"
    return match.group(0)


def download(page: Page, link: str) -> tuple[str, bytes]:
    """Click the download link `link`; the file's suggested name and its bytes."""
    with page.expect_download() as info:
        page.get_by_role("button", name=link, exact=True).click()
    got = info.value
    assert got.failure() is None, got.failure()
    with open(got.path(), "rb") as handle:
        return got.suggested_filename, handle.read()


def check_downloads(page: Page, words: dict, person_csv: dict[str, str]) -> None:
    """Download the JSON and the ZIP and look inside as the person would."""
    page.get_by_role("link", name=words["download"]).first.click()
    heading(page, words["download"])
    name, body = download(page, words["json"])
    assert name.startswith(words["stem"]) and name.endswith(".json"), name
    data = json.loads(body)
    assert data["schema_version"] == 1
    for key in ("first_name", "last_name"):
        assert data["person"][key] == person_csv[key]

    name, body = download(page, words["zip"])
    assert name.startswith(words["stem"]) and name.endswith(".zip"), name
    archive = zipfile.ZipFile(io.BytesIO(body))
    assert archive.testzip() is None
    person = archive.read("person.csv")
    assert person.startswith(b"\xef\xbb\xbf"), "no BOM: Excel would show the letters wrong"
    rows = dict(row for row in csv.reader(io.StringIO(person.decode("utf-8-sig")), delimiter=";")
                if len(row) == 2)
    for key, value in person_csv.items():  # with ä and ö, read as a spreadsheet reads UTF-8 with a BOM
        assert rows[key] == value, (key, rows.get(key))
    tables = "".join(archive.read(n).decode("utf-8-sig") for n in archive.namelist() if n.endswith(".csv"))
    assert "Ã" not in tables, "ä or ö garbled in the CSV files"
    readme = archive.read("README.txt").decode("utf-8-sig")
    assert "LUEMINUT" in readme and "README" in readme, readme[:200]
    assert "sarakkeet" in readme and "columns" in readme


def toggle_marketing(page: Page, words: dict) -> None:
    """Switch a prohibition on, see it in the history as one's own change, switch it off."""
    page.get_by_role("link", name=words["change_marketing"]).first.click()
    heading(page, words["marketing"])
    box = page.get_by_label(words["box"], exact=True)
    expect(box).not_to_be_checked()
    box.check()
    page.get_by_role("button", name=words["save"]).click()
    expect(flash(page)).to_have_text(words["prohibited_now"])
    expect(box).to_be_checked()
    newest = page.locator("#history tbody tr").first
    expect(newest).to_contain_text(words["channel"])
    expect(newest).to_contain_text(words["prohibited"])
    expect(newest.locator("td").last).to_have_text(words["you"])

    box.uncheck()
    page.get_by_role("button", name=words["save"]).click()
    expect(flash(page)).to_have_text(words["allowed_now"])
    expect(box).not_to_be_checked()
    expect(newest).to_contain_text(words["allowed"])
    expect(newest.locator("td").last).to_have_text(words["you"])


def open_new(page: Page, words: dict, kind: str) -> None:
    """From the navigation to My requests, then the link to a new request of `kind`."""
    page.get_by_role("navigation").get_by_role("link", name=words["my_data"]).click()
    page.locator("#summary").get_by_role("link", name=words["my_requests"]).click()
    heading(page, words["my_requests"])
    page.locator("#new").get_by_role("link", name=words[kind], exact=True).click()
    heading(page, words[kind])


def cancel(page: Page, words: dict, reference: str) -> None:
    """On the request's page: open 'cancel', confirm, and see it cancelled."""
    page.get_by_text(words["cancel"], exact=True).click()
    page.get_by_role("button", name=words["confirm_cancel"]).click()
    expect(flash(page)).to_have_text(words["cancelled_flash"].format(reference))
    expect(page.locator(".badge")).to_have_text(words["cancelled"])
    expect(page.get_by_text(words["cancel"], exact=True)).to_have_count(0)


def shown_date(day: date, lang: str) -> re.Pattern:
    """A date as the page shows it: 22.11.2026 in Finnish, 22 Nov 2026 in English."""
    if lang == "fi":
        return re.compile(rf"^{day.day}\.{day.month}\.{day.year}$")
    return re.compile(rf"^{re.escape(format_date(day, 'd MMM y', locale='en'))}$")


def assert_listed(page: Page, words: dict, rows: dict[str, tuple], lang: str) -> None:
    """My requests lists each reference with its summary, status, received and due dates."""
    page.get_by_role("link", name=words["back_to_list"]).click()
    heading(page, words["my_requests"])
    today = helsinki_date(utcnow())
    for reference, (summary, status) in rows.items():
        row = page.get_by_role("row").filter(has=page.get_by_role("link", name=reference, exact=True))
        expect(row).to_have_count(1)
        cells = row.get_by_role("cell")
        expect(cells.nth(1)).to_have_text(summary)
        expect(cells.nth(2)).to_have_text(status)
        expect(cells.nth(3)).to_have_text(shown_date(today, lang))
        if status in (FI["cancelled"], EN["cancelled"]):
            expect(cells.nth(4)).to_have_text("–")  # nothing is due on a cancelled request
        else:
            expect(cells.nth(4)).to_have_text(shown_date(add_month(today), lang))


def mails_about(server, since: int, address: str, reference: str, count: int, timeout: float = 10.0):
    """The messages to `address` whose subject names `reference`, once `count` have arrived."""
    deadline = time.monotonic() + timeout
    while True:
        found = [m for rcpt, m in server.smtp.messages()[since:]
                 if address in rcpt and reference in m["Subject"]]
        if len(found) >= count or time.monotonic() > deadline:
            assert len(found) == count, (reference, [m["Subject"] for m in found])
            return found
        time.sleep(0.1)


def assert_mail(message, subject: str, greeting: str, lang: str) -> None:
    """One email: its subject, the greeting in the person's language and an HTML part in it."""
    assert message["Subject"] == subject
    assert greeting in message.get_body(("plain",)).get_content()
    assert f'<html lang="{lang}">' in message.get_body(("html",)).get_content()


def log_out(page: Page, words: dict) -> None:
    """Press 'log out' and find My data closed."""
    page.get_by_role("button", name=words["log_out"], exact=True).click()
    expect(page.get_by_role("navigation").get_by_role("link", name=words["log_in"])).to_be_visible()
    page.goto("/account")
    assert path_of(page) == "/login"


FI = {
    "my_data": "Omat tiedot", "my_requests": "Omat pyynnöt", "download": "Lataa tietosi",
    "json": "Lataa JSON-tiedosto", "zip": "Lataa ZIP-tiedosto", "stem": "omat-tiedot-",
    "change_marketing": "Muuta markkinointivalintoja", "marketing": "Markkinointikiellot",
    "box": "Kiellän suoramainonnan", "save": "Tallenna valinnat", "channel": "Suoramainonta",
    "prohibited_now": "Emme enää käytä tietojasi suoramainontaan.",
    "allowed_now": "Voimme taas käyttää tietojasi suoramainontaan.",
    "prohibited": "Kielletty", "allowed": "Sallittu", "you": "Sinä",
    "correction": "Pyydä meitä korjaamaan tietosi", "erasure": "Pyydä meitä poistamaan tietosi",
    "restriction": "Pyydä meitä rajoittamaan tietojesi käsittelyä",
    "objection": "Vastusta tietojesi käsittelyä",
    "received": "Saimme pyyntösi", "cancel": "Peru pyyntö", "confirm_cancel": "Kyllä, peru pyyntö",
    "cancelled_flash": "Pyyntösi {} on peruttu.", "cancelled": "peruttu", "pending": "odottaa käsittelyä",
    "back_to_list": "Takaisin omiin pyyntöihin", "log_out": "Kirjaudu ulos", "log_in": "Kirjaudu sisään",
    "send_request": "Lähetä pyyntö",
}
EN = {
    "my_data": "My data", "my_requests": "My requests", "download": "Download your data",
    "json": "Download JSON file", "zip": "Download ZIP file", "stem": "my-data-",
    "change_marketing": "Change marketing choices", "marketing": "Marketing prohibitions",
    "box": "I prohibit market and opinion research", "save": "Save choices",
    "channel": "Market and opinion research",
    "prohibited_now": "We will no longer use your data for market and opinion research.",
    "allowed_now": "We may again use your data for market and opinion research.",
    "prohibited": "Prohibited", "allowed": "Allowed", "you": "You",
    "correction": "Ask us to correct your data", "erasure": "Ask us to erase your data",
    "restriction": "Ask us to restrict the processing of your data",
    "objection": "Object to the processing of your data",
    "received": "We received your request", "cancel": "Cancel this request",
    "confirm_cancel": "Yes, cancel this request", "cancelled_flash": "Your request {} is cancelled.",
    "cancelled": "cancelled", "pending": "waiting for handling", "back_to_list": "Back to my requests",
    "log_out": "Log out", "log_in": "Log in", "send_request": "Send request",
}


def test_finnish_customer_downloads_sets_marketing_files_follows_and_cancels_requests(
        open_context, journey_server):
    since = len(journey_server.smtp.messages())
    page = open_context(locale="fi-FI").new_page()
    log_in(page, MAIJA, lang="fi")
    heading(page, "Omat tiedot")
    summary = text_of(page, "#summary")
    assert "Lyhyesti" in summary
    assert "Voimassa olevat kieltosi: etämyynti." in summary, summary
    assert "Sinulla ei ole avoimia laskuja." in summary, summary
    existing = REFERENCE.findall(summary)
    assert len(existing) == 1, summary  # the demo's open correction of phone and street address
    shoot(page, "desktop-fi-my-data")

    check_downloads(page, FI, {"first_name": "Maija", "last_name": "Meikäläinen"})
    page.get_by_role("link", name="Takaisin Omat tiedot -sivulle").click()
    toggle_marketing(page, FI)
    shoot(page, "desktop-fi-marketing")

    # Correction: a bad phone number first; the error is next to the field, the reason kept.
    open_new(page, FI, "correction")
    reason = "Numeroni vaihtui lokakuussa, ja postinumero on väärin."
    page.get_by_label("Puhelinnumero", exact=True).check()
    phone = page.get_by_label("Oikea tieto: puhelinnumero")
    phone.fill("040 12 ab")
    basis = page.get_by_label("Mikä on väärin, ja millä perusteella tieto pitää korjata?")
    basis.fill(reason)
    page.get_by_role("button", name="Lähetä korjauspyyntö").click()
    expect(page.get_by_role("alert")).to_have_text(
        "Tarkista alla merkityt kohdat. Mitään ei ole vielä lähetetty.")
    expect(phone).to_have_attribute("aria-invalid", "true")
    expect(phone).to_have_accessible_description(
        "Anna kelvollinen puhelinnumero, esim. 040 123 4567 tai +46 70 123 4567.")
    expect(phone).to_have_value("040 12 ab")
    expect(basis).to_have_value(reason)
    shoot(page, "desktop-fi-correction-error")

    # A good number: refused, since the demo's open request already corrects the phone number.
    phone.fill("040 765 4321")
    page.get_by_role("button", name="Lähetä korjauspyyntö").click()
    expect(page.get_by_role("alert")).to_contain_text(re.compile(  # the case of "puhelinnumero": see report
        rf"Sinulla on jo avoin korjauspyyntö, joka koskee näitä tietoja: [Pp]uhelinnumero \({existing[0]}\)"))
    expect(page.get_by_role("link", name=f"Avaa pyyntö {existing[0]}")).to_be_visible()

    page.get_by_label("Puhelinnumero", exact=True).uncheck()
    phone.fill("")
    page.get_by_label("Postinumero", exact=True).check()
    page.get_by_label("Oikea tieto: postinumero").fill("33200")
    page.get_by_role("button", name="Lähetä korjauspyyntö").click()
    correction = filed_reference(page, FI["received"])
    expect(page.locator("#asked")).to_contain_text("33200")
    shoot(page, "desktop-fi-request-detail")

    open_new(page, FI, "restriction")
    page.get_by_label("Markkinointi", exact=True).check()
    page.get_by_label("Miksi?").fill("Älkää käyttäkö tietojani markkinointiin, kunnes korjaus on tehty.")
    page.get_by_role("button", name=FI["send_request"]).click()
    restriction = filed_reference(page, FI["received"])

    open_new(page, FI, "objection")
    page.get_by_label("Käsittelyn tarkoitus, jonka kuvaan alla", exact=True).check()
    page.get_by_label("Käsittelyn tarkoitus", exact=True).fill("Ostohistoriani käyttö asiakaskyselyihin")
    page.get_by_label("Miksi?").fill("En halua, että ostoksiani käytetään kyselyihin.")
    page.get_by_role("button", name=FI["send_request"]).click()
    objection = filed_reference(page, FI["received"])

    assert_listed(page, FI, {correction: ("Tietojesi oikaisu: postinumero", FI["pending"]),
                             restriction: ("Käsittelyn rajoittaminen: markkinointi", FI["pending"]),
                             # the words for a described purpose may change (see report); the kind may not
                             objection: (re.compile(r"^Käsittelyn vastustaminen: "), FI["pending"])}, "fi")
    shoot(page, "desktop-fi-requests")
    page.get_by_role("link", name=restriction, exact=True).click()
    heading(page, f"Pyyntö {restriction}")
    cancel(page, FI, restriction)
    assert_listed(page, FI, {restriction: ("Käsittelyn rajoittaminen: markkinointi", FI["cancelled"])}, "fi")

    for reference in (correction, restriction, objection):
        received = mails_about(journey_server, since, MAIJA, reference,
                               2 if reference == restriction else 1)[0]
        assert_mail(received, f"Saimme pyyntösi {reference}", "Hei Maija,", "fi")
    [_, cancelled] = mails_about(journey_server, since, MAIJA, restriction, 2)
    assert_mail(cancelled, f"Pyyntösi {restriction} on peruttu", "Hei Maija,", "fi")

    log_out(page, FI)


def test_finnish_erasure_shows_the_collection_hold_and_replaces_an_open_request(open_context, journey_server):
    since = len(journey_server.smtp.messages())
    page = open_context(locale="fi-FI").new_page()
    log_in(page, PEKKA, lang="fi")
    heading(page, "Omat tiedot")
    assert "Lasku L-2022-0312 on perinnässä." in text_of(page, "#summary")

    open_new(page, FI, "erasure")
    holds = page.locator("#holds")
    expect(holds).to_contain_text("Laskusi on perinnässä. Säilytämme perintään tarvittavat tiedot, "
                                  "kunnes perintä päättyy.")
    expect(holds).to_contain_text("perinnän päättymiseen asti")
    expect(holds).to_contain_text("L-2022-0312")
    shoot(page, "desktop-fi-erasure")
    reason = "En ole enää asiakkaanne."
    page.get_by_label("Miksi haluat tietosi poistettavan? (vapaaehtoinen)").fill(reason)
    page.get_by_role("button", name="Lähetä poistopyyntö").click()

    # The demo's own erasure request is still open: the new one is refused, with a way to it.
    expect(page.get_by_role("alert")).to_contain_text("Sinulla on jo avoin samanlainen pyyntö (PR-")
    old = REFERENCE.search(page.get_by_role("alert").inner_text()).group(0)
    page.get_by_role("link", name=f"Avaa pyyntö {old}").click()
    heading(page, f"Pyyntö {old}")
    expect(page.locator("#asked")).to_contain_text("Kun lähetit pyynnön, kerroimme, mitä säilytetään:")
    cancel(page, FI, old)

    open_new(page, FI, "erasure")
    page.get_by_label("Miksi haluat tietosi poistettavan? (vapaaehtoinen)").fill(reason)
    page.get_by_role("button", name="Lähetä poistopyyntö").click()
    new = filed_reference(page, FI["received"])
    asked = page.locator("#asked")
    expect(asked).to_contain_text("Kun lähetit pyynnön, kerroimme, mitä säilytetään:")
    expect(asked).to_contain_text("perinnän päättymiseen asti")
    expect(asked).to_contain_text(reason)
    assert_listed(page, FI, {new: ("Tietojesi poistaminen", FI["pending"])}, "fi")
    expect(page.get_by_role("row").filter(has_text=old)).to_contain_text(FI["cancelled"])

    [cancelled] = mails_about(journey_server, since, PEKKA, old, 1)
    assert_mail(cancelled, f"Pyyntösi {old} on peruttu", "Hei Pekka,", "fi")
    [received] = mails_about(journey_server, since, PEKKA, new, 1)
    assert_mail(received, f"Saimme pyyntösi {new}", "Hei Pekka,", "fi")
    log_out(page, FI)


def test_english_customer_downloads_sets_marketing_files_follows_and_cancels_requests(
        open_context, journey_server):
    since = len(journey_server.smtp.messages())
    page = open_context().new_page()
    log_in(page, MATTI)
    heading(page, "My data")
    summary = text_of(page, "#summary")
    assert "In brief" in summary
    assert "You allow all marketing." in summary, summary
    assert "Restriction of processing" in summary, summary  # the demo's restriction in review
    shoot(page, "desktop-en-my-data")

    check_downloads(page, EN, {"first_name": "Matti", "last_name": "Virtanen",
                              "organisation": "Testiyhtiö Oy", "position": "Hankintapäällikkö"})
    page.get_by_role("link", name="Back to My data").click()
    toggle_marketing(page, EN)
    shoot(page, "desktop-en-marketing")

    open_new(page, EN, "correction")
    reason = "Our switchboard number changed in October."
    page.get_by_label("Phone number", exact=True).check()
    phone = page.get_by_label("Correct value: phone number")
    phone.fill("123")
    basis = page.get_by_label("What is wrong, and on what basis should it be corrected?")
    basis.fill(reason)
    page.get_by_role("button", name="Send correction request").click()
    expect(page.get_by_role("alert")).to_have_text(
        "Check the details marked below. Nothing has been sent yet.")
    expect(phone).to_have_accessible_description(
        "Enter a valid phone number, e.g. 040 123 4567 or +46 70 123 4567.")
    expect(phone).to_have_value("123")
    expect(basis).to_have_value(reason)
    shoot(page, "desktop-en-correction-error")
    phone.fill("+358 50 333 5555")
    page.get_by_role("button", name="Send correction request").click()
    correction = filed_reference(page, EN["received"])
    expect(page.locator("#asked")).to_contain_text("+358503335555")  # stored as E.164

    # The demo's restriction is in review, so a second one is refused with a link to it.
    open_new(page, EN, "restriction")
    page.get_by_label("Marketing", exact=True).check()
    page.get_by_label("Why?").fill("We are reviewing our suppliers.")
    page.get_by_role("button", name=EN["send_request"]).click()
    expect(page.get_by_role("alert")).to_contain_text("You already have an open request of this kind (PR-")
    expect(page.get_by_role("link", name=re.compile(r"^Open request PR-"))).to_be_visible()

    open_new(page, EN, "objection")
    page.get_by_label("All processing of my data", exact=True).check()
    page.get_by_label("Why?").fill("Our company is ending the customer relationship.")
    page.get_by_role("button", name=EN["send_request"]).click()
    objection = filed_reference(page, EN["received"])

    open_new(page, EN, "erasure")
    holds = page.locator("#holds")
    expect(holds).to_contain_text("You are a contact person of a company that is our customer.")
    expect(holds).to_contain_text("until your role as contact person ends")
    shoot(page, "desktop-en-erasure")
    page.get_by_role("button", name="Send erasure request").click()
    erasure = filed_reference(page, EN["received"])

    assert_listed(page, EN, {correction: ("Correction of your data: phone number", EN["pending"]),
                             objection: ("Objection to processing: all processing of the data",
                                         EN["pending"]),
                             erasure: ("Erasure of your data", EN["pending"])}, "en")
    shoot(page, "desktop-en-requests")
    page.get_by_role("link", name=erasure, exact=True).click()
    heading(page, f"Request {erasure}")
    shoot(page, "desktop-en-request-detail")
    cancel(page, EN, erasure)
    assert_listed(page, EN, {erasure: ("Erasure of your data", EN["cancelled"])}, "en")

    for reference in (correction, objection, erasure):
        received = mails_about(journey_server, since, MATTI, reference, 2 if reference == erasure else 1)[0]
        assert_mail(received, f"We received your request {reference}", "Hello Matti,", "en")
    cancelled = mails_about(journey_server, since, MATTI, erasure, 2)[1]
    assert_mail(cancelled, f"Your request {erasure} is cancelled", "Hello Matti,", "en")
    log_out(page, EN)


@pytest.mark.parametrize(("email", "lang", "words"), [(MAIJA, "fi", FI), (MATTI, "en", EN)],
                         ids=["finnish", "english"])
def test_phone_pass_every_page_fits_the_screen(open_context, email, lang, words):
    page = open_context(locale="fi-FI" if lang == "fi" else "en-GB", **PHONE).new_page()
    page.goto("/login")
    assert_fits_width(page)
    shoot(page, f"phone-{lang}-login")
    log_in(page, email, lang=lang)
    heading(page, words["my_data"])
    assert_fits_width(page)
    shoot(page, f"phone-{lang}-my-data")

    page.locator("#summary").get_by_role("link", name=words["my_requests"]).click()
    heading(page, words["my_requests"])
    assert_fits_width(page)
    shoot(page, f"phone-{lang}-requests")
    page.locator("#your-requests").get_by_role("link", name=REFERENCE).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(REFERENCE)
    assert_fits_width(page)
    shoot(page, f"phone-{lang}-request-detail")

    for kind in ("correction", "erasure", "objection"):
        open_new(page, words, kind)
        assert_fits_width(page)
        shoot(page, f"phone-{lang}-{kind}")

    page.get_by_role("navigation").get_by_role("link", name=words["my_data"]).click()
    page.locator("#summary").get_by_role("link", name=words["change_marketing"]).click()
    heading(page, words["marketing"])
    assert_fits_width(page)
    shoot(page, f"phone-{lang}-marketing")
