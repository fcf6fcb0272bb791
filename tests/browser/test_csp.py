"""The strict Content Security Policy holds: Chromium reports no violation on the main pages."""

import re

import pytest
from playwright.sync_api import ConsoleMessage, Page, expect

from tests.browser.pages import PEKKA, log_in

pytestmark = pytest.mark.browser

CSP_WORDS = "Content Security Policy"


def collect_console(page: Page) -> list[str]:
    """Every console message and page error from now on, as text."""
    messages: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        messages.append(f"{message.type}: {message.text} ({message.location.get('url', '')})")

    page.on("console", on_console)
    page.on("pageerror", lambda error: messages.append(f"pageerror: {error}"))
    return messages


def test_console_detects_a_csp_violation_at_all(new_context, live_server):
    """Guard for the test below: a page that breaks our policy is reported on the console."""
    page = new_context().new_page()
    messages = collect_console(page)

    def inline_style(route):
        response = route.fetch()
        body = response.text().replace("</head>", "<style>body{color:red}</style></head>")
        route.fulfill(response=response, body=body)

    page.route(re.compile(r".*/privacy$"), inline_style)
    page.goto("/privacy")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert any(CSP_WORDS in m for m in messages), messages


def test_no_csp_violations_on_public_and_personal_pages(new_context):
    page = new_context().new_page()
    messages = collect_console(page)
    for path in ("/", "/privacy", "/login"):
        page.goto(path)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
    log_in(page, PEKKA)
    expect(page.get_by_role("heading", level=1)).to_have_text("Omat tiedot")
    page.goto("/account")
    expect(page.locator("#marketing")).to_be_visible()
    page.goto("/account/two-step")
    page.locator("input[value=authenticator]").check()
    page.locator("form[name=two_factor_setup_form] [type=submit]").first.click()
    expect(page.locator("img[src^='data:image/svg+xml']")).to_be_visible()
    page.goto("/account/password")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    violations = [m for m in messages if CSP_WORDS in m]
    assert not violations, violations
