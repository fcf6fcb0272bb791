"""A register entry without an account asks for access, follows the emailed link and gets in."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import activation_link
from tests.browser.pages import ANNA, log_in, path_of

pytestmark = pytest.mark.browser

NEW_PASSWORD = "Kuusitie-kirjahylly-2026"


def test_invitation_link_from_mail_sets_password_and_opens_my_data(page, live_server):
    page.goto("/")
    page.get_by_role("link", name="Get access to your data").click()
    page.get_by_label("Email address").fill(ANNA)
    page.get_by_role("button", name="Send me a link").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()

    link = activation_link(live_server, ANNA)
    assert link.startswith(f"{live_server.url}/activate/"), link
    page.goto(link)
    expect(page.get_by_role("heading", name="Set your password")).to_be_visible()
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Password again", exact=True).fill(NEW_PASSWORD)
    page.get_by_role("button", name="Set password").click()

    expect(page.get_by_role("status")).to_contain_text("Your password is set")
    assert path_of(page) == "/login"
    log_in(page, ANNA, NEW_PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text("My data")
    expect(page.get_by_text("Testinen", exact=True)).to_be_visible()
    expect(page.get_by_role("cell", name="Kirjahylly")).to_be_visible()
