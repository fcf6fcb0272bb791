"""Two reviewers decide one request at the same moment: exactly one decision is recorded."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from portal.demo import ADMIN_EMAIL, STAFF_EMAIL
from portal.extensions import db
from portal.models import AuditEvent, PrivacyRequest, RequestEvent, User
from portal.services import decisions
from portal.services.audit import use_audit_key
from portal.services.decisions import Reviewer
from portal.services.refusals import RequestChanged


def _open_correction(session) -> PrivacyRequest:
    return session.execute(select(PrivacyRequest).where(
        PrivacyRequest.kind == "correction", PrivacyRequest.status == "pending")).scalars().first()


def _staff(session, email: str) -> User:
    return session.execute(select(User).where(User.email == email)).scalar_one()


def test_two_reviewers_at_once_one_decision(app, demo_queue):
    """Reviewer A holds the row lock mid-decision; B's decision waits, then is refused."""
    with app.test_request_context():  # the decision emails build absolute links
        engine = db.engine
        if engine.dialect.name != "postgresql":
            pytest.skip("row locks need PostgreSQL; the version check covers SQLite (test_decisions)")
        make = db.session.session_factory
        first, second = make(), make()
        for session in (first, second):
            use_audit_key(session, app.config["PORTAL_AUDIT_KEY"])
        seen_a, seen_b = _open_correction(first), _open_correction(second)
        assert seen_a.id == seen_b.id
        version, request_id = seen_a.version, seen_a.id
        a_locked, outcome = threading.Event(), {}
        original = decisions._locked

        def lock_and_pause(session, request, seen):
            locked = original(session, request, seen)
            if session is first:
                a_locked.set()
                threading.Event().wait(0.5)  # B starts and must wait for A's lock
            return locked

        def reviewer_b():
            a_locked.wait(5)
            with app.test_request_context():
                try:
                    decisions.deny(second, seen_b, Reviewer(_staff(second, ADMIN_EMAIL), version),
                                   reason="Ei perusteita.")
                    outcome["b"] = "decided"
                except RequestChanged:
                    outcome["b"] = "changed"
                except Exception as error:  # noqa: BLE001 - reported by the assertion below
                    second.rollback()
                    outcome["b"] = repr(error)

        decisions._locked = lock_and_pause
        try:
            thread = threading.Thread(target=reviewer_b)
            thread.start()
            decisions.approve(first, seen_a, Reviewer(_staff(first, STAFF_EMAIL), version))
            thread.join(10)
        finally:
            decisions._locked = original
            first.close()
            second.close()
        assert outcome == {"b": "changed"}
        check = make()
        request = check.get(PrivacyRequest, request_id)
        assert request.status == "approved"
        decided = check.execute(select(func.count()).select_from(RequestEvent).where(
            RequestEvent.request_id == request.id,
            RequestEvent.status.in_(("approved", "denied")))).scalar_one()
        assert decided == 1
        entries = check.execute(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "request_decided")).scalar_one()
        assert entries == 1
        check.close()
