"""The audit log is a hash chain: verification passes untouched and names the first tampered event."""

import pytest
from sqlalchemy import delete, select, text

from portal.demo import DEMO_PASSWORD
from portal.extensions import db as _db
from portal.models import AuditEvent
from portal.models.audit import GENESIS_HASH
from portal.services.audit import _digest, record_audit, verify_chain
from tests.functional.helpers import MAIJA


def _three_events(session) -> list[AuditEvent]:
    events = [
        record_audit(session, "login", actor_kind="customer", details={"reason": "ok"}),
        record_audit(session, "staff_view", actor_kind="staff", purpose="Asiakaspalvelu",
                     details={"kenttä": "osoite"}),
        record_audit(session, "logout", actor_kind="customer"),
    ]
    session.commit()
    return events


def test_each_event_is_chained_to_the_previous(db):
    first, second, third = _three_events(db.session)
    assert first.prev_hash == GENESIS_HASH
    assert second.prev_hash == first.hash
    assert third.prev_hash == second.hash
    assert len({first.hash, second.hash, third.hash}) == 3


def test_untouched_chain_verifies(db):
    _three_events(db.session)
    report = verify_chain(db.session)
    assert report.ok
    assert report.checked == 3
    assert report.first_bad_id is None


def test_empty_log_verifies(db):
    assert verify_chain(db.session).ok


@pytest.mark.parametrize("column, value", [
    ("details", '{"reason": "forged"}'),
    ("action", "'login_failed'"),
    ("purpose", "'Markkinointi'"),
])
def test_changed_row_is_reported(db, column, value):
    events = _three_events(db.session)
    target = events[1].id
    if column == "details":
        db.session.execute(text("UPDATE audit_event SET details = :v WHERE id = :id"),
                           {"v": value, "id": target})
    else:
        db.session.execute(text(f"UPDATE audit_event SET {column} = {value} WHERE id = :id"), {"id": target})
    db.session.commit()
    db.session.expire_all()
    report = verify_chain(db.session)
    assert not report.ok
    assert report.first_bad_id == target
    assert report.checked == 1


def test_deleted_row_is_reported_at_the_next_event(db):
    events = _three_events(db.session)
    db.session.execute(delete(AuditEvent).where(AuditEvent.id == events[1].id))
    db.session.commit()
    report = verify_chain(db.session)
    assert not report.ok
    assert report.first_bad_id == events[2].id


def test_rewriting_a_row_with_a_fresh_hash_still_breaks_the_chain(db):
    """Recomputing one row's own hash is not enough: the next row points at the old one."""
    events = _three_events(db.session)
    row = db.session.get(AuditEvent, events[1].id)
    row.details = '{"kenttä": "puhelin"}'
    row.hash = _digest(row)
    db.session.commit()
    assert verify_chain(db.session).first_bad_id == events[2].id


def test_cli_verify_exits_0_on_an_intact_chain(app, runner):
    with app.app_context():
        _three_events(_db.session)
        _db.session.remove()
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0
    assert "3 events verified" in result.output


def test_cli_verify_exits_1_and_names_the_event(app, runner):
    with app.app_context():
        target = _three_events(_db.session)[0].id
        _db.session.execute(text("UPDATE audit_event SET details = '{}' WHERE id = :id"), {"id": target})
        _db.session.commit()
        _db.session.remove()
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert f"BROKEN at event {target}" in result.output


def test_login_events_form_a_valid_chain(app, client, auth, demo):
    """Events written by real requests verify too (timestamps survive the database round trip)."""
    auth.login(MAIJA, "Vaara-salasana-123")
    auth.login(MAIJA, DEMO_PASSWORD)
    auth.logout()
    with app.app_context():
        report = verify_chain(_db.session)
        actions = _db.session.execute(select(AuditEvent.action).order_by(AuditEvent.id)).scalars().all()
        _db.session.remove()
    assert actions == ["login_failed", "login", "logout"]
    assert report.ok and report.checked == 3
