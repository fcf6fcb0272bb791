"""`flask controller load` sets the privacy statement's details; bad files are refused and change nothing."""

from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from tests.functional.helpers import assert_finnish, page, switch_language, without_tokens

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "controller.toml"
SECTIONS = ["controller", "purposes", "content", "sources", "disclosures", "transfers", "retention",
            "security", "cookies", "profiling", "rights", "complaint"]
ENGLISH_HEADINGS = [
    "1. Controller", "2. Purposes and legal basis of processing", "3. Data content of the register",
    "4. Regular data sources", "5. Regular disclosures of data", "6. Transfers outside the EU/EEA",
    "7. Retention period", "8. How the register is protected", "9. Cookies",
    "10. Automated decision-making and profiling",
    "11. Your rights and how to use them",
    "12. Right to lodge a complaint with the supervisory authority",
]
VALID = """
name = "Testikaluste Oy"
business_id = "2345678-0"
privacy_email = "tietosuoja@testikaluste.example"
street_address = "Sahatie 5"
postal_code = "15100"
city = "Lahti"
retention_years = 7
statement_date = 2026-10-15
purposes_fi = "Kalustetilausten käsittely ja asiakassuhteen hoito."
purposes_en = "Handling furniture orders and managing the customer relationship."
transfers_fi = "Ei siirtoja EU:n ulkopuolelle."
transfers_en = "No transfers outside the EU."
"""


@pytest.fixture
def load(runner, tmp_path):
    """Run `flask controller load` on the given TOML text."""

    def run(text: str):
        path = tmp_path / "controller.toml"
        path.write_text(text, encoding="utf-8")
        return runner.invoke(args=["controller", "load", str(path)])

    return run


def _privacy(client, lang: str) -> str:
    switch_language(client, lang)
    return without_tokens(page(client.get("/privacy")))


def test_before_loading_the_statement_says_it_is_not_published(app, client):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    assert "The company has not yet published its details." in page(client.get("/privacy"))


def test_valid_file_updates_the_statement_in_both_languages(load, client):
    result = load(VALID)
    assert result.exit_code == 0, result.output
    assert "Controller settings saved." in result.output
    finnish = _privacy(client, "fi")
    for text in ("Testikaluste Oy", "2345678-0", "Sahatie 5, 15100 Lahti", "tietosuoja@testikaluste.example",
                 "Kalustetilausten käsittely ja asiakassuhteen hoito.", "Ei siirtoja EU:n ulkopuolelle.",
                 "15.10.2026"):
        assert text in finnish
    english = _privacy(client, "en")
    assert "Handling furniture orders and managing the customer relationship." in english
    assert "No transfers outside the EU." in english
    assert "7 years after the customer relationship ends" in english
    assert "Kalustetilausten" not in english


def test_the_shipped_example_file_loads(runner, client):
    result = runner.invoke(args=["controller", "load", str(EXAMPLE)])
    assert result.exit_code == 0, result.output
    assert "Esimerkki Oy customer register" in _privacy(client, "en")


def test_business_id_is_stored_formatted(load, runner):
    load(VALID.replace('"2345678-0"', '" 23456780 "'))
    result = runner.invoke(args=["controller", "show"])
    assert "business_id = '2345678-0'" in result.output


@pytest.mark.parametrize("bad_line, message", [
    ('business_id = "1234567-2"', "business_id"),
    ('unknown_setting = "x"', "unknown_setting"),
    ("retention_years = 0", "retention_years"),
    ('privacy_email = "not-an-address"', "privacy_email"),
    ("city = 5", "city"),
    ("name = ", "line"),
])
def test_invalid_file_is_refused_and_changes_nothing(load, client, bad_line, message):
    load(VALID)
    before = _privacy(client, "fi")
    key = bad_line.split("=")[0].strip()
    lines = [line for line in VALID.splitlines() if not line.startswith(f"{key} =")]
    lines = [line.replace("Testikaluste Oy", "Muutettu Oy") for line in lines]
    result = load("\n".join([*lines, bad_line]) + "\n")
    assert result.exit_code != 0
    assert result.output.startswith("Error:") and message in result.output
    assert "Traceback" not in result.output
    assert _privacy(client, "fi") == before


def test_invalid_business_id_message_names_the_problem(load):
    result = load(VALID.replace('"2345678-0"', '"1234567-2"'))
    assert "not a valid Y-tunnus" in result.output


def test_first_load_needs_name_and_privacy_email(load, client):
    result = load('purposes_fi = "Vain tarkoitus."\n')
    assert result.exit_code != 0
    assert "name" in result.output and "privacy_email" in result.output
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    assert "The company has not yet published its details." in page(client.get("/privacy"))


def test_show_without_settings_fails_clearly(runner):
    result = runner.invoke(args=["controller", "show"])
    assert result.exit_code != 0
    assert "controller load" in result.output


@pytest.mark.parametrize("lang", ["fi", "en"])
def test_statement_shows_the_supervisory_authority(client, demo, lang):
    shown = _privacy(client, lang)
    assert "Tietosuojavaltuutetun toimisto" in shown
    assert "tietosuoja@om.fi" in shown
    assert "https://tietosuoja.fi" in shown


def test_english_statement_names_the_ombudsman_in_english_too(client, demo):
    assert "Office of the Data Protection Ombudsman" in _privacy(client, "en")


@pytest.mark.parametrize("lang", ["fi", "en"])
def test_statement_has_every_section_with_a_heading(client, demo, lang):
    soup = BeautifulSoup(_privacy(client, lang), "html.parser")
    for section in SECTIONS:
        heading = soup.select_one(f"section#{section} h2")
        assert heading is not None and heading.get_text(strip=True), section


def test_english_section_headings(client, demo):
    soup = BeautifulSoup(_privacy(client, "en"), "html.parser")
    assert [h.get_text(strip=True) for h in soup.select("section > h2")] == ENGLISH_HEADINGS


def test_finnish_section_headings_are_translated(app, client, demo):
    shown = _privacy(client, "fi")
    for heading in ENGLISH_HEADINGS:
        assert_finnish(app, shown, heading)
