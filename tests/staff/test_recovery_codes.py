"""Staff who lose their authenticator get in with a one-time recovery code, once per code."""

from __future__ import annotations

import re

from sqlalchemy import select

from portal.demo import ADMIN_EMAIL, DEMO_PASSWORD
from portal.extensions import db
from portal.models import User
from tests.conftest import AuthActions, csrf_token, log_in_staff
from tests.functional.helpers import page

CODE = re.compile(r"\b([a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4})\b")


def _make_codes(client) -> list[str]:
    token = csrf_token(client, "/account/recovery-codes")
    shown = page(client.post("/account/recovery-codes", data={"csrf_token": token, "show_codes": "y"}))
    return CODE.findall(shown)


def test_recovery_code_replaces_the_authenticator_once(app, demo_queue):
    staff = log_in_staff(app.test_client(), demo_queue, ADMIN_EMAIL)
    codes = _make_codes(staff)
    assert len(codes) == 8
    with app.app_context():
        stored = db.session.execute(
            select(User.mf_recovery_codes).where(User.email == ADMIN_EMAIL)).scalar_one()
        assert codes[0] not in ",".join(stored)  # kept encrypted, not as typed
        db.session.remove()
    for attempt in ("first", "again"):
        browser = app.test_client()
        assert "/login/code" in AuthActions(browser).login(ADMIN_EMAIL, DEMO_PASSWORD).headers["Location"]
        response = browser.post("/login/recovery", data={"code": codes[0],
                                                         "csrf_token": csrf_token(browser, "/privacy")})
        if attempt == "first":
            assert response.status_code == 302 and "/login" not in response.headers["Location"]
            assert browser.get("/staff/").status_code == 200
        else:
            assert response.status_code != 302  # a used code does not work twice
            assert browser.get("/staff/").status_code != 200
