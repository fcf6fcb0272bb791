"""What a person does in the browser, written once for every browser test.

The served database is shared by the whole run. Only two tests change a customer's saved state,
each on a customer nobody else uses: Liisa's language (no-JavaScript test) and Anna's password
(invitation test). Maija (Finnish), Matti (English) and Pekka (Finnish) are only looked at.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from playwright.sync_api import Page, expect

from portal.demo import DEMO_PASSWORD

MAIJA = "maija.meikalainen@esimerkki.example"
MATTI = "matti.virtanen@testiyhtio.example"
LIISA = "liisa.esimerkki@esimerkki.example"
PEKKA = "pekka.mallinen@esimerkki.example"
ANNA = "anna.testinen@esimerkki.example"

# Browser-context options for a phone-sized screen (CSS pixels of a common phone).
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2,
         "is_mobile": True, "has_touch": True}

# The log-in form's visible words in each language.
LOGIN_WORDS = {
    "en": {"email": "Email address", "password": "Password", "submit": "Log in"},
    "fi": {"email": "Sähköpostiosoite", "password": "Salasana", "submit": "Kirjaudu sisään"},
}


def path_of(page: Page) -> str:
    """The path of the page now shown."""
    return urlsplit(page.url).path


def text_of(page: Page, selector: str = "body") -> str:
    """Visible text with every run of whitespace (incl. no-break spaces) made one space."""
    return re.sub(r"\s+", " ", page.locator(selector).inner_text())


def log_in(page: Page, email: str, password: str = DEMO_PASSWORD, lang: str = "en") -> None:
    """Fill and send the log-in form by its visible labels."""
    words = LOGIN_WORDS[lang]
    if path_of(page) != "/login":
        page.goto("/login")
    page.get_by_label(words["email"], exact=True).fill(email)
    page.get_by_label(words["password"], exact=True).fill(password)
    page.get_by_role("button", name=words["submit"], exact=True).click()


def switch_language(page: Page, name: str) -> None:
    """Press a button of the language switch ("suomi" or "English")."""
    page.get_by_role("button", name=name, exact=True).click()
    expect(page.get_by_role("button", name=name, exact=True)).to_have_attribute("aria-current", "true")


# --- staff: log-in with the authenticator code ------------------------------------------------

_LAST_CODE_WINDOW: dict[str, int] = {}


def totp_code(secret: str) -> str:
    """A code from the authenticator secret ("ABCD-EFGH-..."), never one this run has used.

    The portal accepts each code once per user, so when this 30-second window's code was
    already used for `secret`, wait for the next window.
    """
    import time

    import pyotp

    key = secret.replace("-", "")
    while (window := int(time.time()) // 30) <= _LAST_CODE_WINDOW.get(key, -1):
        time.sleep((window + 1) * 30 - time.time() + 0.2)
    _LAST_CODE_WINDOW[key] = window
    return pyotp.TOTP(key).at(window * 30)


def enter_code(page: Page, secret: str) -> None:
    """On the second-step page: type the authenticator's code and press Enter.

    The field is found by its one-time-code hint (what phones and password managers use),
    so the page's wording may change without breaking every staff test.
    """
    code = page.locator("input[autocomplete='one-time-code']")
    expect(code).to_be_visible()
    code.fill(totp_code(secret))
    code.press("Enter")
    expect(code).to_have_count(0)


def log_in_staff(page: Page, email: str, secret: str, lang: str = "fi") -> None:
    """Log a staff member in: password first, then the authenticator's code."""
    log_in(page, email, lang=lang)
    enter_code(page, secret)


# Each link and button of the header: its text, and the top and bottom of its box.
HEADER_ITEMS_JS = """() => [...document.querySelectorAll('header a, header button')]
  .filter(el => el.getClientRects().length)
  .map(el => { const box = el.getBoundingClientRect();
               return {text: el.innerText.trim(), top: box.top, bottom: box.bottom, right: box.right}; })"""


def header_rows(page: Page) -> list[list[str]]:
    """The header's links and buttons grouped into rows by the middle of their boxes."""
    page.wait_for_load_state("load")
    rows: list[dict] = []
    for item in sorted(page.evaluate(HEADER_ITEMS_JS), key=lambda i: i["top"] + i["bottom"]):
        middle = (item["top"] + item["bottom"]) / 2
        if rows and abs(middle - rows[-1]["middle"]) < 12:
            rows[-1]["items"].append(item["text"])
        else:
            rows.append({"middle": middle, "items": [item["text"]]})
        assert item["right"] <= PHONE["viewport"]["width"], f"{item['text']} reaches past the screen"
    return [row["items"] for row in rows]
