"""Optional TOTP two-step log-in: set-up needs a fresh log-in, then every log-in needs the code."""

import re
import time

import pyotp
import pytest
from flask_security.proxies import _security
from sqlalchemy import select

from portal.demo import DEMO_PASSWORD, STAFF_EMAIL
from portal.extensions import db
from portal.models import User
from tests.conftest import csrf_token
from tests.factories import PASSWORD, UserFactory
from tests.functional.helpers import MAIJA, audit_actions, page, switch_language

# Flask-Security 5.9 builds its method choices as tuples, deprecated in WTForms 3.3.
pytestmark = pytest.mark.filterwarnings(
    "ignore:Passing SelectField choices as tuples:DeprecationWarning")

KEY_RE = re.compile(r"\b([A-Z2-7]{4}(?:-[A-Z2-7]{4}){5,})\b")
CODE_FORM_RE = re.compile(r'<form action="([^"]+)" method="post" name="two_factor_verify_code_form"')


def _start_setup(client) -> tuple[str, str]:
    """Choose the authenticator app; return the shown key and where the code goes."""
    token = csrf_token(client, "/account/two-step")
    shown = page(client.post("/account/two-step", data={"setup": "authenticator", "csrf_token": token}))
    return KEY_RE.search(shown).group(1), CODE_FORM_RE.search(shown).group(1)


def _code(key: str, offset: int = 0) -> str:
    """What an authenticator app shows for `key` (optionally in another 30 s window)."""
    totp = pyotp.TOTP(key.replace("-", ""))
    return totp.at(time.time() + offset)


def _wrong_codes(key: str, how_many: int) -> list[str]:
    """Codes that are not valid now (Flask-Security accepts codes from the last and next 2 minutes)."""
    valid = {_code(key, seconds) for seconds in range(-150, 151, 30)}
    return [c for c in (f"{n:06d}" for n in range(100000, 100100)) if c not in valid][:how_many]


def _post_code(client, action: str, code: str):
    token = csrf_token(client, "/privacy")
    return client.post(action, data={"code": code, "csrf_token": token})


def _set_up_maija(client, auth) -> str:
    auth.login(MAIJA, DEMO_PASSWORD)
    key, action = _start_setup(client)
    assert _post_code(client, action, _code(key)).status_code == 302
    auth.logout()
    return key


def _secret_of(app, email: str):
    with app.app_context():
        secret = db.session.execute(select(User.tf_totp_secret).where(User.email == email)).scalar_one()
        db.session.remove()
    return secret


def test_setup_with_a_valid_code_turns_two_step_on(app, client, auth, demo):
    auth.login(MAIJA, DEMO_PASSWORD)
    key, action = _start_setup(client)
    response = _post_code(client, action, _code(key))
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/account")
    assert _secret_of(app, MAIJA) is not None
    assert "two_step_changed" in audit_actions(app)
    switch_language(client, "en")
    assert re.search(r"Two-step verification</dt>\s*<dd>On<", page(client.get("/account")))


def test_setup_with_a_wrong_code_changes_nothing(app, client, auth, demo):
    auth.login(MAIJA, DEMO_PASSWORD)
    key, action = _start_setup(client)
    [wrong] = _wrong_codes(key, 1)
    response = _post_code(client, action, wrong)
    assert response.headers["Location"].endswith("/account/two-step")
    assert "flash-error" in page(client.get(response.headers["Location"]))
    assert _secret_of(app, MAIJA) is None


def test_setup_needs_a_fresh_login(client, auth, demo):
    auth.login(MAIJA, DEMO_PASSWORD)
    with client.session_transaction() as session:
        session["fs_paa"] = time.time() - 3600
    response = client.get("/account/two-step")
    assert response.status_code == 302
    assert "/verify" in response.headers["Location"]


def test_login_then_needs_the_code(app, client, auth, demo):
    key = _set_up_maija(client, auth)
    response = auth.login(MAIJA, DEMO_PASSWORD)
    assert response.status_code == 302
    assert "/login/code" in response.headers["Location"]
    assert client.get("/account").status_code == 302
    ok = _post_code(client, "/login/code", _code(key, 30))
    assert ok.status_code == 302
    assert client.get("/account").status_code == 200


def test_wrong_code_is_refused_and_audited(app, client, auth, demo):
    key = _set_up_maija(client, auth)
    auth.login(MAIJA, DEMO_PASSWORD)
    [wrong] = _wrong_codes(key, 1)
    response = _post_code(client, "/login/code", wrong)
    assert response.status_code == 200
    assert client.get("/account").status_code == 302
    assert audit_actions(app)[-1] == "login_failed"


def test_demo_staff_login_requires_the_code(app, client, auth, demo):
    response = auth.login(STAFF_EMAIL, DEMO_PASSWORD)
    assert "/login/code" in response.headers["Location"]
    with app.app_context():
        key = _security._totp_factory.get_totp_b32_key(_secret_of(app, STAFF_EMAIL))
    assert _post_code(client, "/login/code", pyotp.TOTP(key).now()).status_code == 302
    assert 'action="/logout"' in page(client.get("/"))
    assert audit_actions(app)[-1] == "login"


def test_a_used_code_cannot_be_used_again(client, auth, demo):
    """A TOTP code works once (ASVS 2.8.4): someone who saw it cannot log in with it."""
    key = _set_up_maija(client, auth)
    code = _code(key, 30)
    auth.login(MAIJA, DEMO_PASSWORD)
    assert _post_code(client, "/login/code", code).status_code == 302
    auth.logout()
    auth.login(MAIJA, DEMO_PASSWORD)
    _post_code(client, "/login/code", code)
    assert client.get("/account").status_code == 302


def test_wrong_codes_are_throttled(client, auth, demo):
    key = _set_up_maija(client, auth)
    auth.login(MAIJA, DEMO_PASSWORD)
    statuses = [_post_code(client, "/login/code", code).status_code for code in _wrong_codes(key, 6)]
    assert statuses == [200] * 5 + [429]


def test_staff_without_two_step_must_set_it_up_before_getting_in(app, client, auth):
    """Staff log in with mandatory TOTP (design §4.1); a new reviewer has none yet."""
    with app.app_context():
        UserFactory(customer=None, email="uusi.kasittelija@esimerkki.example", roles=["reviewer"])
        db.session.commit()
        db.session.remove()
    response = auth.login("uusi.kasittelija@esimerkki.example", PASSWORD)
    assert "/account/two-step" in response.headers.get("Location", "")
    assert 'action="/logout"' not in page(client.get("/privacy"))
