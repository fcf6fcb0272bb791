"""Staff administration (/staff/admin): administrators invite, change roles and close accounts;
closing ends the person's sessions at once, and the portal always keeps an administrator."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from portal.demo import ADMIN_EMAIL, STAFF_EMAIL
from portal.extensions import db
from portal.models import User
from tests.conftest import csrf_token, log_in_staff, set_password_form
from tests.functional.helpers import audit_actions, page, sent_mail, switch_language

NEW = "uusi.kasittelija@esimerkki.example"
GOOD_PASSWORD = "Kolme-kissaa-kattolla-2026"


@pytest.fixture
def admin_client(admin_client):
    """The demo administrator, reading the pages in English."""
    switch_language(admin_client, "en", "/staff/admin")
    return admin_client


def _user(app, email: str) -> User:
    with app.app_context():
        user = db.session.execute(select(User).where(User.email == email)).scalar_one()
        db.session.expunge(user)
        return user


def _post(client, path: str, **data):
    return client.post(path, data={**data, "csrf_token": csrf_token(client, "/staff/admin")})


def _reviewer_client(app, demo_queue):
    """A second browser: the demo reviewer logged in, commitment accepted."""
    from portal.models.types import utcnow

    with app.app_context():
        user = db.session.execute(select(User).where(User.email == STAFF_EMAIL)).scalar_one()
        user.confidentiality_signed_at = utcnow()
        db.session.commit()
        db.session.remove()
    return log_in_staff(app.test_client(), demo_queue, STAFF_EMAIL)


def test_admin_sees_every_staff_member_and_their_state(admin_client):
    shown = page(admin_client.get("/staff/admin"))
    assert STAFF_EMAIL in shown and ADMIN_EMAIL in shown
    assert "Commitment not yet accepted" in shown or "Active" in shown
    assert 'href="/staff/admin"' in page(admin_client.get("/staff/"))


def test_a_reviewer_cannot_open_or_post_to_the_administration(app, reviewer_client):
    assert reviewer_client.get("/staff/admin").status_code == 403
    admin = _user(app, ADMIN_EMAIL)
    token = csrf_token(reviewer_client, "/staff/")
    response = reviewer_client.post(f"/staff/admin/{admin.id}/deactivate", data={"csrf_token": token})
    assert response.status_code == 403
    assert _user(app, ADMIN_EMAIL).active
    assert 'href="/staff/admin"' not in page(reviewer_client.get("/staff/"))


def test_invited_staff_member_sets_a_password_then_must_set_up_two_step(app, admin_client, client):
    response = _post(admin_client, "/staff/admin/invite", email=NEW, role="reviewer", language="en")
    assert response.status_code == 303
    assert f"Invitation sent to {NEW}." in page(admin_client.get("/staff/admin"))
    [mail] = [m for m in sent_mail(app) if NEW in m.to]
    assert mail.subject.startswith("Your staff account in the")
    link = re.search(r"https?://\S+/activate/\S+", mail.body).group(0)
    path = link.split("://", 1)[1].split("/", 1)[1]
    fresh = app.test_client()
    set_password_form(fresh, "/" + path, GOOD_PASSWORD)
    invited = _user(app, NEW)
    assert invited.password and invited.is_staff and not invited.has_role("admin")
    login = fresh.post("/login", data={"email": NEW, "password": GOOD_PASSWORD,
                                       "csrf_token": csrf_token(fresh, "/login")})
    assert "/account/two-step" in login.headers["Location"]
    assert "staff_invited" in audit_actions(app)


def test_invitation_in_finnish_and_refusals_keep_the_form(app, admin_client):
    switch_language(admin_client, "fi")
    response = _post(admin_client, "/staff/admin/invite", email="ei-osoite", role="reviewer", language="fi")
    assert response.status_code == 400
    assert 'value="ei-osoite"' in page(response)
    response = _post(admin_client, "/staff/admin/invite", email=STAFF_EMAIL.upper(), role="admin",
                     language="fi")
    assert response.status_code == 400
    with app.app_context():
        assert db.session.execute(select(User).where(User.email == "ei-osoite")).first() is None
    _post(admin_client, "/staff/admin/invite", email=NEW, role="admin", language="fi")
    [mail] = [m for m in sent_mail(app) if NEW in m.to]
    assert "ylläpitäjäksi" in mail.body
    assert _user(app, NEW).has_role("admin") and _user(app, NEW).locale == "fi"


def test_closing_an_account_ends_its_sessions_at_once_and_opening_restores_log_in(app, admin_client,
                                                                                  demo_queue):
    reviewer = _reviewer_client(app, demo_queue)
    assert reviewer.get("/staff/").status_code == 200
    target = _user(app, STAFF_EMAIL)
    response = _post(admin_client, f"/staff/admin/{target.id}/deactivate")
    assert response.status_code == 303
    assert "can no longer log in" in page(admin_client.get("/staff/admin"))
    assert reviewer.get("/staff/").status_code in (302, 401)
    assert not _user(app, STAFF_EMAIL).active
    _post(admin_client, f"/staff/admin/{target.id}/reactivate")
    assert _user(app, STAFF_EMAIL).active
    assert {"staff_deactivated", "staff_reactivated"} <= set(audit_actions(app))


def test_role_change_takes_effect_on_the_next_page(app, admin_client, demo_queue):
    reviewer = _reviewer_client(app, demo_queue)
    assert reviewer.get("/staff/audit").status_code == 403
    target = _user(app, STAFF_EMAIL)
    _post(admin_client, f"/staff/admin/{target.id}/role", role="admin")
    assert reviewer.get("/staff/audit").status_code == 200
    _post(admin_client, f"/staff/admin/{target.id}/role", role="reviewer")
    assert reviewer.get("/staff/audit").status_code == 403
    assert "staff_role_changed" in audit_actions(app)


@pytest.mark.parametrize("change", ["deactivate", "role"])
def test_the_last_administrator_cannot_remove_themselves(app, admin_client, change):
    me = _user(app, ADMIN_EMAIL)
    _post(admin_client, f"/staff/admin/{me.id}/{change}", role="reviewer")
    shown = page(admin_client.get("/staff/admin"))
    assert "at least one active administrator" in shown
    after = _user(app, ADMIN_EMAIL)
    assert after.active and after.has_role("admin")


def test_with_a_second_administrator_the_first_may_step_down(app, admin_client):
    target = _user(app, STAFF_EMAIL)
    _post(admin_client, f"/staff/admin/{target.id}/role", role="admin")
    me = _user(app, ADMIN_EMAIL)
    _post(admin_client, f"/staff/admin/{me.id}/role", role="reviewer")
    assert not _user(app, ADMIN_EMAIL).has_role("admin")
    assert admin_client.get("/staff/admin").status_code == 403


def test_unknown_or_customer_accounts_are_not_staff(app, admin_client):
    from tests.functional.helpers import MAIJA

    customer = _user(app, MAIJA)
    assert _post(admin_client, f"/staff/admin/{customer.id}/deactivate").status_code == 404
    assert _post(admin_client, "/staff/admin/999999/reactivate").status_code == 404
    assert _user(app, MAIJA).active
