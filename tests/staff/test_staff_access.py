"""Staff land on their own pages, accept the confidentiality commitment first, stay out of customer pages."""

from __future__ import annotations

from sqlalchemy import select

from portal.demo import ADMIN_EMAIL, STAFF_EMAIL
from portal.extensions import db
from portal.models import User
from tests.conftest import AuthActions, csrf_token, log_in_staff
from tests.functional.helpers import MAIJA, assert_finnish, audit_actions, page


def _signed_at(app, email):
    with app.app_context():
        value = db.session.execute(
            select(User.confidentiality_signed_at).where(User.email == email)).scalar_one()
        db.session.remove()
    return value


def test_reviewer_accepts_the_commitment_before_anything_else(app, client, demo_queue):
    log_in_staff(client, demo_queue, STAFF_EMAIL)
    landing = client.get("/account")
    assert landing.headers["Location"].endswith("/staff/")
    queue = client.get("/staff/")
    assert queue.status_code == 302 and queue.headers["Location"].endswith("/staff/commitment")
    shown = page(client.get("/staff/commitment"))
    assert "Sitoudun pitämään salassa" in shown
    # Not ticking the box changes nothing.
    refused = client.post("/staff/commitment", data={"csrf_token": csrf_token(client, "/staff/commitment")})
    assert refused.status_code == 200
    assert_finnish(app, page(refused), "Tick the box to accept the commitment.")
    assert _signed_at(app, STAFF_EMAIL) is None
    accepted = client.post("/staff/commitment", data={"accept": "y",
                                                       "csrf_token": csrf_token(client, "/staff/commitment")})
    assert accepted.headers["Location"].endswith("/staff/")
    assert _signed_at(app, STAFF_EMAIL) is not None
    assert "confidentiality_accepted" in audit_actions(app)
    assert client.get("/staff/").status_code == 200


def test_staff_land_on_the_queue_after_log_in(client, demo_queue):
    log_in_staff(client, demo_queue, ADMIN_EMAIL)
    assert client.get("/account").headers["Location"].endswith("/staff/")
    assert client.get("/staff/").status_code == 200
    assert client.get("/account/requests").status_code == 403


def test_customers_and_strangers_are_kept_out(client, auth, demo_queue):
    assert client.get("/staff/").status_code in (302, 401)
    assert AuthActions(client).login(MAIJA, "Esimerkki-demo-2026").headers["Location"].endswith("/account")
    for path in ("/staff/", "/staff/commitment", "/staff/audit", "/staff/requests/new"):
        assert client.get(path).status_code == 403, path


def test_only_administrators_open_the_audit_log(reviewer_client):
    assert reviewer_client.get("/staff/audit").status_code == 403
