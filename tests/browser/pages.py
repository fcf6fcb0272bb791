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
    "en": {"email": "Email Address", "password": "Password", "submit": "Log in"},
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
