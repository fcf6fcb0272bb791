"""Phone-sized screens and screenshots for a human to look at (content asserted, not pixels)."""

import pytest
from playwright.sync_api import Page, expect

from tests.browser.pages import MAIJA, MATTI, PEKKA, PHONE, log_in, switch_language, text_of

pytestmark = pytest.mark.browser

OVERFLOW_JS = """() => {
  const root = document.documentElement;
  const wide = [...document.body.querySelectorAll('*')]
    .filter(el => el.getBoundingClientRect().right > root.clientWidth + 1)
    .filter(el => !el.closest('.table-scroll'))
    .map(el => el.tagName.toLowerCase() + (el.className ? '.' + el.className : '')
               + ' "' + el.textContent.trim().slice(0, 30) + '" right='
               + Math.round(el.getBoundingClientRect().right));
  return {scrollWidth: root.scrollWidth, clientWidth: root.clientWidth, wide: wide.slice(-3)};
}"""


def assert_no_horizontal_overflow(page: Page) -> None:
    """The page fits the viewport's width: nothing to scroll sideways."""
    page.wait_for_load_state("load")  # measure with every stylesheet applied
    width = page.evaluate(OVERFLOW_JS)
    assert width["scrollWidth"] <= width["clientWidth"] + 1, width


@pytest.mark.parametrize(("email", "lang", "heading", "words"), [
    (MATTI, "en", "My data", {"nav": "Main navigation", "privacy": "Privacy statement",
                             "log_out": "Log out", "switch": "Language"}),
    (MAIJA, "fi", "Omat tiedot", {"nav": "Päävalikko", "privacy": "Tietosuojaseloste",
                                  "log_out": "Kirjaudu ulos", "switch": "Kieli"}),
    # The longest summary: an ended relationship, a debt in collection and whom to ask about it.
    (PEKKA, "fi", "Omat tiedot", {"nav": "Päävalikko", "privacy": "Tietosuojaseloste",
                                  "log_out": "Kirjaudu ulos", "switch": "Kieli"}),
], ids=["english", "finnish", "finnish-collection"])
def test_my_data_fits_a_phone_with_navigation_and_language_switch(new_context, email, lang,
                                                                   heading, words):
    page = new_context(**PHONE).new_page()
    log_in(page, email)
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    expect(page.locator("html")).to_have_attribute("lang", lang)
    assert_no_horizontal_overflow(page)

    nav = page.get_by_role("navigation", name=words["nav"])
    expect(nav.get_by_role("link", name=words["privacy"], exact=True)).to_be_in_viewport()
    expect(nav.get_by_role("link", name=heading, exact=True)).to_be_in_viewport()
    expect(nav.get_by_role("button", name=words["log_out"], exact=True)).to_be_in_viewport()
    switch = page.get_by_role("group", name=words["switch"])
    for language in ("suomi", "English"):
        expect(switch.get_by_role("button", name=language, exact=True)).to_be_in_viewport()


def test_screenshots_of_front_page_privacy_statement_and_my_data(new_context, artifacts):
    page = new_context().new_page()
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your data, your rights")
    page.screenshot(path=artifacts / "index-en.png", full_page=True)

    switch_language(page, "suomi")
    expect(page.get_by_role("heading", level=1)).to_have_text("Tietosi ja oikeutesi")
    page.screenshot(path=artifacts / "index-fi.png", full_page=True)

    page.get_by_role("navigation").get_by_role("link", name="Tietosuojaseloste").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Tietosuojaseloste")
    statement = text_of(page, "main")
    assert "Esimerkki Oy" in statement
    assert "Tietosuojavaltuutetun toimisto" in statement
    page.screenshot(path=artifacts / "privacy-fi.png", full_page=True)

    log_in(page, MAIJA, lang="fi")
    expect(page.get_by_role("heading", level=1)).to_have_text("Omat tiedot")
    assert "489,00 €" in text_of(page, "#history")
    page.screenshot(path=artifacts / "account-fi-desktop.png", full_page=True)

    phone = new_context(locale="fi-FI", **PHONE).new_page()
    log_in(phone, MAIJA, lang="fi")
    expect(phone.get_by_role("heading", level=1)).to_have_text("Omat tiedot")
    assert "489,00 €" in text_of(phone, "#history")
    phone.screenshot(path=artifacts / "account-fi-phone.png", full_page=True)
