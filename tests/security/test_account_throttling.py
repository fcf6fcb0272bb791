"""Per-account limits: every spelling of an address counts, the owner's known browser still gets
in, a reset clears the count, and second-step codes and current-password checks are limited too."""

import pyotp
import pytest
from flask_security.proxies import _security

from portal.demo import DEMO_PASSWORD, STAFF_EMAIL
from tests.conftest import AuthActions, csrf_token, set_password_form
from tests.functional.helpers import MAIJA, link_in, page, sent_mail
from tests.functional.test_two_step import _post_code, _secret_of, _wrong_codes

WRONG = "Vaara-salasana-123"
# Spellings that log in to Maija's account: case, a full-width full stop in the domain.
SPELLINGS = [
    MAIJA.upper(),
    MAIJA.replace("esimerkki.example", "Esimerkki\uff0eExample"),
    MAIJA.replace(".example", "\uff0eexample"),
]


def _client_from(app, n: int):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = f"198.51.100.{n}"
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def _fail_from_many_addresses(app, times: int, spellings=(MAIJA,)) -> list[int]:
    return [AuthActions(_client_from(app, 10 + n)).login(spellings[n % len(spellings)], WRONG).status_code
            for n in range(times)]


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_every_spelling_logs_in_to_the_same_account(app, demo, spelling):
    assert AuthActions(_client_from(app, 1)).login(spelling, DEMO_PASSWORD).status_code == 302


def test_other_spellings_count_towards_the_same_account(app, demo):
    assert _fail_from_many_addresses(app, 10, SPELLINGS) == [200] * 10
    stranger = AuthActions(_client_from(app, 99))
    response = stranger.login(MAIJA, DEMO_PASSWORD)
    assert response.status_code == 429
    assert "reset your password" in page(response)


def test_the_owner_on_a_known_browser_still_gets_in_from_a_new_address(app, demo):
    owner = _client_from(app, 1)
    AuthActions(owner).login(MAIJA, DEMO_PASSWORD)
    AuthActions(owner).logout()
    _fail_from_many_addresses(app, 12, SPELLINGS)
    owner.environ_base["REMOTE_ADDR"] = "203.0.113.77"  # the owner's phone moved networks
    assert AuthActions(owner).login(MAIJA, DEMO_PASSWORD).status_code == 302
    assert owner.get("/account").status_code == 200
    # The attacker holding the right password but not the owner's browser is still refused.
    assert AuthActions(_client_from(app, 98)).login(MAIJA, DEMO_PASSWORD).status_code == 429


def test_a_known_browser_cookie_works_only_for_its_own_account(app, demo):
    browser = _client_from(app, 1)
    AuthActions(browser).login("matti.virtanen@testiyhtio.example", DEMO_PASSWORD)
    AuthActions(browser).logout()
    _fail_from_many_addresses(app, 10)
    assert AuthActions(browser).login(MAIJA, DEMO_PASSWORD).status_code == 429


def test_a_forged_known_browser_cookie_is_ignored(app, demo):
    _fail_from_many_addresses(app, 10)
    forger = _client_from(app, 97)
    forger.set_cookie("portal_device", "W1siYWJjIiwiZGVmIl1d.forged")
    assert AuthActions(forger).login(MAIJA, DEMO_PASSWORD).status_code == 429


def test_a_known_browser_has_its_own_limit(app, demo):
    owner = _client_from(app, 1)
    AuthActions(owner).login(MAIJA, DEMO_PASSWORD)
    AuthActions(owner).logout()
    _fail_from_many_addresses(app, 10)
    statuses = []
    for n in range(11):
        owner.environ_base["REMOTE_ADDR"] = f"203.0.113.{n + 1}"
        statuses.append(AuthActions(owner).login(MAIJA, WRONG).status_code)
    assert statuses == [200] * 10 + [429]


def test_resetting_the_password_by_email_lets_the_owner_in_on_a_new_device(app, demo):
    _fail_from_many_addresses(app, 10)
    new_device = _client_from(app, 50)
    token = csrf_token(new_device, "/reset")
    new_device.post("/reset", data={"email": MAIJA, "csrf_token": token})
    path = link_in(sent_mail(app)[-1], "/reset/")
    assert set_password_form(new_device, path, "Uusi-ja-vahva-salasana-42").status_code == 302
    assert AuthActions(new_device).login(MAIJA, "Uusi-ja-vahva-salasana-42").status_code == 302


def _staff_at_code_step(app, n: int):
    client = _client_from(app, n)
    assert "/login/code" in AuthActions(client).login(STAFF_EMAIL, DEMO_PASSWORD).headers["Location"]
    return client


def test_second_step_codes_are_limited_per_account_across_addresses(app, demo):
    with app.app_context():
        key = _security._totp_factory.get_totp_b32_key(_secret_of(app, STAFF_EMAIL))
    wrong = _wrong_codes(key, 5)
    statuses = [_post_code(_staff_at_code_step(app, 20 + n), "/login/code", code).status_code
                for n, code in enumerate(wrong)]
    assert statuses == [200] * 5
    last = _staff_at_code_step(app, 40)
    assert _post_code(last, "/login/code", pyotp.TOTP(key).now()).status_code == 429


def _change_password(client, current: str):
    token = csrf_token(client, "/account/password")
    return client.post("/account/password", data={
        "password": current, "new_password": "Toinen-vahva-salasana-8",
        "new_password_confirm": "Toinen-vahva-salasana-8", "csrf_token": token})


def test_current_password_checks_are_limited_per_account(app, demo):
    sessions = []
    for n in range(6):
        client = _client_from(app, 60 + n)
        AuthActions(client).login(MAIJA, DEMO_PASSWORD)
        sessions.append(client)
    statuses = [_change_password(client, WRONG).status_code for client in sessions[:5]]
    assert statuses == [200] * 5
    assert _change_password(sessions[5], DEMO_PASSWORD).status_code == 429
