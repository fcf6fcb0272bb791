"""Accessible markup a screen-reader or keyboard user relies on (issue 8): one announced log-in
error tied to its inputs, hints and errors tied to their fields with unique ids, forms that
leave checking to the server, headings in order, a confirmed log-out, the language kept over a
log-in, and phone numbers grouped for reading."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from bs4 import BeautifulSoup
from flask import render_template_string
from flask_babel import force_locale
from flask_security.utils import get_message
from sqlalchemy import select

from portal.demo import ADMIN_EMAIL, DEMO_PASSWORD
from portal.extensions import db
from portal.models import Customer, User
from portal.phones import readable_phone
from tests.conftest import AuthActions, log_in_staff, post_form
from tests.functional.helpers import MAIJA, MATTI, page, switch_language, translated

PUBLIC_PAGES = ["/", "/privacy", "/login", "/get-access", "/reset"]
CUSTOMER_PAGES = ["/", "/account", "/account/password", "/account/two-step", "/account/requests",
                  "/account/requests/new/correction", "/account/requests/new/erasure",
                  "/account/requests/new/restriction", "/account/requests/new/objection",
                  "/account/marketing", "/account/export"]
STAFF_PAGES = ["/", "/staff/", "/staff/requests/new", "/staff/customers", "/staff/reports", "/staff/audit",
               "/staff/admin", "/account/recovery-codes"]


def soup_of(response) -> BeautifulSoup:
    """The page, parsed."""
    assert response.status_code == 200, response.status_code
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def generic_login_error(app, lang: str = "en") -> str:
    """Flask-Security's one answer to any failed log-in, in `lang`."""
    with app.test_request_context(), force_locale(lang):
        return str(get_message("GENERIC_AUTHN_FAILED")[0])


def described_by(soup: BeautifulSoup, field_id: str) -> list[str]:
    """The ids the input `field_id` points to with aria-describedby."""
    return soup.find(id=field_id).get("aria-describedby", "").split()


def assert_sound(soup: BeautifulSoup, where: str) -> None:
    """Unique ids, every aria-describedby/-labelledby id present, novalidate on every form, and
    headings that never skip a level (h1 first)."""
    ids = Counter(tag["id"] for tag in soup.find_all(id=True))
    assert not [i for i, n in ids.items() if n > 1], f"{where}: duplicate ids {ids.most_common(3)}"
    for attribute in ("aria-describedby", "aria-labelledby"):
        for tag in soup.find_all(attrs={attribute: True}):
            missing = [i for i in tag[attribute].split() if i not in ids]
            assert not missing, f"{where}: {attribute} points to missing {missing}"
    for form in soup.find_all("form"):
        assert form.has_attr("novalidate"), f"{where}: form {form.get('action')} without novalidate"
    levels = [int(h.name[1]) for h in soup.find_all(re.compile(r"^h[1-6]$"))]
    assert levels and levels[0] == 1, f"{where}: first heading is not h1: {levels}"
    for before, after in zip(levels, levels[1:], strict=False):
        assert after <= before + 1, f"{where}: heading h{before} is followed by h{after}"


# --- the log-in error -----------------------------------------------------------------------

@pytest.mark.parametrize("email, password", [(MAIJA, "Vaara-salasana-123"), ("", "")],
                         ids=["wrong-password", "both-empty"])
def test_failed_log_in_says_it_once_announced_and_tied_to_both_inputs(app, client, auth, demo,
                                                                       email, password):
    switch_language(client, "en")
    response = auth.login(email, password)
    html, soup = page(response), soup_of(response)
    message = generic_login_error(app)
    assert html.count(message) == 1
    [alert] = soup.find_all(attrs={"role": "alert"})
    assert alert.get_text(strip=True) == message
    for field in ("email", "password"):
        assert soup.find(id=field)["aria-invalid"] == "true"
        assert described_by(soup, field) == ["login-error"]
        assert message in soup.find(id="login-error").get_text()
    assert client.get("/account").status_code == 302


def test_log_in_page_without_an_attempt_marks_nothing_invalid(client, demo):
    soup = soup_of(client.get("/login"))
    assert soup.find(attrs={"role": "alert"}) is None
    assert not soup.find_all(attrs={"aria-invalid": True})


# --- hints and errors -----------------------------------------------------------------------

@pytest.mark.parametrize("path, field", [("/account/password", "new_password"),
                                         ("/account/requests/new/objection", "reply_contact")])
def test_a_hint_is_read_with_its_input(client, auth, demo, path, field):
    auth.login(MAIJA, DEMO_PASSWORD)
    soup = soup_of(client.get(path))
    assert f"{field}-hint" in described_by(soup, field)
    assert soup.find(id=f"{field}-hint").get_text(strip=True)


def test_correction_form_with_errors_has_unique_ids_and_every_error_tied(client, auth, demo):
    auth.login(MAIJA, DEMO_PASSWORD)
    switch_language(client, "en")
    response = post_form(client, "/account/requests/new/correction", chosen=[], reason="",
                         new_phone="040 123 4567", reply_contact="not an address")
    soup = soup_of(response)
    assert_sound(soup, "correction with errors")
    for field in ("chosen", "new_phone", "reason", "reply_contact"):
        assert soup.find(id=f"{field}-error") is not None, field
    assert "new_phone-error" in described_by(soup, "new_phone")
    assert "reply_contact-error" in described_by(soup, "reply_contact")
    boxes = soup.find_all("input", attrs={"name": "chosen"})
    assert all("chosen-error" in box["aria-describedby"].split() for box in boxes)
    assert all(box["aria-invalid"] == "true" for box in boxes)


def test_a_field_with_two_errors_gives_each_its_own_id(app):
    with app.test_request_context():
        from portal.auth.forms import GetAccessForm

        form = GetAccessForm(meta={"csrf": False})
        form.email.errors = ["First problem.", "Second problem."]
        html = render_template_string('{% from "_macros.html" import field %}'
                                      '{{ field(f, hint="A hint.") }}', f=form.email)
    soup = BeautifulSoup(html, "html.parser")
    assert described_by(soup, "email") == ["email-hint", "email-error", "email-error-2"]
    assert [e.get_text() for e in soup.select(".field-error")] == ["First problem.", "Second problem."]
    assert soup.find(id="email")["aria-invalid"] == "true"


# --- whole pages: forms, ids, headings ------------------------------------------------------

@pytest.mark.parametrize("lang", ["en", "fi"])
def test_public_pages_are_sound(client, demo, lang):
    switch_language(client, lang)
    for path in PUBLIC_PAGES:
        assert_sound(soup_of(client.get(path)), path)


def test_customer_pages_are_sound(client, auth, demo_queue):
    auth.login(MATTI, DEMO_PASSWORD)
    paths = list(CUSTOMER_PAGES)
    listed = soup_of(client.get("/account/requests"))
    paths += [a["href"] for a in listed.select("#your-requests a[href^='/account/requests/PR-']")]
    assert len(paths) > len(CUSTOMER_PAGES)
    for path in paths:
        assert_sound(soup_of(client.get(path)), path)


def test_staff_pages_are_sound(app, client, demo_queue):
    staff = log_in_staff(client, demo_queue, ADMIN_EMAIL)
    queue = soup_of(staff.get("/staff/"))
    reviews = [a["href"] for a in queue.select("a[href^='/staff/requests/PR-']")][:3]
    with app.app_context():
        maija = db.session.execute(select(Customer.id).where(Customer.email == MAIJA)).scalar_one()
        db.session.remove()
    post_form(staff, f"/staff/customers/{maija}", reason="other", note="Checking the layout")
    assert len(reviews) == 3
    for path in STAFF_PAGES + reviews:
        assert_sound(soup_of(staff.get(path)), path)
    panel = soup_of(staff.get(f"/staff/customers/{maija}"))
    assert panel.select_one("#data-history table.stack") is not None  # the full view, not the purpose form
    assert_sound(panel, "customer panel")


# --- log-out --------------------------------------------------------------------------------

@pytest.mark.parametrize("lang", ["en", "fi"])
def test_log_out_is_confirmed_in_the_language_in_use(app, client, auth, demo, lang):
    auth.login(MAIJA, DEMO_PASSWORD)
    switch_language(client, lang)
    response = auth.logout()
    assert response.status_code == 302
    soup = soup_of(client.get(response.headers["Location"]))
    assert soup.html["lang"] == lang
    [status] = soup.select("p.flash[role=status]")
    # The Finnish comes from the catalogue once it has "You have logged out." (Olet kirjautunut ulos.).
    assert status.get_text(strip=True) == translated(app, "You have logged out.", lang)
    assert soup.select_one("header a[href='/login']") is not None


# --- the language chosen before logging in --------------------------------------------------

def _locale_of(app, email: str) -> tuple[str, str | None]:
    """The account's saved language and its register entry's preferred language."""
    with app.app_context():
        user = db.session.execute(select(User).where(User.email == email)).scalar_one()
        found = (user.locale, user.customer.language if user.customer else None)
        db.session.remove()
    return found


def test_language_chosen_before_log_in_is_kept_and_saved(app, client, auth, demo):
    assert _locale_of(app, MAIJA) == ("fi", "fi")
    switch_language(client, "en")
    auth.login(MAIJA, DEMO_PASSWORD)
    assert soup_of(client.get("/account")).html["lang"] == "en"
    assert _locale_of(app, MAIJA) == ("en", "en")
    other_browser = app.test_client()
    AuthActions(other_browser).login(MAIJA, DEMO_PASSWORD)
    assert soup_of(other_browser.get("/account")).html["lang"] == "en"


def test_language_left_by_a_log_out_is_not_forced_on_the_next_account(app, client, auth, demo):
    switch_language(client, "en")
    auth.login(MATTI, DEMO_PASSWORD)
    auth.logout()
    assert soup_of(client.get("/")).html["lang"] == "en"  # the page stays as it was
    auth.login(MAIJA, DEMO_PASSWORD)
    assert soup_of(client.get("/account")).html["lang"] == "fi"
    assert _locale_of(app, MAIJA) == ("fi", "fi")


def test_choosing_after_a_log_out_counts_as_a_choice(app, client, auth, demo):
    switch_language(client, "en")
    auth.login(MATTI, DEMO_PASSWORD)
    auth.logout()
    switch_language(client, "en")
    auth.login(MAIJA, DEMO_PASSWORD)
    assert _locale_of(app, MAIJA) == ("en", "en")


# --- phone numbers --------------------------------------------------------------------------

@pytest.mark.parametrize("stored, shown", [
    ("+358401234567", "+358 40 123 4567"), ("+35891234567", "+358 9 123 4567"),
    ("+4930123456", "+49 30 123456"), ("+358 40 123", "+358 40 123"), ("040 123", "040 123"),
    ("1234567-1", "1234567-1"), (None, None)])
def test_phone_numbers_are_grouped_for_reading(stored, shown):
    assert readable_phone(stored) == shown


def test_my_data_shows_a_stored_number_grouped_and_keeps_it_stored(app, client, auth, demo):
    with app.app_context():
        customer = db.session.execute(select(Customer).where(Customer.email == MAIJA)).scalar_one()
        customer.phone = "+358401234567"
        db.session.commit()
        db.session.remove()
    auth.login(MAIJA, DEMO_PASSWORD)
    html = page(client.get("/account"))
    assert "+358 40 123 4567" in html and "+358401234567" not in html
    with app.app_context():
        stored = db.session.execute(select(Customer.phone).where(Customer.email == MAIJA)).scalar_one()
        assert stored == "+358401234567"
        db.session.remove()
