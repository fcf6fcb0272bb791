"""With the keyboard alone: log in, and fill and send a request form (Tab, arrows, typing, Enter).

Focus follows the page's order (the skip link first, then the header, then the main content)
and every element that gets focus shows it: it is on screen and has an outline or a ring
(box-shadow). Sanna files the objection: no other test on the shared server looks at her.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from portal.demo import DEMO_PASSWORD
from tests.browser.pages import log_in, path_of

pytestmark = pytest.mark.browser

SANNA = "sanna.salminen@esimerkki.example"
MAX_TABS = 30

# How the tests name an element: tag, name, radio value, link target, button text.
DESCRIBE = r"""(el) => el.tagName.toLowerCase() + (el.name ? '[name=' + el.name + ']' : '')
  + (el.type === 'radio' ? '[value=' + el.value + ']' : '')
  + (el.getAttribute('href') ? '[href=' + el.getAttribute('href') + ']' : '')
  + (['BUTTON', 'SUMMARY'].includes(el.tagName) ? '"' + el.innerText.trim() + '"' : '')"""

FOCUSED_JS = r"""() => {
  const el = document.activeElement;
  el.getAnimations().forEach(a => a.finish());  // Pico fades the ring in: measure it fully drawn
  const style = getComputedStyle(el);
  const box = el.getBoundingClientRect();
  const seen = (colour) => colour !== 'transparent' && !/^rgba\(.*,\s*0\)$/.test(colour);
  const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0
                  && seen(style.outlineColor);
  // Each shadow as Chromium computes it, "rgba(r, g, b, a) x y blur spread": drawn if blur or spread.
  const ring = style.boxShadow.split(/,(?![^(]*\))/).some(shadow => {
    const colour = (shadow.match(/rgba?\([^)]*\)/) || ['transparent'])[0];
    const [, , blur, spread] = shadow.replace(colour, '').trim().split(/\s+/).map(parseFloat);
    return seen(colour) && (blur > 0 || spread > 0);
  });
  return {
    what: (DESCRIBE)(el),
    ring: outline || ring,
    onScreen: box.width > 0 && box.height > 0 && box.bottom > 0 && box.right > 0
              && box.top < innerHeight && box.left < innerWidth,
  };
}""".replace("DESCRIBE", DESCRIBE)

# Everything a Tab can reach in the header as it is shown now, in document order.
HEADER_STOPS_JS = r"""() => [...document.querySelectorAll(
    'header :is(a[href], button, summary, input, select, textarea, [tabindex]:not([tabindex="-1"]))')]
  .filter(el => el.checkVisibility({visibilityProperty: true}) && !el.disabled).map(DESCRIBE)
""".replace("DESCRIBE", DESCRIBE)


def tab(page: Page, key: str = "Tab") -> str:
    """Press `key`; the element that has focus then, which must show it."""
    page.keyboard.press(key)
    focused = page.evaluate(FOCUSED_JS)
    assert focused["onScreen"], f"{focused['what']} has focus but is off screen"
    assert focused["ring"], f"{focused['what']} has focus but no visible outline or ring"
    return focused["what"]


def tab_to(page: Page, target: str) -> list[str]:
    """Tab until `target` has focus; every stop on the way, in order."""
    stops = []
    while not stops or stops[-1] != target:
        assert len(stops) < MAX_TABS, f"{target} not reached with Tab: {stops}"
        stops.append(tab(page))
    return stops


def skip_to_content(page: Page) -> None:
    """Tab to the skip link (the first stop on the page) and follow it."""
    assert tab(page) == "a[href=#main]", "the first Tab does not reach the skip link"
    page.keyboard.press("Enter")
    assert page.url.endswith("#main")


def test_log_in_with_the_keyboard_alone(new_context):
    page = new_context().new_page()
    page.goto("/login")
    header = page.evaluate(HEADER_STOPS_JS)
    stops = tab_to(page, "input[name=email]")
    # The skip link, then the header's links and language buttons as they stand, then the form.
    assert stops == ["a[href=#main]", *header, "input[name=email]"], stops

    page.reload()
    skip_to_content(page)
    assert tab(page) == "input[name=email]", "the skip link does not lead to the log-in form"
    page.keyboard.type(SANNA)
    assert tab(page) == "input[name=password]"
    page.keyboard.type(DEMO_PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("^(Omat tiedot|My data)$"))
    assert path_of(page) == "/account"


def test_objection_filled_and_sent_with_the_keyboard_alone(new_context):
    page = new_context().new_page()
    log_in(page, SANNA)
    page.goto("/account/requests/new/objection")
    skip_to_content(page)
    # First the link to the marketing prohibitions (no request needed for those), then the form.
    stops = tab_to(page, "input[name=scope][value=all]")
    assert stops == ["a[href=/account#marketing]", "input[name=scope][value=all]"], stops
    assert tab(page, "ArrowDown") == "input[name=scope][value=marketing]"
    expect(page.locator("input[name=scope][value=marketing]")).to_be_checked()
    assert tab(page) == "textarea[name=purpose]"
    assert tab(page) == "textarea[name=reason]"
    page.keyboard.type("En halua, että ostohistoriaani käytetään markkinointiin.")
    assert tab(page) == "input[name=reply_contact]"
    expect(page.locator("input[name=reply_contact]")).to_have_value(SANNA)
    assert re.fullmatch(r'button".+"', tab(page)), "the send button does not follow the reply address"
    page.keyboard.press("Enter")

    heading = page.get_by_role("heading", level=1)
    expect(heading).to_contain_text(re.compile(r"PR-\d{4}-\d{6}"))
    assert re.fullmatch(r"/account/requests/PR-\d{4}-\d{6,12}", path_of(page)), page.url
    expect(page.locator(".flash[role=status]")).to_be_visible()
    expect(page.locator("#asked")).to_contain_text("En halua, että ostohistoriaani käytetään markkinointiin.")
