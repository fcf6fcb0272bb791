"""'My data' shows everything the register holds on the logged-in customer, per locale."""

import re
from datetime import UTC, date, datetime

import pytest
from flask import url_for
from sqlalchemy import select

from portal.demo import CONTROLLER, DEMO_PASSWORD
from portal.extensions import db
from portal.models import MARKETING_CHANNELS, Customer, MarketingProhibition, PrivacyRequest
from portal.templating import SUPERVISORY_AUTHORITY as AUTHORITY
from tests.functional.helpers import LIISA, MAIJA, MATTI, PEKKA, page, switch_language, translated

NBSP = "\u00a0"


@pytest.fixture
def pekka_page(client, auth, demo):
    """Pekka's 'My data' page in English."""
    auth.login(PEKKA, DEMO_PASSWORD)
    switch_language(client, "en")
    return page(client.get("/account"))


def _text(html: str) -> str:
    """Visible text with tags removed and whitespace collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_shows_identity_and_contact_details(pekka_page):
    for value in ("Pekka", "Mallinen", PEKKA, "+358 45 777 8888", "Mäkipolku 2", "40100", "Jyväskylä"):
        assert value in pekka_page


def test_shows_orders_and_invoice_in_collection(pekka_page):
    assert "T-2022-0312" in pekka_page and "Kuntopyörä" in pekka_page
    assert "L-2022-0312" in pekka_page
    assert "In debt collection" in pekka_page


def test_shows_open_invoice_status(client, auth, demo):
    auth.login(LIISA, DEMO_PASSWORD)
    switch_language(client, "en")
    shown = page(client.get("/account"))
    assert "L-2026-0990" in shown
    assert re.search(r"L-2026-0990.*?>Open<", shown, re.S)


def test_shows_sources_and_disclosures(pekka_page):
    text = _text(pekka_page)
    assert "A purchase in our web shop" in text
    assert "A subcontractor providing the service (Kotiinkuljetus)" in text
    assert "Perintä Esimerkki Oy" in text
    assert "Debt collection" in text
    assert "Nimi, osoite, puhelin, laskun tiedot" in text


def test_shows_purposes_legal_basis_and_transfers(pekka_page):
    for key in ("purposes_en", "legal_basis_en", "transfers_en", "retention_en"):
        assert CONTROLLER[key] in pekka_page


def test_shows_deletion_date_ten_years_after_relationship_ended(client, auth, demo):
    auth.login(PEKKA, DEMO_PASSWORD)
    switch_language(client, "fi")
    text = _text(page(client.get("/account")))
    assert "30.6.2022" in text
    assert "30.6.2032" in text


def test_ongoing_relationship_has_no_fixed_deletion_date(client, auth, demo):
    auth.login(MAIJA, DEMO_PASSWORD)
    switch_language(client, "en")
    text = _text(page(client.get("/account")))
    assert "The relationship is ongoing" in text
    assert "10 years after the relationship ends" in text


def test_marketing_prohibitions_each_shown(client, auth, demo):
    auth.login(MAIJA, DEMO_PASSWORD)
    switch_language(client, "en")
    text = _text(page(client.get("/account")))
    assert "Distance selling: prohibited" in text
    for label in ("Direct advertising", "Direct marketing", "Market and opinion research",
                  "Publication in catalogues and on mailing labels"):
        assert f"{label}: allowed" in text


def test_company_contact_sees_organisation_and_quote(client, auth, demo):
    auth.login(MATTI, DEMO_PASSWORD)
    text = _text(page(client.get("/account")))
    for value in ("Testiyhtiö Oy", "Hankintapäällikkö", "2345678-0", "TA-2026-014",
                  "003723456780", "Luottotieto Esimerkki Oy"):
        assert value in text


def test_money_and_dates_in_finnish_format(client, auth, demo):
    auth.login(MATTI, DEMO_PASSWORD)
    switch_language(client, "fi")
    shown = page(client.get("/account"))
    assert f"6{NBSP}234,50{NBSP}€" in shown
    assert "9.4.2026" in shown


def test_money_and_dates_in_english_format(client, auth, demo):
    auth.login(MATTI, DEMO_PASSWORD)
    switch_language(client, "en")
    shown = page(client.get("/account"))
    assert "€6,234.50" in shown
    assert "9 Apr 2026" in shown


# --- The summary at the top, the actions beside each section, and the right to complain ---

def _section(html: str, element: str, ident: str) -> str:
    """The HTML of one `<element id=ident>` on the page."""
    match = re.search(rf'<{element} id="{ident}"[^>]*>(.*?)</{element}>', html, re.S)
    assert match, f"no {element}#{ident} on the page"
    return match.group(1)


def _summary(html: str) -> str:
    return _text(_section(html, "article", "summary"))


def _my_data(client, auth, email: str, lang: str) -> str:
    auth.login(email, DEMO_PASSWORD)
    switch_language(client, lang)
    return page(client.get("/account"))


def _urls(app, *endpoints: tuple[str, dict]) -> list[str]:
    with app.test_request_context():
        return [url_for(endpoint, **values) for endpoint, values in endpoints]


def test_summary_ended_relationship_deletion_date_and_collection(pekka_page):
    summary = _summary(pekka_page)
    assert "Ended 30 Jun 2022. Your data is due to be deleted on 30 Jun 2032." in summary
    assert "Invoice L-2022-0312 is in debt collection." in summary
    assert (f"Questions about debt collection or invoices: {CONTROLLER['contact_name']}, "
            f"{CONTROLLER['contact_email']} , {CONTROLLER['contact_phone']}") in summary
    assert "is open" not in summary


def test_summary_in_finnish_for_pekka(app, client, auth, demo):
    summary = _summary(_my_data(client, auth, PEKKA, "fi"))
    assert translated(app, "Ended %(date)s.", date="30.6.2022") in summary
    assert translated(app, "Your data is due to be deleted on %(date)s.", date="30.6.2032") in summary
    assert translated(app, "Invoice %(number)s is in debt collection.", number="L-2022-0312") in summary
    assert translated(app, "Questions about debt collection or invoices:") in summary
    assert translated(app, "Customer relationship") == "Asiakassuhde" and "Asiakassuhde" in summary


def test_summary_open_invoice_and_whom_to_ask(app, client, auth, demo):
    summary = _summary(_my_data(client, auth, LIISA, "en"))
    assert "Active since 20 May 2021. Your data is kept for 10 years after the relationship ends." in summary
    assert "Invoice L-2026-0990 is open, due 2 Dec 2026." in summary
    assert f"Questions about invoices: {CONTROLLER['contact_name']}" in summary
    assert "debt collection" not in summary


def test_summary_open_invoice_in_finnish(app, client, auth, demo):
    summary = _summary(_my_data(client, auth, LIISA, "fi"))
    assert translated(app, "Invoice %(number)s is open, due %(date)s.", number="L-2026-0990",
                      date="2.12.2026") in summary
    assert translated(app, "Active since %(date)s.", date="20.5.2021") in summary


def test_summary_without_unpaid_invoices_says_so(app, client, auth, demo):
    summary = _summary(_my_data(client, auth, MAIJA, "en"))
    assert "You have no open invoices." in summary
    assert "Questions about" not in summary


def test_summary_names_marketing_prohibitions_in_plain_words(app, client, auth, demo):
    summary = _summary(_my_data(client, auth, MAIJA, "en"))
    assert "You have prohibited: distance selling." in summary
    assert "You allow all marketing." not in summary


def test_summary_marketing_prohibitions_in_finnish(app, client, auth, demo):
    summary = _summary(_my_data(client, auth, MAIJA, "fi"))
    channel = translated(app, "Distance selling")
    assert channel == "Etämyynti"
    assert translated(app, "You have prohibited: %(channels)s.", channels="etämyynti") in summary


def test_summary_says_all_marketing_is_allowed(app, client, auth, demo):
    assert "You allow all marketing." in _summary(_my_data(client, auth, LIISA, "en"))


def test_summary_says_when_all_marketing_is_prohibited(app, client, auth, demo):
    with app.app_context():
        customer = db.session.execute(select(Customer).where(Customer.email == LIISA)).scalar_one()
        for channel in MARKETING_CHANNELS:
            db.session.add(MarketingProhibition(customer=customer, channel=channel))
        db.session.commit()
        db.session.remove()
    summary = _summary(_my_data(client, auth, LIISA, "en"))
    assert "You have prohibited all marketing." in summary
    assert "You have prohibited:" not in summary


def _file_requests(app, email: str) -> None:
    with app.app_context():
        customer = db.session.execute(select(Customer).where(Customer.email == email)).scalar_one()
        received = datetime(2026, 11, 3, 9, 0, tzinfo=UTC)
        db.session.add_all([
            PrivacyRequest(reference="PR-2026-000001", customer=customer, kind="erasure",
                           status="pending", received_at=received, due_on=date(2026, 12, 3)),
            PrivacyRequest(reference="PR-2026-000002", customer=customer, kind="correction",
                           status="in_review", received_at=received, due_on=date(2026, 11, 20),
                           extended_due_on=date(2027, 1, 20), extension_reason="Many fields"),
            PrivacyRequest(reference="PR-2026-000003", customer=customer, kind="objection",
                           status="approved", received_at=received, due_on=date(2026, 12, 1)),
        ])
        db.session.commit()
        db.session.remove()


def test_summary_lists_open_requests_with_due_dates_and_links(app, client, auth, demo):
    _file_requests(app, MAIJA)
    html = _my_data(client, auth, MAIJA, "en")
    summary = _summary(html)
    assert "PR-2026-000001 : Erasure of your data, answer due 3 Dec 2026" in summary
    assert "PR-2026-000002 : Correction of your data, answer due 20 Jan 2027 (deadline extended)" in summary
    assert "PR-2026-000003" not in summary  # decided, no longer open
    assert "You have no open requests." not in summary
    first, second = _urls(app, ("account.request_detail", {"ref": "PR-2026-000001"}),
                          ("account.request_detail", {"ref": "PR-2026-000002"}))
    block = _section(html, "article", "summary")
    assert f'href="{first}"' in block and f'href="{second}"' in block


def test_summary_open_requests_in_finnish(app, client, auth, demo):
    _file_requests(app, MAIJA)
    summary = _summary(_my_data(client, auth, MAIJA, "fi"))
    assert translated(app, "answer due %(date)s", date="3.12.2026") in summary
    assert translated(app, "deadline extended") in summary


def test_summary_without_open_requests_says_so(app, client, auth, demo):
    assert "You have no open requests." in _summary(_my_data(client, auth, MATTI, "en"))


def test_empty_fields_are_listed_in_one_line(pekka_page):
    organisation = _text(_section(pekka_page, "section", "organisation"))
    assert "Not recorded: organisation, position, business ID (Y-tunnus), website" in organisation
    assert "Company contact person No" in organisation
    billing = _text(_section(pekka_page, "section", "billing"))
    assert "Not recorded: billing address, E-invoice address, E-invoice operator" in billing
    assert "not recorded" not in pekka_page  # no row per empty field any more


def test_empty_fields_line_in_finnish_keeps_abbreviations(app, client, auth, demo):
    organisation = _text(_section(_my_data(client, auth, PEKKA, "fi"), "section", "organisation"))
    fields = "organisaatio, tehtävänimike, Y-tunnus, verkkosivusto"
    assert translated(app, "Not recorded: %(fields)s", fields=fields) in organisation


def test_fully_recorded_category_has_no_empty_line(app, client, auth, demo):
    html = _my_data(client, auth, MATTI, "en")
    assert "Not recorded" not in _section(html, "section", "organisation")
    assert "Not recorded: IP address, other technical data" in _text(_section(html, "section", "technical"))


COMPLAINT = ("If you think that we process your personal data against data protection law, you have the "
             "right to lodge a complaint with the Data Protection Ombudsman.")


def test_ombudsman_complaint_with_contact_details(pekka_page):
    rights = _text(_section(pekka_page, "section", "rights"))
    assert COMPLAINT in rights
    for detail in (AUTHORITY["name_fi"], AUTHORITY["name_en"], AUTHORITY["street"], AUTHORITY["postal"],
                   AUTHORITY["phone"], AUTHORITY["email"]):
        assert detail in rights


def test_ombudsman_complaint_in_finnish(app, client, auth, demo):
    rights = _text(_section(_my_data(client, auth, PEKKA, "fi"), "section", "rights"))
    assert translated(app, COMPLAINT) in rights
    assert AUTHORITY["name_fi"] in rights and AUTHORITY["name_en"] not in rights


def test_each_section_links_to_its_action(app, pekka_page):
    correction, erasure, restriction, objection, export, marketing, requests = _urls(
        app, *[("account.new_request", {"kind": k}) for k in ("correction", "erasure", "restriction",
                                                               "objection")],
        ("account.export", {}), ("account.marketing", {}), ("account.requests", {}))
    for key in ("identity", "organisation", "billing", "technical"):
        assert f'href="{correction}">Correct these details</a>' in _section(pekka_page, "section", key)
    summary = _section(pekka_page, "article", "summary")
    assert f'href="{export}">Download your data</a>' in summary
    assert f'href="{marketing}">Change marketing choices</a>' in summary
    assert f'href="{requests}">My requests</a>' in summary
    assert f'href="{marketing}">Change marketing choices</a>' in _section(pekka_page, "section", "marketing")
    rights = _section(pekka_page, "section", "rights")
    for url, words in ((erasure, "Ask us to erase your data"),
                       (restriction, "Ask us to restrict the processing of your data"),
                       (objection, "Object to the processing of your data"), (requests, "My requests")):
        assert f'href="{url}">{words}</a>' in rights


def test_action_links_lead_to_working_pages(app, client, auth, demo):
    html = _my_data(client, auth, MAIJA, "en")
    targets = set(re.findall(r'href="(/account/[^"#]+)"', html))
    assert len(targets) >= 7
    for target in sorted(targets):
        assert client.get(target).status_code in (200, 302), target
