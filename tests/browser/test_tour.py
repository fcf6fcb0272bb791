"""The README tour in Chromium: Finnish, Maija's data, log-out, and a stolen cookie that stops working."""

import pytest
from playwright.sync_api import expect

from tests.browser.pages import MAIJA, log_in, path_of, switch_language, text_of

pytestmark = pytest.mark.browser


@pytest.fixture(params=["production", "make-run"])
def contexts(request):
    """Browser contexts on the production-like HTTPS server, then on `make run`'s plain HTTP one."""
    return request.getfixturevalue("new_context" if request.param == "production" else "dev_context")


def test_finnish_tour_of_my_data_then_logout_kills_the_cookie(contexts):
    new_context = contexts
    page = new_context().new_page()
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your data, your rights")
    switch_language(page, "suomi")
    expect(page.locator("html")).to_have_attribute("lang", "fi")
    expect(page.get_by_role("heading", level=1)).to_have_text("Tietosi ja oikeutesi")

    page.get_by_role("navigation").get_by_role("link", name="Kirjaudu sisään").click()
    expect(page.get_by_role("heading", name="Kirjaudu sisään")).to_be_visible()
    log_in(page, MAIJA, lang="fi")

    expect(page.get_by_role("heading", level=1)).to_have_text("Omat tiedot")
    assert path_of(page) == "/account"
    expect(page.get_by_text("Meikäläinen", exact=True)).to_be_visible()
    orders = text_of(page, "#history")
    assert "Puutarhakalusteet" in orders
    assert "489,00 €" in orders
    retention = text_of(page, "#retention")
    assert "Kuinka kauan säilytämme tietojasi" in retention
    assert "10 vuotta" in retention
    marketing = text_of(page, "#marketing")
    assert "Markkinointikiel" in marketing
    assert "Etämyynti: kielletty" in marketing
    assert "Suoramainonta: sallittu" in marketing

    stolen = [c for c in page.context.cookies() if c["name"].endswith("portal_session")]
    assert stolen, "no session cookie after log-in"
    page.get_by_role("button", name="Kirjaudu ulos", exact=True).click()
    expect(page.get_by_role("navigation").get_by_role("link", name="Kirjaudu sisään")).to_be_visible()

    thief = new_context().new_page()
    thief.context.add_cookies(stolen)
    thief.goto("/account")
    assert path_of(thief) == "/login"
    expect(thief.get_by_text("Meikäläinen")).to_have_count(0)
