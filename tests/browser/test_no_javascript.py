"""Every flow works without JavaScript: plain forms for the log-in and the language switch."""

import pytest
from playwright.sync_api import expect

from tests.browser.pages import LIISA, log_in, path_of, switch_language

pytestmark = pytest.mark.browser


def test_login_and_language_switch_work_with_javascript_off(new_context):
    page = new_context(java_script_enabled=False).new_page()
    page.goto("/")
    switch_language(page, "suomi")
    expect(page.locator("html")).to_have_attribute("lang", "fi")
    expect(page.get_by_role("heading", level=1)).to_have_text("Tietosi ja oikeutesi")

    log_in(page, LIISA, lang="fi")
    assert path_of(page) == "/account"
    expect(page.get_by_role("heading", level=1)).to_have_text("Omat tiedot")
    expect(page.get_by_role("cell", name="Sohva ja nojatuoli")).to_be_visible()

    switch_language(page, "English")
    assert path_of(page) == "/account"
    expect(page.get_by_role("heading", level=1)).to_have_text("My data")
    page.get_by_role("button", name="Log out", exact=True).click()
    expect(page.get_by_role("navigation").get_by_role("link", name="Log in")).to_be_visible()
