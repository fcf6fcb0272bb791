"""'My data' shows everything the register holds on the logged-in customer, per locale."""

import re

import pytest

from portal.demo import CONTROLLER, DEMO_PASSWORD
from tests.functional.helpers import LIISA, MAIJA, MATTI, PEKKA, page, switch_language

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
    assert "4/9/26" in shown
