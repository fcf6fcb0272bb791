"""Extra fields posted with a form change nothing the form is not for (ASVS 5.1.2, 4.2.1).

Each test snapshots every account and register row, posts a real form with hostile
extra fields (another customer's ids, a staff role, ...) and compares.
"""

from __future__ import annotations

import re

import pyotp
import pytest
from sqlalchemy import inspect, select

from portal.demo import DEMO_PASSWORD
from portal.extensions import db
from portal.models import Customer, User
from tests.conftest import AuthActions, csrf_token
from tests.functional.helpers import ANNA, LIISA, MAIJA, MATTI, PEKKA, link_in, page, sent_mail

NEW_PASSWORD = "Massasijoitus-ei-mene-läpi-9"
ATTACKER_EMAIL = "hyokkaaja@hyokkaaja.example"
ATTACKER_UNIQUIFIER = "hyokkaajan-valitsema-tunniste"
KEY_RE = re.compile(r"\b([A-Z2-7]{4}(?:-[A-Z2-7]{4}){5,})\b")
CODE_FORM_RE = re.compile(r'<form action="([^"]+)" method="post" name="two_factor_verify_code_form"')

# Flask-Security 5.9 builds its two-step method choices as tuples, deprecated in WTForms 3.3.
pytestmark = pytest.mark.filterwarnings(
    "ignore:Passing SelectField choices as tuples:DeprecationWarning")


def _snapshot(app) -> dict[tuple[str, str], dict]:
    """Every column of every account (with its role names) and register entry, by email."""
    with app.app_context():
        rows = {}
        for model in (User, Customer):
            columns = [c.key for c in inspect(model).column_attrs]
            for obj in db.session.execute(select(model)).scalars():
                values = {key: getattr(obj, key) for key in columns}
                if model is User:
                    values["roles"] = sorted(role.name for role in obj.roles)
                rows[(model.__tablename__, obj.email)] = values
        db.session.remove()
    return rows


def _changes(before: dict, after: dict) -> set[tuple[str, str, str]]:
    """(table, email, column) of every value that differs; a new row shows as column '*new*'."""
    changed = {(*key, "*new*") for key in after.keys() - before.keys()}
    changed |= {(*key, "*gone*") for key in before.keys() - after.keys()}
    for key in before.keys() & after.keys():
        changed |= {(*key, col) for col, value in before[key].items() if after[key][col] != value}
    return changed


@pytest.fixture
def extra(app, demo):
    """Hostile extra fields: Matti's ids, a staff role, a chosen address, uniquifier and method."""
    with app.app_context():
        matti = db.session.execute(select(User).where(User.email == MATTI)).scalar_one()
        fields = {"role": "reviewer", "roles": ["reviewer", "admin"], "status": "active",
                  "customer_id": str(matti.customer_id), "user_id": str(matti.id), "active": "0",
                  "email": ATTACKER_EMAIL, "fs_uniquifier": ATTACKER_UNIQUIFIER,
                  "tf_primary_method": "email"}
        db.session.remove()
    return fields


def _post(client, path: str, data: dict, extra: dict, locale: str, token_from: str | None = None):
    """Post the form at `path` with `data`, plus every extra field the form does not have."""
    token = csrf_token(client, token_from or path)
    hostile = {k: v for k, v in {**extra, "locale": locale}.items() if k not in data}
    return client.post(path, data={**hostile, **data, "csrf_token": token})


def _logged_in(app, email: str = MAIJA):
    client = app.test_client()
    assert AuthActions(client).login(email, DEMO_PASSWORD).status_code == 302
    return client


def _account(app, email: str) -> dict:
    return _snapshot(app)[("account", email)]


def test_login(app, client, extra):
    before = _snapshot(app)
    response = _post(client, "/login", {"email": MAIJA, "password": DEMO_PASSWORD}, extra, "en")
    assert response.status_code == 302
    assert _changes(before, _snapshot(app)) == set()


def test_get_access_creates_only_a_plain_customer_account(app, client, extra):
    before = _snapshot(app)
    response = _post(client, "/get-access", {"email": ANNA}, extra, "fi")
    assert response.status_code == 200
    assert _changes(before, _snapshot(app)) == {("account", ANNA, "*new*")}
    anna = _account(app, ANNA)
    customer = _snapshot(app)[("customer", ANNA)]
    assert anna["roles"] == ["customer"]
    assert anna["customer_id"] == customer["id"]
    assert (anna["locale"], anna["active"], anna["password"]) == ("en", True, None)
    assert anna["tf_primary_method"] is None
    assert anna["fs_uniquifier"] != ATTACKER_UNIQUIFIER


def test_activation_sets_only_the_password(app, client, extra):
    _post(client, "/get-access", {"email": ANNA}, extra, "fi")
    path = link_in(sent_mail(app)[-1], "/activate/")
    before = _snapshot(app)
    response = _post(client, path, {"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD},
                     extra, "fi")
    assert response.status_code == 302
    assert _changes(before, _snapshot(app)) == {
        ("account", ANNA, "password"), ("account", ANNA, "activated_at"),
        ("account", ANNA, "confirmed_at")}


def test_language_switch_changes_only_the_language(app, extra):
    client = _logged_in(app)
    before = _snapshot(app)
    response = _post(client, "/language/en", {"next": "/account"}, extra, "fi", token_from="/privacy")
    assert response.status_code == 302
    assert _changes(before, _snapshot(app)) == {
        ("account", MAIJA, "locale"), ("customer", MAIJA, "language"), ("customer", MAIJA, "updated_at")}
    assert _account(app, MAIJA)["locale"] == "en"


def test_ending_other_sessions_changes_no_account(app, extra):
    client = _logged_in(app)
    before = _snapshot(app)
    response = _post(client, "/account/sessions/end-others", {}, extra, "en", token_from="/account")
    assert response.status_code == 302
    assert _changes(before, _snapshot(app)) == set()


def test_logout_changes_no_account(app, extra):
    client = _logged_in(app)
    before = _snapshot(app)
    response = _post(client, "/logout", {}, extra, "en", token_from="/privacy")
    assert response.status_code == 302
    assert _changes(before, _snapshot(app)) == set()


def test_password_change_changes_only_the_password(app, extra):
    client = _logged_in(app)
    before = _snapshot(app)
    response = _post(client, "/account/password", {
        "password": DEMO_PASSWORD, "new_password": NEW_PASSWORD,
        "new_password_confirm": NEW_PASSWORD}, extra, "en")
    assert response.status_code == 302
    # A new uniquifier (Flask-Security's own, not the posted one) invalidates old sessions.
    assert _changes(before, _snapshot(app)) == {
        ("account", MAIJA, "password"), ("account", MAIJA, "fs_uniquifier")}
    assert _account(app, MAIJA)["fs_uniquifier"] != ATTACKER_UNIQUIFIER


def test_password_reset_changes_only_the_password(app, client, extra):
    before = _snapshot(app)
    response = _post(client, "/reset", {"email": MAIJA}, extra, "en")
    assert response.status_code in (200, 302)
    assert _changes(before, _snapshot(app)) == set()
    path = link_in(sent_mail(app)[-1], "/reset/")
    response = _post(client, path, {"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD},
                     extra, "en")
    assert response.status_code == 302
    assert _changes(before, _snapshot(app)) == {
        ("account", MAIJA, "password"), ("account", MAIJA, "fs_uniquifier")}
    assert _account(app, MAIJA)["fs_uniquifier"] != ATTACKER_UNIQUIFIER


def test_two_step_setup_changes_only_the_two_step_settings(app, extra):
    client = _logged_in(app)
    before = _snapshot(app)
    response = _post(client, "/account/two-step", {"setup": "authenticator"}, extra, "en")
    shown = page(response)
    key, action = KEY_RE.search(shown).group(1), CODE_FORM_RE.search(shown).group(1)
    code = pyotp.TOTP(key.replace("-", "")).now()
    response = _post(client, action, {"code": code}, extra, "en", token_from="/privacy")
    assert response.status_code == 302
    assert _changes(before, _snapshot(app)) == {
        ("account", MAIJA, "tf_primary_method"), ("account", MAIJA, "tf_totp_secret"),
        ("account", MAIJA, "tf_totp_last_counter")}
    assert _account(app, MAIJA)["tf_primary_method"] == "authenticator"


OTHERS = {
    "Matti": [MATTI, "Virtanen", "Testiyhtiö", "+358 50 333 4444", "T-2026-0456", "TA-2026-014"],
    "Liisa": [LIISA, "+358 44 555 6666", "T-2026-0990", "Sohva ja nojatuoli"],
    "Pekka": [PEKKA, "Mallinen", "+358 45 777 8888", "T-2022-0312", "Kuntopyörä"],
    "Anna": [ANNA, "Testinen", "T-2018-0044", "Kirjahylly"],
}


def test_my_data_shows_only_the_logged_in_customer_whatever_the_query(app, extra):
    client = _logged_in(app)
    for query in ({}, {k: v for k, v in extra.items() if k in ("customer_id", "user_id")},
                  {"id": extra["customer_id"], "customer": extra["customer_id"]}):
        response = client.get("/account", query_string=query)
        assert response.status_code == 200
        shown = page(response)
        assert "Meikäläinen" in shown and MAIJA in shown and "T-2024-0101" in shown
        for name, values in OTHERS.items():
            for value in values:
                assert value not in shown, f"/account?{query} shows {name}'s {value!r}"
