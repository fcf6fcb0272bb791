"""The audit log is a keyed hash chain: it verifies untouched, names the first tampered event,
cannot be recomputed without the key, and is checked against the anchors of its head."""

import hashlib
import importlib.util
from datetime import timedelta
from pathlib import Path

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from portal.demo import DEMO_PASSWORD
from portal.extensions import db as _db
from portal.models import AuditEvent
from portal.models.audit import GENESIS_HASH
from portal.services.audit import (
    AnchorFailure,
    AuditKey,
    AuditKeyMissing,
    chained_content,
    current_head,
    record_audit,
    use_audit_key,
    verify_chain,
)
from tests.functional.helpers import MAIJA


@pytest.fixture(autouse=True)
def _forging_allowed(monkeypatch):
    """These tests forge tampering through the ORM, which the app itself is refused."""
    monkeypatch.setattr(AuditEvent, "append_only", False)

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def three_events(session) -> list[AuditEvent]:
    """Write and commit three events; return them."""
    events = [
        record_audit(session, "login", actor_kind="customer", details={"reason": "ok"}),
        record_audit(session, "staff_view", actor_kind="staff", purpose="Asiakaspalvelu",
                     details={"kenttä": "osoite"}),
        record_audit(session, "logout", actor_kind="customer"),
    ]
    session.commit()
    return events


def plain_sha256(event) -> str:
    """What the chain used before it was keyed: anyone with database access can compute it."""
    return hashlib.sha256(chained_content(event)).hexdigest()


def relink(session, sign) -> None:
    """Recompute every prev_hash and hash with `sign`, as a forger covering an edit would."""
    prev = GENESIS_HASH
    for event in session.execute(select(AuditEvent).order_by(AuditEvent.id)).scalars():
        event.prev_hash = prev
        event.hash = sign(event)
        prev = event.hash
    session.commit()


def key_of(app) -> AuditKey:
    """The app's audit key, as the service uses it."""
    return AuditKey(app.config["PORTAL_AUDIT_KEY"].encode())


def test_each_event_is_chained_to_the_previous(db):
    first, second, third = three_events(db.session)
    assert first.prev_hash == GENESIS_HASH
    assert second.prev_hash == first.hash
    assert third.prev_hash == second.hash
    assert len({first.hash, second.hash, third.hash}) == 3


def test_hashes_are_keyed_not_plain_sha256(app, db):
    first, _, _ = three_events(db.session)
    assert first.hash != plain_sha256(first)
    assert first.hash == key_of(app).sign(first)
    assert app.config["PORTAL_AUDIT_KEY"] not in repr(key_of(app))


def test_untouched_chain_verifies(db):
    three_events(db.session)
    report = verify_chain(db.session)
    assert report.ok
    assert report.checked == 3
    assert report.first_bad_id is None


def test_empty_log_verifies(db):
    assert verify_chain(db.session).ok


@pytest.mark.parametrize("column, value", [
    ("details", '{"reason": "forged"}'),
    ("action", "login_failed"),
    ("purpose", "Markkinointi"),
    ("actor_kind", "system"),
    ("occurred_at", timedelta(minutes=-5)),
])
def test_changed_row_is_reported(db, column, value):
    events = three_events(db.session)
    target = events[1]
    if isinstance(value, timedelta):
        value = target.occurred_at + value
    db.session.execute(update(AuditEvent).where(AuditEvent.id == target.id).values({column: value}))
    db.session.commit()
    report = verify_chain(db.session)
    assert not report.ok
    assert report.first_bad_id == target.id
    assert report.checked == 1


def test_deleted_row_is_reported_at_the_next_event(db):
    events = three_events(db.session)
    db.session.execute(delete(AuditEvent).where(AuditEvent.id == events[1].id))
    db.session.commit()
    report = verify_chain(db.session)
    assert not report.ok
    assert report.first_bad_id == events[2].id


def test_rewriting_a_row_with_a_fresh_hash_still_breaks_the_chain(app, db):
    """Recomputing one row's own hash, even with the key, is not enough: the next row points at it."""
    events = three_events(db.session)
    row = db.session.get(AuditEvent, events[1].id)
    row.details = '{"kenttä": "puhelin"}'
    row.hash = key_of(app).sign(row)
    db.session.commit()
    assert verify_chain(db.session).first_bad_id == events[2].id


def test_recomputing_the_chain_without_the_key_is_detected(db):
    events = three_events(db.session)
    db.session.get(AuditEvent, events[1].id).details = '{"kenttä": "puhelin"}'
    relink(db.session, plain_sha256)
    report = verify_chain(db.session)
    assert not report.ok
    assert report.first_bad_id == events[0].id


def test_a_chain_written_under_another_key_does_not_verify(app, db):
    three_events(db.session)
    with Session(db.engine) as other:
        use_audit_key(other, "some-other-audit-key-0123456789")
        report = verify_chain(other)
    assert report.first_bad_id is not None and report.checked == 0


def test_a_session_without_a_key_refuses_to_write_or_verify(db):
    with Session(db.engine) as unkeyed:
        with pytest.raises(AuditKeyMissing):
            record_audit(unkeyed, "login", actor_kind="customer")
        with pytest.raises(AuditKeyMissing):
            verify_chain(unkeyed)
    assert db.session.execute(select(AuditEvent)).first() is None


def test_an_empty_key_is_refused(db):
    with Session(db.engine) as session, pytest.raises(AuditKeyMissing):
        use_audit_key(session, "")


def test_the_service_runs_in_a_plain_script_without_an_app(app):
    with app.app_context():
        engine = _db.engine
    with Session(engine) as session:  # from here on, no app and no app context
        use_audit_key(session, "a-key-handed-to-a-script-0123456789")
        first = three_events(session)[0]
        assert first.hash == AuditKey(b"a-key-handed-to-a-script-0123456789").sign(first)
        assert first.hash != plain_sha256(first)
        report = verify_chain(session)
    assert report.ok and report.checked == 3


def test_anchors_of_an_intact_chain_match(db):
    three_events(db.session)
    first = current_head(db.session)
    record_audit(db.session, "login", actor_kind="customer")
    db.session.commit()
    report = verify_chain(db.session, [first, current_head(db.session)])
    assert report.ok and report.anchors_checked == 2
    assert report.head.count == 4


def test_truncation_after_an_anchor_is_reported(db):
    events = three_events(db.session)
    anchor = current_head(db.session)
    db.session.execute(delete(AuditEvent).where(AuditEvent.id == events[2].id))
    db.session.commit()
    report = verify_chain(db.session, [anchor])
    assert not report.ok
    assert report.first_bad_id is None  # what is left still chains
    assert [m.failure for m in report.anchor_mismatches] == [AnchorFailure.MISSING]


def test_a_rewrite_recomputed_with_the_key_is_caught_by_the_anchor(app, db):
    events = three_events(db.session)
    anchor = current_head(db.session)
    db.session.get(AuditEvent, events[0].id).details = '{"reason": "forged"}'
    relink(db.session, key_of(app).sign)
    assert verify_chain(db.session).ok  # the key alone can't tell...
    report = verify_chain(db.session, [anchor])
    assert [m.failure for m in report.anchor_mismatches] == [AnchorFailure.REWRITTEN]


def test_an_anchor_counting_more_events_than_remain_is_reported(db):
    three_events(db.session)
    head = current_head(db.session)
    inflated = type(head)(last_id=head.last_id, hash=head.hash, count=4, anchored_at=head.anchored_at)
    report = verify_chain(db.session, [inflated])
    assert [m.failure for m in report.anchor_mismatches] == [AnchorFailure.SHRUNK]


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


# The migration that keys chains written before this change (migrations/versions/0002).

@pytest.fixture(scope="module")
def migration():
    """The 0002 revision module, loaded from its file."""
    path = MIGRATIONS / "versions" / "0002_keyed_audit_chain.py"
    spec = importlib.util.spec_from_file_location("keyed_audit_chain_0002", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_migration_keys_a_valid_sha256_chain(app, db, migration, monkeypatch):
    monkeypatch.setattr(migration, "BATCH_SIZE", 2)  # cross a batch boundary
    three_events(db.session)
    relink(db.session, plain_sha256)  # the chain as revision 0001 wrote it
    assert not verify_chain(db.session).ok
    with db.engine.begin() as connection:
        rechained = migration.rechain(connection, old=migration.plain_sha256,
                                      new=migration.keyed(app.config["PORTAL_AUDIT_KEY"]))
    assert rechained == 3
    report = verify_chain(db.session)
    assert report.ok and report.checked == 3


def test_migration_refuses_a_broken_chain_and_changes_nothing(app, db, migration):
    events = three_events(db.session)
    relink(db.session, plain_sha256)
    db.session.execute(update(AuditEvent).where(AuditEvent.id == events[1].id).values(action="forged"))
    db.session.commit()
    before = db.session.execute(select(AuditEvent.hash).order_by(AuditEvent.id)).scalars().all()
    new = migration.keyed(app.config["PORTAL_AUDIT_KEY"])
    refused = pytest.raises(migration.BrokenAuditChain, match=f"broken at event {events[1].id} ")
    with db.engine.begin() as connection, refused:
        migration.rechain(connection, old=migration.plain_sha256, new=new)
    assert db.session.execute(select(AuditEvent.hash).order_by(AuditEvent.id)).scalars().all() == before


def test_db_downgrade_unkeys_and_upgrade_rekeys_the_chain(app, db):
    """`flask db downgrade 0001` / `flask db upgrade` run the re-chaining with the app's key."""
    three_events(db.session)
    keyed_hashes = db.session.execute(select(AuditEvent.hash).order_by(AuditEvent.id)).scalars().all()
    db.session.remove()
    try:
        downgrade(directory=str(MIGRATIONS), revision="0001")
        rows = db.session.execute(select(AuditEvent).order_by(AuditEvent.id)).scalars().all()
        assert [row.hash for row in rows] == [plain_sha256(row) for row in rows] != keyed_hashes
        db.session.remove()
    finally:
        upgrade(directory=str(MIGRATIONS))
    assert db.session.execute(select(AuditEvent.hash).order_by(AuditEvent.id)).scalars().all() == keyed_hashes
    assert verify_chain(db.session).ok


def test_concurrent_appends_keep_one_chain(app, db):
    """Four threads appending at once (production's one worker with four threads): every append
    lands, each on the one before it (SQLite takes its write lock before reading the head,
    PostgreSQL an advisory lock)."""
    import threading

    failures: list[Exception] = []

    def append(n: int) -> None:
        with app.app_context():
            try:
                for i in range(40):
                    record_audit(_db.session, "login", actor_kind="customer", details={"n": n, "i": i})
                    _db.session.commit()
            except Exception as exc:  # noqa: BLE001 - collected and asserted below
                failures.append(exc)
                _db.session.rollback()
            finally:
                _db.session.remove()

    threads = [threading.Thread(target=append, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    report = verify_chain(db.session)
    assert report.ok and report.checked == 160, report
