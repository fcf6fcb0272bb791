"""Password log-in: where it leads, one generic answer for every failure, and the audit trail."""

import re

from sqlalchemy import select

from portal.demo import DEMO_PASSWORD
from portal.extensions import db
from portal.models import AuditEvent
from tests.functional.helpers import MAIJA, PEKKA, audit_actions, page, without_tokens

UNKNOWN = "ei.ketaan@esimerkki.example"


def _without_echoed_email(text: str) -> str:
    """The page with the typed address and the per-form CSRF token blanked out."""
    return re.sub(r'(name="email"[^>]*value=")[^"]*"', r'\1"', text)


def test_right_password_leads_to_my_data(client, auth, demo):
    response = auth.login(PEKKA, DEMO_PASSWORD)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/account")
    shown = page(client.get("/account"))
    assert "Pekka" in shown and "Mallinen" in shown


def test_wrong_password_and_unknown_email_get_identical_answers(client, auth, demo):
    wrong = auth.login(PEKKA, "Vaara-salasana-123")
    unknown = auth.login(UNKNOWN, "Vaara-salasana-123")
    assert wrong.status_code == unknown.status_code == 200
    assert _without_echoed_email(without_tokens(page(wrong))) == _without_echoed_email(
        without_tokens(page(unknown)))


def test_failed_login_shows_generic_message_and_stays_logged_out(client, auth, demo):
    shown = page(auth.login(PEKKA, "Vaara-salasana-123"))
    assert re.search(r'<div class="form-errors" id="login-error">\s*'
                     r'<p class="flash flash-error" role="alert">', shown)
    assert "not exist" not in shown and "Invalid password" not in shown
    assert client.get("/account").status_code == 302


def test_email_is_case_insensitive(client, auth, demo):
    response = auth.login(MAIJA.upper(), DEMO_PASSWORD)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/account")


def test_login_and_failures_are_audited(app, auth, demo):
    auth.login(PEKKA, "Vaara-salasana-123")
    auth.login(UNKNOWN, "Vaara-salasana-123")
    auth.login(PEKKA, DEMO_PASSWORD)
    assert audit_actions(app) == ["login_failed", "login_failed", "login"]


def test_account_without_password_cannot_log_in(app, client, auth, demo):
    """Anna is in the register but has no account: no password works for her."""
    response = auth.login("anna.testinen@esimerkki.example", DEMO_PASSWORD)
    assert response.status_code == 200
    assert client.get("/account").status_code == 302
    assert audit_actions(app) == ["login_failed"]


def test_failed_login_audit_keeps_no_typed_address_or_password(app, auth, demo):
    auth.login(UNKNOWN, "Vaara-salasana-123")
    auth.login(PEKKA, "Vaara-salasana-456")
    with app.app_context():
        rows = db.session.execute(select(AuditEvent)).scalars().all()
        stored = " ".join(f"{r.details} {r.purpose}" for r in rows)
        kinds = [(r.actor_kind, r.actor_id is not None) for r in rows]
        db.session.remove()
    for secret in (UNKNOWN, "Vaara-salasana", PEKKA):
        assert secret not in stored
    assert kinds == [("anonymous", False), ("customer", True)]
