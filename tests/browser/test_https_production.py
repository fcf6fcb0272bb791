"""Over HTTPS with the production settings, a customer's forms work in Chromium: log in, switch
language, log out other devices, log out — with a Secure host-only cookie and HSTS."""

import pytest
from playwright.sync_api import expect

from tests.browser.pages import MATTI, log_in, path_of, switch_language

pytestmark = pytest.mark.browser


def test_forms_post_over_https_and_the_cookie_is_secure(new_context, live_server):
    assert live_server.url.startswith("https://")
    phone_browser = new_context().new_page()
    log_in(phone_browser, MATTI)
    expect(phone_browser.get_by_role("heading", level=1)).to_have_text("My data")

    laptop = new_context().new_page()
    response = laptop.goto("/login")
    assert "max-age=31536000" in response.headers["strict-transport-security"]
    assert response.headers["referrer-policy"] == "same-origin"
    log_in(laptop, MATTI)
    [cookie] = [c for c in laptop.context.cookies() if c["name"].endswith("portal_session")]
    assert cookie["name"] == "__Host-portal_session"
    assert cookie["secure"] and cookie["httpOnly"]
    assert cookie["domain"] == "127.0.0.1"  # host-only

    switch_language(laptop, "suomi")
    expect(laptop.get_by_role("heading", level=1)).to_have_text("Omat tiedot")
    laptop.get_by_role("button", name="Kirjaudu ulos muilta laitteilta").click()
    expect(laptop.get_by_role("status")).to_contain_text("muilta laitteilta")
    switch_language(laptop, "English")

    phone_browser.reload()
    assert path_of(phone_browser) == "/login", "the other device is still logged in"

    laptop.get_by_role("button", name="Log out", exact=True).click()
    expect(laptop.get_by_role("navigation").get_by_role("link", name="Log in")).to_be_visible()
    laptop.goto("/account")
    assert path_of(laptop) == "/login"
