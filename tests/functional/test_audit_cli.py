"""`flask audit anchor` and `flask audit verify [--anchor]`: what an operator sees when the audit
log is intact, truncated, rewritten or keyed differently."""

import json
import stat
from pathlib import Path

import pytest
from sqlalchemy import delete
from sqlalchemy.orm import Session

from portal.extensions import db as _db
from portal.models import AuditEvent
from portal.services.audit import record_audit, use_audit_key
from tests.unit.test_audit import key_of, plain_sha256, relink, three_events


@pytest.fixture(autouse=True)
def _forging_allowed(monkeypatch):
    """These tests forge tampering through the ORM, which the app itself is refused."""
    monkeypatch.setattr(AuditEvent, "append_only", False)


@pytest.fixture
def app_config(app_config, tmp_path):
    """Anchors go to a fresh file in a directory that does not exist yet."""
    app_config.PORTAL_AUDIT_ANCHOR_FILE = str(tmp_path / "anchors" / "audit-anchors.jsonl")
    return app_config


@pytest.fixture
def anchor_file(app_config) -> Path:
    """The anchor file the app is configured with."""
    return Path(app_config.PORTAL_AUDIT_ANCHOR_FILE)


def write_events(app, count: int = 3) -> list[int]:
    """Commit `count` events through the app's own session; return their ids."""
    with app.app_context():
        ids = [e.id for e in three_events(_db.session)][:count]
        for _ in range(count - 3):
            ids.append(record_audit(_db.session, "login", actor_kind="customer").id)
        _db.session.commit()
        _db.session.remove()
    return ids


def tamper(app, change) -> None:
    """Run `change(session)` on the database, as someone with database access could."""
    with app.app_context():
        change(_db.session)
        _db.session.commit()
        _db.session.remove()


def anchor_lines(path: Path) -> list[dict]:
    """The anchors in the file, parsed."""
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_anchor_appends_the_head_and_prints_the_same_line(app, runner, anchor_file):
    ids = write_events(app)
    result = runner.invoke(args=["audit", "anchor"])
    assert result.exit_code == 0
    assert result.stdout.strip() == anchor_file.read_text().strip()
    [anchor] = anchor_lines(anchor_file)
    assert anchor["last_id"] == ids[-1] and anchor["count"] == 3
    assert anchor["anchored_at"].endswith("Z")
    with app.app_context():
        assert anchor["hash"] == _db.session.get(AuditEvent, ids[-1]).hash
    runner.invoke(args=["audit", "anchor"])
    assert len(anchor_lines(anchor_file)) == 2


def test_anchor_file_is_created_readable_by_its_owner_only(app, runner, anchor_file):
    write_events(app)
    assert runner.invoke(args=["audit", "anchor"]).exit_code == 0
    assert stat.S_IMODE(anchor_file.stat().st_mode) == 0o600


def test_verify_without_anchors_checks_the_chain_and_warns(app, runner, anchor_file):
    write_events(app)
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0
    assert "3 events verified" in result.output
    assert f"no anchor in {anchor_file} yet" in result.stderr
    assert not anchor_file.exists()


def test_intact_chain_with_anchors_passes(app, runner):
    write_events(app)
    runner.invoke(args=["audit", "anchor"])
    write_events(app)
    runner.invoke(args=["audit", "anchor"])
    write_events(app)
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert "9 events verified, 2 anchor(s)" in result.output
    assert "Warning" not in result.output


def test_verify_anchor_appends_the_verified_head(app, runner, anchor_file):
    ids = write_events(app)
    result = runner.invoke(args=["audit", "verify", "--anchor"])
    assert result.exit_code == 0
    [anchor] = anchor_lines(anchor_file)
    assert result.stdout.splitlines()[-1] == anchor_file.read_text().strip()
    assert (anchor["last_id"], anchor["count"]) == (ids[-1], 3)
    assert runner.invoke(args=["audit", "verify", "--anchor"]).exit_code == 0
    assert len(anchor_lines(anchor_file)) == 2


def test_verify_anchor_does_not_anchor_a_tampered_log(app, runner, anchor_file):
    ids = write_events(app)
    runner.invoke(args=["audit", "anchor"])
    tamper(app, lambda s: s.execute(delete(AuditEvent).where(AuditEvent.id == ids[-1])))
    result = runner.invoke(args=["audit", "verify", "--anchor"])
    assert result.exit_code == 1
    assert len(anchor_lines(anchor_file)) == 1


@pytest.mark.parametrize("keep", [2, 0])
def test_truncation_after_an_anchor_fails(app, runner, keep):
    ids = write_events(app)
    runner.invoke(args=["audit", "anchor"])
    tamper(app, lambda s: s.execute(delete(AuditEvent).where(AuditEvent.id.in_(ids[keep:]))))
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert "does NOT match anchor #1" in result.stderr
    assert f"event {ids[-1]} is gone: the log was truncated" in result.stderr


def test_rewrite_recomputed_with_plain_sha256_fails(app, runner):
    ids = write_events(app)

    def forge(session):
        session.get(AuditEvent, ids[1]).details = '{"kenttä": "puhelin"}'
        relink(session, plain_sha256)

    tamper(app, forge)
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert f"BROKEN at event {ids[0]}" in result.stderr


def test_rewrite_recomputed_with_the_key_fails_because_of_the_anchor(app, runner):
    ids = write_events(app)
    runner.invoke(args=["audit", "anchor"])

    def forge(session):
        session.get(AuditEvent, ids[1]).details = '{"kenttä": "puhelin"}'
        relink(session, key_of(app).sign)

    tamper(app, forge)
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert f"event {ids[-1]} now has another hash: entries up to it were rewritten" in result.stderr


@pytest.mark.parametrize("relinked_with, message", [
    ("sha256", "BROKEN at event {first}"),
    ("key", "event {last} now has another hash"),
])
def test_deleted_middle_row_fails_even_when_the_rest_is_relinked(app, runner, relinked_with, message):
    ids = write_events(app, count=4)
    runner.invoke(args=["audit", "anchor"])
    sign = {"sha256": plain_sha256, "key": key_of(app).sign}[relinked_with]

    def remove_middle(session):
        session.execute(delete(AuditEvent).where(AuditEvent.id == ids[1]))
        relink(session, sign)

    tamper(app, remove_middle)
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert message.format(first=ids[0], last=ids[-1]) in result.stderr


def test_verify_with_the_wrong_key_fails_and_says_so(app, runner):
    with app.app_context(), Session(_db.engine) as other:
        use_audit_key(other, "the-key-this-log-was-written-with-01")
        three_events(other)
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert "BROKEN at event" in result.stderr
    assert "Is PORTAL_AUDIT_KEY the key this log was written with" in result.stderr


def test_an_unreadable_anchor_file_fails_verify(app, runner, anchor_file):
    write_events(app)
    anchor_file.parent.mkdir()
    anchor_file.write_text("not an anchor\n")
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert "line 1 is not an audit anchor" in result.output
