"""Every flow works without JavaScript: plain forms and links for the log-in, the language switch and
a customer's whole journey (Liisa: no other test on the shared server looks at her)."""

import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.pages import LIISA, log_in, path_of, switch_language

pytestmark = pytest.mark.browser

REFERENCE = re.compile(r"PR-\d{4}-\d{6,12}")


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


def test_whole_customer_journey_works_with_javascript_off(new_context, live_server):
    """Log in, read My data, switch a marketing prohibition on and off, file a request, find it in
    the list, cancel it, download the data and log out: plain links and forms all the way."""
    since = len(live_server.smtp.messages())
    page = new_context(java_script_enabled=False).new_page()
    log_in(page, LIISA)
    if page.locator("html").get_attribute("lang") != "en":
        switch_language(page, "English")
    expect(page.get_by_role("heading", level=1)).to_have_text("My data")
    expect(page.get_by_text("Esimerkki", exact=True).first).to_be_visible()
    expect(page.locator("#history")).to_contain_text("Sohva ja nojatuoli")

    page.get_by_role("link", name="Change marketing choices").first.click()
    box = page.get_by_label("I prohibit market and opinion research", exact=True)
    expect(box).not_to_be_checked()
    box.check()
    page.get_by_role("button", name="Save choices").click()
    expect(page.locator(".flash[role=status]")).to_have_text(
        "We will no longer use your data for market and opinion research.")
    expect(box).to_be_checked()
    box.uncheck()
    page.get_by_role("button", name="Save choices").click()
    expect(page.locator(".flash[role=status]")).to_have_text(
        "We may again use your data for market and opinion research.")
    expect(box).not_to_be_checked()

    page.get_by_role("navigation").get_by_role("link", name="My data").click()
    page.locator("#summary").get_by_role("link", name="My requests").click()
    page.locator("#new").get_by_role("link", name="Object to the processing of your data").click()
    page.get_by_label("Marketing", exact=True).check()
    page.get_by_label("Why?").fill("I do not want my purchases used for marketing.")
    page.get_by_role("button", name="Send request").click()
    expect(page.locator(".flash[role=status]")).to_contain_text("We received your request")
    reference = REFERENCE.search(page.get_by_role("heading", level=1).inner_text()).group(0)

    page.get_by_role("link", name="Back to my requests").click()
    row = page.get_by_role("row").filter(has_text=reference)
    expect(row).to_contain_text("waiting for handling")
    row.get_by_role("link", name=reference).click()
    page.get_by_text("Cancel this request", exact=True).click()  # <details> opens without JavaScript
    page.get_by_role("button", name="Yes, cancel this request").click()
    expect(page.locator(".flash[role=status]")).to_have_text(f"Your request {reference} is cancelled.")
    page.get_by_role("link", name="Back to my requests").click()
    expect(page.get_by_role("row").filter(has_text=reference)).to_contain_text("cancelled")

    page.get_by_role("navigation").get_by_role("link", name="My data").click()
    page.get_by_role("link", name="Download your data").first.click()
    with page.expect_download() as info:
        page.get_by_role("button", name="Download JSON file").click()
    data = json.loads(Path(info.value.path()).read_bytes())
    assert (data["person"]["first_name"], data["person"]["last_name"]) == ("Liisa", "Esimerkki")
    assert reference in json.dumps(data), "the download does not list the request just made"

    page.get_by_role("button", name="Log out", exact=True).click()
    expect(page.get_by_role("navigation").get_by_role("link", name="Log in")).to_be_visible()
    page.goto("/account")
    assert path_of(page) == "/login"
    mails = [m["Subject"] for rcpt, m in live_server.smtp.messages()[since:] if LIISA in rcpt]
    assert f"Your request {reference} is cancelled" in mails, mails
