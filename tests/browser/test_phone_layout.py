"""On a 390 × 844 phone, in both languages: the header takes two rows at most, the order and invoice
tables on My data show every value in full, and the skip link can be read when it has focus.

Served as `make run` serves it; Maija (Finnish) and Matti (English) are only looked at.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.pages import MAIJA, MATTI, PHONE, header_rows, log_in, switch_language

pytestmark = pytest.mark.browser

LANGUAGES = {
    "fi": {"locale": "fi-FI", "switch": "suomi", "home": "Tietosi ja oikeutesi", "my_data": "Omat tiedot"},
    "en": {"locale": "en-GB", "switch": "English", "home": "Your data, your rights", "my_data": "My data"},
}
CUSTOMERS = {"fi": MAIJA, "en": MATTI}

# Every cell of the history tables: drawn inside the screen, and its text not cut off.
CELLS_JS = """() => [...document.querySelectorAll('#history td')].map(td => {
  const box = td.getBoundingClientRect();
  return {text: td.innerText.trim(), label: getComputedStyle(td, '::before').content,
          left: box.left, right: box.right, width: box.width,
          clipped: td.scrollWidth > td.clientWidth + 1,
          screen: document.documentElement.clientWidth};
})"""

# The colours of the element that has focus, and its outline.
FOCUSED_JS = """() => {
  const el = document.activeElement, style = getComputedStyle(el), box = el.getBoundingClientRect();
  const rgb = c => c.match(/[\\d.]+/g).slice(0, 3).map(Number);
  const lum = ([r, g, b]) => [r, g, b].map(v => v / 255)
    .map(v => v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4)
    .reduce((sum, v, i) => sum + v * [0.2126, 0.7152, 0.0722][i], 0);
  const [a, b] = [lum(rgb(style.color)), lum(rgb(style.backgroundColor))].sort((x, y) => y - x);
  return {cls: el.className, text: el.innerText.trim(), contrast: (a + 0.05) / (b + 0.05),
          outline: parseFloat(style.outlineWidth), outlineStyle: style.outlineStyle,
          top: box.top, left: box.left, bottom: box.bottom, right: box.right,
          width: innerWidth, height: innerHeight};
}"""


@pytest.mark.parametrize("lang", ["fi", "en"])
def test_header_takes_two_rows_at_most(dev_context, lang):
    words = LANGUAGES[lang]
    page = dev_context(locale=words["locale"], **PHONE).new_page()
    page.goto("/")
    switch_language(page, words["switch"])
    expect(page.get_by_role("heading", level=1)).to_have_text(words["home"])
    rows = header_rows(page)
    assert len(rows) <= 2, rows
    assert words["switch"] in rows[0], rows  # the language switch shares the brand's row

    log_in(page, CUSTOMERS[lang], lang=lang)
    expect(page.get_by_role("heading", level=1)).to_have_text(words["my_data"])
    rows = header_rows(page)
    assert len(rows) == 2, rows
    assert words["switch"] in rows[0] and words["my_data"] in rows[1], rows


@pytest.mark.parametrize("lang", ["fi", "en"])
def test_order_and_invoice_tables_show_every_value_in_full(dev_context, lang):
    words = LANGUAGES[lang]
    page = dev_context(locale=words["locale"], **PHONE).new_page()
    log_in(page, CUSTOMERS[lang], lang=lang)
    expect(page.get_by_role("heading", level=1)).to_have_text(words["my_data"])
    page.wait_for_load_state("load")
    cells = page.evaluate(CELLS_JS)
    assert len(cells) >= 8, cells  # at least two rows of orders and one of invoices
    for cell in cells:
        assert cell["text"], cell
        assert 0 <= cell["left"] and cell["right"] <= cell["screen"], f"cut off at the edge: {cell}"
        assert not cell["clipped"], f"text cut off: {cell}"
        assert cell["label"] not in ("none", "normal", '""'), f"no column name shown: {cell}"
    history = page.locator("#history")
    for region in history.locator(".table-scroll").all():
        assert region.evaluate("el => el.scrollWidth <= el.clientWidth + 1"), "a table scrolls sideways"


@pytest.mark.parametrize("lang", ["fi", "en"])
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_skip_link_is_readable_when_it_has_focus(dev_context, lang, scheme):
    words = LANGUAGES[lang]
    page = dev_context(locale=words["locale"], color_scheme=scheme, **PHONE).new_page()
    page.goto("/privacy")
    skip = page.locator("a.skip-link")
    on_screen = "el => { const b = el.getBoundingClientRect(); return b.bottom > 0 && b.right > 0; }"
    assert not skip.evaluate(on_screen), "the skip link shows before it has focus"
    page.keyboard.press("Tab")
    focused = page.evaluate(FOCUSED_JS)
    assert "skip-link" in focused["cls"], focused
    assert focused["top"] >= 0 and focused["left"] >= 0, focused
    assert focused["bottom"] <= focused["height"] and focused["right"] <= focused["width"], focused
    assert focused["contrast"] >= 4.5, focused
    assert focused["outlineStyle"] == "solid" and focused["outline"] >= 2, focused
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#main"
