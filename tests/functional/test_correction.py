"""Correction requests (Art 16): chosen fields, checked values, nothing typed is lost, new email confirmed."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from portal.demo import DEMO_PASSWORD
from portal.extensions import db
from portal.models import Customer, User
from tests.conftest import AuthActions, csrf_token, post_form
from tests.functional.helpers import (
    MAIJA,
    MATTI,
    assert_finnish,
    audit_actions,
    link_in,
    page,
    sent_mail,
    switch_language,
    translated,
)
from tests.functional.test_requests import (
    audit_details,
    change_request,
    file_request,
    log_in,
    requests_of,
    text_of,
)

NEW_ADDRESS = "maija.uusi@testi.example"


def _correct(client, reason="Tiedot ovat vanhentuneet", reply_contact=MAIJA, **values):
    """Post a correction: each keyword `field=value` is ticked and given that value."""
    data = {f"new_{name}": value for name, value in values.items()}
    return file_request(client, "correction", chosen=list(values), reason=reason,
                        reply_contact=reply_contact, **data)


def _customer(app, email: str) -> Customer:
    with app.app_context():
        user = db.session.execute(select(User).where(User.email == email)).scalar_one()
        customer = user.customer
        db.session.expunge_all()
        db.session.remove()
    return customer


def _error_next_to(html: str, field: str) -> str:
    """The error message shown under the input `field`."""
    match = re.search(rf'<small class="field-error" id="{field}-error">([^<]*)</small>', html)
    assert match, f"no error next to {field}"
    return match.group(1)


def test_form_lists_the_fields_with_current_values_and_prefills_the_reply_address(app, client, auth, demo):
    log_in(client, auth, MATTI)
    html = page(client.get("/account/requests/new/correction"))
    for name in ("first_name", "last_name", "organisation", "position", "business_id", "email", "phone",
                 "street_address", "postal_code", "city", "website", "e_invoice_address"):
        assert f'name="chosen" type="checkbox" value="{name}"' in html
        assert f'name="new_{name}"' in html
    assert "Hankintapäällikkö" in html and "003723456780" in html
    assert f'name="reply_contact" type="email" value="{MATTI}"' in html
    assert "novalidate" in html


def test_valid_correction_is_stored_normalised_with_its_reason(app, client, auth, demo):
    log_in(client, auth, MATTI)
    response = _correct(client, reason="We moved offices", reply_contact=MATTI, phone="050 765 4321",
                        business_id="12345671", postal_code="20 200", street_address="Uusikatu 5")
    assert response.status_code == 302
    [filed] = requests_of(app, MATTI)
    assert {c["field"]: c["new"] for c in filed.details["changes"]} == {
        "phone": "+358507654321", "business_id": "1234567-1", "postal_code": "20200",
        "street_address": "Uusikatu 5"}
    assert filed.details["reason"] == "We moved offices"
    assert "email_confirmation" not in filed.details
    shown = text_of(client.get(response.headers["Location"]))
    assert ("Correction of your data: business ID (Y-tunnus), phone number, street address, postal code"
            in shown)
    assert "+358507654321" in shown and "We moved offices" in shown
    # The register entry itself changes only when staff apply the correction.
    assert _customer(app, MATTI).phone == "+358 50 333 4444"
    assert audit_details(app, "request_submitted") == [{"reference": filed.reference, "kind": "correction"}]


INVALID = [
    ("email", "maija@", "Enter a valid email address, e.g. name@example.com."),
    ("phone", "040 12", "Enter a valid phone number, e.g. 040 123 4567 or +46 70 123 4567."),
    ("business_id", "1234567-2",
     "Enter a valid business ID (Y-tunnus), e.g. 1234567-1. Check the last digit."),
    ("postal_code", "3310", "Enter a postal code of five digits, e.g. 00100."),
    ("website", "ei osoite", "Enter a web address, e.g. www.example.fi."),
    ("e_invoice_address", "003712345672",
     "Enter an e-invoice address (OVT code, e.g. 003712345671) or an IBAN."),
    ("city", "", "Enter the new value."),
    ("last_name", "x" * 101, "The text is too long."),
]


@pytest.mark.parametrize(("field", "typed", "msgid"), INVALID, ids=[case[0] for case in INVALID])
def test_invalid_value_is_shown_in_finnish_next_to_its_field_and_nothing_is_stored(
        app, client, auth, demo, field, typed, msgid):
    log_in(client, auth, MAIJA)
    response = _correct(client, reason="Muutin", **{field: typed, "first_name": "Maria"})
    assert response.status_code == 200
    html = page(response)
    assert _error_next_to(html, f"new_{field}") == translated(app, msgid)
    assert translated(app, msgid) != msgid
    assert_finnish(app, html, "Check the details marked below. Nothing has been sent yet.")
    # Everything typed comes back: the bad value, the good one, both ticks and the reason.
    assert f'name="new_{field}" type="text" value="{typed}"' in html
    assert 'name="new_first_name" type="text" value="Maria"' in html
    assert re.search(rf'checked id="chosen-\d+" name="chosen" type="checkbox" value="{field}"', html)
    assert "Muutin</textarea>" in html
    assert requests_of(app, MAIJA) == [] and sent_mail(app) == []
    assert "request_submitted" not in audit_actions(app)


@pytest.mark.parametrize(("field", "typed", "msgid"), INVALID[:4], ids=[case[0] for case in INVALID[:4]])
def test_invalid_value_is_shown_in_english(app, client, auth, demo, field, typed, msgid):
    log_in(client, auth, MATTI)
    html = page(_correct(client, reply_contact=MATTI, **{field: typed}))
    assert _error_next_to(html, f"new_{field}") == msgid
    assert requests_of(app, MATTI) == []


def test_foreign_numbers_and_postal_codes_abroad(app, client, auth, demo):
    with app.app_context():
        db.session.execute(select(Customer).where(Customer.email == MATTI)).scalar_one().country = "SE"
        db.session.commit()
        db.session.remove()
    log_in(client, auth, MATTI)
    response = _correct(client, reply_contact=MATTI, phone="+46 70 123 45 67", postal_code="114 55")
    assert response.status_code == 302
    [filed] = requests_of(app, MATTI)
    assert {c["field"]: c["new"] for c in filed.details["changes"]} == {
        "phone": "+46701234567", "postal_code": "114 55"}


def test_a_typed_value_that_is_not_ticked_is_not_silently_dropped(app, client, auth, demo):
    log_in(client, auth, MAIJA)
    response = file_request(client, "correction", chosen=["city"], new_city="Lahti", new_phone="040 765 4321",
                            reason="Muutin", reply_contact=MAIJA)
    html = page(response)
    assert _error_next_to(html, "new_phone") == translated(
        app, "You typed a new value but did not tick this detail. Tick it, or clear the value.")
    assert 'value="040 765 4321"' in html and 'value="Lahti"' in html
    assert requests_of(app, MAIJA) == []


def test_at_least_one_field_and_a_reason_are_needed(app, client, auth, demo):
    log_in(client, auth, MAIJA)
    html = page(file_request(client, "correction", reason="", reply_contact=""))
    assert_finnish(app, html, "Choose at least one detail to correct.")
    assert_finnish(app, html, "Tell us what is wrong and on what basis.")
    assert_finnish(app, html, "Enter an email address for our reply.")
    assert requests_of(app, MAIJA) == []


def test_the_value_held_now_is_not_a_correction(app, client, auth, demo):
    log_in(client, auth, MAIJA)
    html = page(_correct(client, phone="040 111 2222"))  # Maija's number, written differently
    assert _error_next_to(html, "new_phone") == translated(
        app, "This is the value we already have. Enter the corrected value.")
    assert requests_of(app, MAIJA) == []


def test_an_open_correction_of_the_same_field_is_refused(app, client, auth, demo):
    log_in(client, auth, MAIJA)
    _correct(client, city="Lahti", postal_code="15100")
    [first] = requests_of(app, MAIJA)
    response = _correct(client, city="Espoo")
    assert response.status_code == 200
    shown = text_of(response)
    assert_finnish(app, shown, "You already have an open correction request about %(fields)s "
                               "(%(reference)s). We handle it first: add to it with a message, or cancel "
                               "it and send a new one.",
                   fields=translated(app, "City").lower(), reference=first.reference)
    assert 'value="Espoo"' in page(response)
    assert len(requests_of(app, MAIJA)) == 1
    # Another field is a separate matter.
    assert _correct(client, phone="040 765 4321").status_code == 302
    assert len(requests_of(app, MAIJA)) == 2


def test_fields_are_shown_in_english_for_an_english_customer(app, client, auth, demo):
    log_in(client, auth, MAIJA, "en")
    html = page(client.get("/account/requests/new/correction"))
    assert "Details to correct" in html and "Correct value: phone number" in html
    switch_language(client, "fi")
    assert_finnish(app, page(client.get("/account/requests/new/correction")), "Details to correct")


# --- a new email address ---------------------------------------------------------------------

def _confirmation_path(app) -> str:
    [message] = [m for m in sent_mail(app) if m.to == [NEW_ADDRESS]]
    return link_in(message, "/account/confirm-email/")


def test_new_email_address_is_sent_a_confirmation_link_in_the_customers_language(app, client, auth, demo):
    log_in(client, auth, MAIJA)
    _correct(client, email=NEW_ADDRESS)
    [filed] = requests_of(app, MAIJA)
    assert filed.details["email_confirmation"] == {"confirmed_at": None}
    [message] = [m for m in sent_mail(app) if m.to == [NEW_ADDRESS]]
    assert_finnish(app, message.subject, "Confirm your new email address")
    assert filed.reference in message.body
    assert _confirmation_path(app).startswith("/account/confirm-email/")
    assert [m.to for m in sent_mail(app)] == [[MAIJA], [NEW_ADDRESS]]
    shown = text_of(client.get(f"/account/requests/{filed.reference}"))
    assert_finnish(app, shown, "The new email address is not confirmed yet: open the link we sent to it.")


def test_opening_the_link_without_logging_in_confirms_the_address(app, client, auth, demo):
    log_in(client, auth, MAIJA)
    _correct(client, email=NEW_ADDRESS)
    path = _confirmation_path(app)
    other_browser = app.test_client()
    other_browser.environ_base["HTTP_ACCEPT_LANGUAGE"] = "fi"
    opened = other_browser.get(path)  # opening the link (or a mail scanner following it) changes nothing
    assert opened.status_code == 200
    assert_finnish(app, text_of(opened), "Confirm your new email address")
    assert requests_of(app, MAIJA)[0].details["email_confirmation"]["confirmed_at"] is None
    response = post_form(other_browser, path)
    assert response.status_code == 200
    assert_finnish(app, text_of(response), "Your new email address is confirmed")
    [filed] = requests_of(app, MAIJA)
    assert filed.details["email_confirmation"]["confirmed_at"]
    assert audit_details(app, "request_email_confirmed") == [{"reference": filed.reference}]
    # The log-in address changes only when staff apply the correction.
    assert AuthActions(app.test_client()).login(MAIJA, DEMO_PASSWORD).status_code == 302
    assert _customer(app, MAIJA).email == MAIJA
    shown = text_of(client.get(f"/account/requests/{filed.reference}"))
    assert_finnish(app, shown, "You have confirmed the new email address.")


def test_the_link_works_once(app, client, auth, demo):
    log_in(client, auth, MATTI)
    _correct(client, reply_contact=MATTI, email=NEW_ADDRESS)
    path = _confirmation_path(app)
    assert post_form(client, path).status_code == 200  # logged in works too
    again = post_form(client, path)
    assert again.status_code == 200 and "This address is already confirmed" in text_of(again)
    assert audit_actions(app).count("request_email_confirmed") == 1


def test_a_made_up_or_altered_link_confirms_nothing(app, client, auth, demo):
    log_in(client, auth, MATTI)
    _correct(client, reply_contact=MATTI, email=NEW_ADDRESS)
    path = _confirmation_path(app)
    anonymous = app.test_client()  # no saved language, no Accept-Language: Finnish
    for bad in (path[:-3] + "abc", "/account/confirm-email/InvalidToken.abc.def"):
        posted = anonymous.post(bad, data={"csrf_token": csrf_token(anonymous, path)})
        for response in (anonymous.get(bad), posted):
            assert response.status_code == 400
            assert_finnish(app, text_of(response), "This link is not valid")
    assert requests_of(app, MATTI)[0].details["email_confirmation"]["confirmed_at"] is None
    assert "request_email_confirmed" not in audit_actions(app)


def test_the_link_of_a_cancelled_request_confirms_nothing(app, client, auth, demo):
    log_in(client, auth, MATTI)
    _correct(client, reply_contact=MATTI, email=NEW_ADDRESS)
    [filed] = requests_of(app, MATTI)
    change_request(app, filed.reference, status="cancelled")
    response = app.test_client().get(_confirmation_path(app))
    assert_finnish(app, text_of(response), "This request is no longer open")
    assert requests_of(app, MATTI)[0].details["email_confirmation"]["confirmed_at"] is None
