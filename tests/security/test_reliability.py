"""Nothing is half-saved: a change, its audit entry and its email commit together or not at all;
the same form posted twice gives one result."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, event, func, select, update
from sqlalchemy.orm import Session

from portal.auth import deferred
from portal.auth.routes import signer
from portal.demo import DEMO_PASSWORD
from portal.extensions import db
from portal.mailer import drain
from portal.models import AuditEvent, OutboxMessage, User, UserSession
from portal.models.types import utcnow
from portal.services import invitations, outbox, sessions
from tests.conftest import AuthActions, csrf_token, set_password_form
from tests.functional.helpers import (
    ANNA,
    MAIJA,
    assert_finnish,
    audit_actions,
    link_in,
    page,
    sent_mail,
    switch_language,
    translated,
)

NEW_PASSWORD = "Kuusi-koivua-rannalla-7"


class InjectedFault(RuntimeError):
    """The failure a test injects half-way through a change."""


def _committed(app, statement):
    """Run `statement` on a new connection of its own: it sees only committed rows."""
    engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    try:
        with engine.connect() as conn:
            return conn.execute(statement).scalar_one()
    finally:
        engine.dispose()


def _count(app, model, *where) -> int:
    return _committed(app, _counting(model, *where))


def _fail_after(monkeypatch, module, name: str) -> None:
    """Make `module.name` do its work (its rows are flushed), then fail."""
    real = getattr(module, name)

    def then_fail(*args, **kwargs):
        real(*args, **kwargs)
        db.session.flush()
        raise InjectedFault("injected after the write")

    monkeypatch.setattr(module, name, then_fail)


@pytest.fixture
def failing_commit():
    """Arm it with a count query: the next commit flushes, counts what it holds, then fails.

    The count taken inside the doomed transaction proves the writes were really there.
    """
    state: dict = {"query": None, "seen": []}

    def refuse(session):
        if state["query"] is not None:
            query, state["query"] = state["query"], None
            session.flush()
            state["seen"].append(session.execute(query).scalar_one())
            raise InjectedFault("injected at commit")

    def arm(query) -> list[int]:
        state["query"] = query
        return state["seen"]

    event.listen(Session, "before_commit", refuse)
    yield arm
    event.remove(Session, "before_commit", refuse)


def _counting(model, *where):
    return select(func.count()).select_from(model).where(*where)


def _assert_500_page(app, response) -> None:
    assert response.status_code == 500
    shown = page(response)
    assert_finnish(app, shown, "Something went wrong")
    for leak in ("Traceback", "InjectedFault", "injected"):
        assert leak not in shown


@contextmanager
def _after_the_response(app):
    """Where deferred work runs: an app on its public base URL, no visitor's request."""
    with app.test_request_context(base_url=app.config["PORTAL_BASE_URL"]):
        yield
        db.session.remove()


def _answer_access_request(email: str) -> None:
    """The 'get access' work as the task runner does it: the service, then one commit."""
    invitations.request_access(db.session, signer(), email)
    db.session.commit()


def _invitation_path(app) -> str:
    """Anna's activation link, from an invitation made by the service and mailed."""
    with _after_the_response(app):
        _answer_access_request(ANNA)
        outbox.send_pending(db.session, sender=app.config["MAIL_DEFAULT_SENDER"], max_attempts=1)
    return link_in(sent_mail(app)[-1], "/activate/")


def _anna_password(app):
    return _committed(app, select(User.password).where(User.email == ANNA))


# --- A failure half-way leaves nothing behind ------------------------------------------------

def test_activation_failing_after_its_audit_entry_saves_nothing(app, client, demo, monkeypatch):
    path = _invitation_path(app)
    _fail_after(monkeypatch, invitations, "record_audit")
    _assert_500_page(app, set_password_form(client, path, NEW_PASSWORD))
    assert _anna_password(app) is None
    assert _count(app, AuditEvent, AuditEvent.action == "account_activated") == 0
    monkeypatch.undo()
    assert client.get(path).status_code == 200  # the link still works: try again
    assert set_password_form(client, path, NEW_PASSWORD).status_code == 302
    assert _anna_password(app) is not None


def test_ending_other_sessions_with_a_failing_commit_ends_none(app, client, auth, demo,
                                                               failing_commit):
    other = app.test_client()
    AuthActions(other).login(MAIJA, DEMO_PASSWORD)
    auth.login(MAIJA, DEMO_PASSWORD)
    token = csrf_token(client, "/account")
    seen = failing_commit(_counting(AuditEvent, AuditEvent.action == "other_sessions_ended"))
    _assert_500_page(app, client.post("/account/sessions/end-others", data={"csrf_token": token}))
    assert seen == [1]  # the entry was written, then the commit failed
    assert _count(app, UserSession, UserSession.revoked_at.is_not(None)) == 0
    assert _count(app, AuditEvent, AuditEvent.action == "other_sessions_ended") == 0
    assert other.get("/account").status_code == 200


def test_ending_other_sessions_failing_in_its_audit_entry_ends_none(app, client, auth, demo,
                                                                    monkeypatch):
    other = app.test_client()
    AuthActions(other).login(MAIJA, DEMO_PASSWORD)
    auth.login(MAIJA, DEMO_PASSWORD)
    token = csrf_token(client, "/account")
    _fail_after(monkeypatch, sessions, "record_audit")
    _assert_500_page(app, client.post("/account/sessions/end-others", data={"csrf_token": token}))
    assert _count(app, UserSession, UserSession.revoked_at.is_not(None)) == 0
    assert other.get("/account").status_code == 200


def _mail_rows(*where):
    return (~OutboxMessage.kind.startswith(outbox.TASK_PREFIX), *where)


def _nothing_written_for_anna(app) -> None:
    assert _count(app, User, User.email == ANNA) == 0
    assert _count(app, OutboxMessage, *_mail_rows()) == 0
    assert _count(app, AuditEvent) == 0


INVITATION_FAULTS = {
    "mail fails after the account": (invitations, "queue_email"),
    "audit fails after account and mail": (invitations, "record_audit"),
}


@pytest.mark.parametrize("target", INVITATION_FAULTS.values(), ids=INVITATION_FAULTS.keys())
def test_get_access_failing_half_way_saves_nothing(app, demo, monkeypatch, target):
    _fail_after(monkeypatch, *target)
    with _after_the_response(app):
        with pytest.raises(InjectedFault):
            _answer_access_request(ANNA)
        _nothing_written_for_anna(app)  # before the rollback too: nothing was committed half-way
        db.session.rollback()
    _nothing_written_for_anna(app)


def test_get_access_with_a_failing_commit_saves_nothing(app, demo, failing_commit):
    with _after_the_response(app):
        seen = failing_commit(_counting(AuditEvent, AuditEvent.action == "invitation_sent"))
        with pytest.raises(InjectedFault):
            _answer_access_request(ANNA)
        db.session.rollback()
    assert seen == [1]
    _nothing_written_for_anna(app)


def test_get_access_for_an_active_account_failing_in_its_audit_queues_no_mail(app, demo,
                                                                               monkeypatch):
    _fail_after(monkeypatch, invitations, "record_audit")
    with _after_the_response(app):
        with pytest.raises(InjectedFault):
            _answer_access_request(MAIJA)
        db.session.rollback()
    assert _count(app, OutboxMessage, *_mail_rows()) == 0
    assert _count(app, AuditEvent, AuditEvent.action == "access_requested_active") == 0


def test_get_access_that_succeeds_commits_all_three(app, demo):
    with _after_the_response(app):
        _answer_access_request(ANNA)
    assert _count(app, User, User.email == ANNA) == 1
    assert _count(app, OutboxMessage, *_mail_rows(OutboxMessage.kind == "invitation")) == 1
    assert _count(app, AuditEvent, AuditEvent.action == "invitation_sent") == 1


def test_failed_access_task_leaves_nothing_and_is_retried(app, demo, monkeypatch):
    with _after_the_response(app):
        deferred.ask_for_access(db.session, ANNA)
    _fail_after(monkeypatch, invitations, "record_audit")
    drain(app)
    _nothing_written_for_anna(app)
    assert sent_mail(app) == []
    monkeypatch.undo()
    with app.app_context():  # the retry is due now rather than after its back-off
        db.session.execute(update(OutboxMessage).values(next_attempt_at=utcnow()))
        db.session.commit()
        db.session.remove()
    drain(app)
    assert [m.to for m in sent_mail(app)] == [[ANNA]]
    assert audit_actions(app) == ["invitation_sent"]


# --- The same form posted twice --------------------------------------------------------------

def test_activation_posted_twice_activates_once(app, client, demo):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    path = _invitation_path(app)
    token = csrf_token(client, path)
    form = {"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD, "csrf_token": token}
    first = client.post(path, data=form)
    assert first.headers["Location"].endswith("/login")
    password = _anna_password(app)
    second = client.post(path, data=form)
    assert second.status_code == 302
    assert second.headers["Location"].endswith("/get-access")
    assert "This link has already been used." in page(client.get("/get-access"))
    assert audit_actions(app).count("account_activated") == 1
    assert _anna_password(app) == password
    assert AuthActions(app.test_client()).login(ANNA, NEW_PASSWORD).status_code == 302


def test_log_out_other_devices_twice_is_no_error(app, client, auth, demo):
    other = app.test_client()
    AuthActions(other).login(MAIJA, DEMO_PASSWORD)
    auth.login(MAIJA, DEMO_PASSWORD)
    token = csrf_token(client, "/account")
    for _ in range(2):
        response = client.post("/account/sessions/end-others", data={"csrf_token": token})
        assert response.status_code == 302
        shown = page(client.get("/account"))
        assert translated(app, "You have been logged out on all other devices.") in shown
    assert other.get("/account").status_code == 302
    assert 1 <= audit_actions(app).count("other_sessions_ended") <= 2
    assert _count(app, UserSession, UserSession.revoked_at.is_(None)) == 1


def test_language_switch_twice_gives_the_same_result(app, client, auth, demo):
    auth.login(MAIJA, DEMO_PASSWORD)
    first = switch_language(client, "en", "/account")
    second = switch_language(client, "en", "/account")
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    assert '<html lang="en">' in page(client.get("/account"))
    assert _committed(app, select(User.locale).where(User.email == MAIJA)) == "en"


def test_password_change_reposted_fails_cleanly(app, client, auth, demo):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    auth.login(MAIJA, DEMO_PASSWORD)
    form = {"password": DEMO_PASSWORD, "new_password": NEW_PASSWORD,
            "new_password_confirm": NEW_PASSWORD,
            "csrf_token": csrf_token(client, "/account/password")}
    assert client.post("/account/password", data=form).status_code == 302
    again = client.post("/account/password", data=form)
    assert again.status_code == 200
    assert "field-error" in page(again)
    assert audit_actions(app).count("password_changed") == 1
    assert client.get("/account").status_code == 200
    assert AuthActions(app.test_client()).login(MAIJA, NEW_PASSWORD).status_code == 302
    assert AuthActions(app.test_client()).login(MAIJA, DEMO_PASSWORD).status_code == 200

