"""Writing and verifying the keyed hash chain of the audit log, and anchoring its head.

Each event's `hash` is HMAC-SHA256, under a key kept outside the database, over the event's
content and the previous event's hash. Without the key nobody can recompute the chain after
changing an entry. Anchors (the head's id, hash and event count, appended to a file outside
the database and printed to the operator's logs) expose truncation, and rewrites by someone
who does hold the key, of everything up to the latest anchor.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, scoped_session, sessionmaker

from portal.models import AuditEvent
from portal.models.audit import GENESIS_HASH
from portal.models.types import utcnow

_CHAIN_LOCK_KEY = 7_240_001
AUDIT_KEY_INFO = "portal.audit_key"
_CHAINED_COLUMNS = (
    AuditEvent.id, AuditEvent.occurred_at, AuditEvent.action, AuditEvent.actor_kind,
    AuditEvent.actor_id, AuditEvent.customer_id, AuditEvent.purpose, AuditEvent.details,
    AuditEvent.prev_hash, AuditEvent.hash,
)


class AuditKeyMissing(RuntimeError):
    """The session has no audit key, so it can neither write nor verify the chain."""


@dataclass(frozen=True)
class AuditKey:
    """The secret that keys the chain (PORTAL_AUDIT_KEY); kept out of `repr`."""

    secret: bytes = field(repr=False)

    def sign(self, event) -> str:
        """HMAC-SHA256 of the event's chained content, as 64 hex digits."""
        return hmac.new(self.secret, chained_content(event), hashlib.sha256).hexdigest()


def chained_content(event) -> bytes:
    """The bytes the chain covers: every field but the id and the event's own hash."""
    payload = {
        "occurred_at": event.occurred_at.isoformat(timespec="microseconds"),
        "action": event.action,
        "actor_kind": event.actor_kind,
        "actor_id": event.actor_id,
        "customer_id": event.customer_id,
        "purpose": event.purpose,
        "details": event.details,
        "prev_hash": event.prev_hash,
    }
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return canonical.encode("utf-8")


def use_audit_key(target: Session | sessionmaker | scoped_session, key: str) -> None:
    """Give one session, or every session a factory makes from now on, the chain's key.

    A factory holds one key for the process: the last app (or script) to register wins.
    """
    if not key:
        raise AuditKeyMissing("PORTAL_AUDIT_KEY is empty: the audit chain cannot be keyed")
    audit_key = AuditKey(key.encode("utf-8"))
    if isinstance(target, Session):
        target.info[AUDIT_KEY_INFO] = audit_key
        return
    factory = target.session_factory if isinstance(target, scoped_session) else target
    factory.configure(info={**factory.kw.get("info", {}), AUDIT_KEY_INFO: audit_key})


def _key(session: Session) -> AuditKey:
    """The session's audit key; never an unkeyed fallback."""
    key = session.info.get(AUDIT_KEY_INFO)
    if key is None:
        raise AuditKeyMissing("this session has no audit key: call "
                              "portal.services.audit.use_audit_key(session, key) first")
    return key


def record_audit(
    session: Session,
    action: str,
    *,
    actor=None,
    actor_kind: str | None = None,
    customer_id: int | None = None,
    purpose: str | None = None,
    details: dict | None = None,
) -> AuditEvent:
    """Append an event to the chain inside the caller's transaction (no commit)."""
    key = _key(session)
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _CHAIN_LOCK_KEY})
    elif dialect == "sqlite":
        # SQLite's driver opens its transaction only at the first write, so the head read below
        # could see a chain another writer extends before our insert. Open it now with the write
        # lock (waiting for the other writer); inside a transaction the lock is held already.
        connection = session.connection()
        if not connection.connection.dbapi_connection.in_transaction:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
    session.flush()
    last = session.execute(
        select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)
    ).scalar_one_or_none()
    if actor_kind is None:
        actor_kind = "anonymous" if actor is None else ("staff" if actor.is_staff else "customer")
    event = AuditEvent(
        occurred_at=utcnow(),
        action=action,
        actor_kind=actor_kind,
        actor_id=getattr(actor, "id", None),
        customer_id=customer_id,
        purpose=purpose,
        details=json.dumps(details or {}, sort_keys=True, ensure_ascii=False),
        prev_hash=last or GENESIS_HASH,
    )
    event.hash = key.sign(event)
    session.add(event)
    session.flush()
    return event


@dataclass(frozen=True)
class Anchor:
    """The chain's head at one moment, as recorded outside the database."""

    last_id: int | None
    hash: str
    count: int
    anchored_at: datetime

    def to_line(self) -> str:
        """The anchor as one JSON line (without the newline)."""
        return json.dumps({
            "last_id": self.last_id, "hash": self.hash, "count": self.count,
            "anchored_at": self.anchored_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }, separators=(",", ":"))

    @classmethod
    def from_line(cls, line: str) -> Anchor:
        """Parse a line written by `to_line`; ValueError if it is not one."""
        values = json.loads(line)
        anchor = cls(last_id=values["last_id"], hash=values["hash"], count=values["count"],
                     anchored_at=datetime.fromisoformat(values["anchored_at"]))
        if not (isinstance(anchor.count, int) and isinstance(anchor.hash, str)
                and (anchor.last_id is None) == (anchor.count == 0)):
            raise ValueError("inconsistent fields")
        return anchor


class AnchorFileError(RuntimeError):
    """The anchor file exists but cannot be read as anchors."""


def read_anchors(path: Path) -> tuple[Anchor, ...] | None:
    """The anchors in `path`, oldest first; None if the file does not exist yet."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return None
    anchors = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            anchors.append(Anchor.from_line(line))
        except (ValueError, KeyError, TypeError) as exc:
            raise AnchorFileError(f"{path} line {number} is not an audit anchor ({exc})") from exc
    return tuple(anchors)


def current_head(session: Session) -> Anchor:
    """The chain's newest event and the number of events, read in one statement (no commit)."""
    count = select(func.count()).select_from(AuditEvent).scalar_subquery()
    row = session.execute(
        select(AuditEvent.id, AuditEvent.hash, count).order_by(AuditEvent.id.desc()).limit(1)
    ).first()
    if row is None:
        return Anchor(last_id=None, hash=GENESIS_HASH, count=0, anchored_at=utcnow())
    return Anchor(last_id=row[0], hash=row[1], count=row[2], anchored_at=utcnow())


def append_anchor(path: Path, anchor: Anchor) -> str:
    """Append the anchor to `path` (created 0600 if missing), synced to disk; return its line."""
    line = anchor.to_line()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, (line + "\n").encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)
    return line


def anchor_head(session: Session, path: Path) -> str:
    """Anchor the chain's current head in `path`; return the line written (no commit)."""
    return append_anchor(path, current_head(session))


class AnchorFailure(StrEnum):
    """Why the database no longer matches an anchor."""

    MISSING = "missing"  # the anchored event is gone: truncated or deleted
    REWRITTEN = "rewritten"  # the anchored event's hash changed: the chain was recomputed
    SHRUNK = "shrunk"  # fewer events now than when anchored


@dataclass(frozen=True)
class AnchorMismatch:
    """One anchor the database contradicts; `number` counts the file's anchors from 1."""

    number: int
    anchor: Anchor
    failure: AnchorFailure


@dataclass(frozen=True)
class ChainReport:
    """The outcome of verifying the audit chain and comparing it with the anchors."""

    checked: int
    first_bad_id: int | None = None
    anchors_checked: int = 0
    anchor_mismatches: tuple[AnchorMismatch, ...] = ()
    head: Anchor | None = None  # the head that was verified, when the chain is intact

    @property
    def ok(self) -> bool:
        """True when every hash recomputes and every anchor matches."""
        return self.first_bad_id is None and not self.anchor_mismatches


def verify_chain(session: Session, anchors: Sequence[Anchor] = ()) -> ChainReport:
    """Recompute every keyed hash in order, then compare the chain with each anchor (no commit).

    Reports the first event that does not match; anchors are compared only with an intact chain.
    """
    key = _key(session)
    wanted = {anchor.last_id for anchor in anchors}
    found: dict[int, str] = {}
    expected_prev, checked, last_id = GENESIS_HASH, 0, None
    stmt = select(*_CHAINED_COLUMNS).order_by(AuditEvent.id).execution_options(yield_per=1000)
    with session.execute(stmt) as rows:
        for event in rows:
            if event.prev_hash != expected_prev or not hmac.compare_digest(key.sign(event), event.hash):
                return ChainReport(checked=checked, first_bad_id=event.id)
            if event.id in wanted:
                found[event.id] = event.hash
            expected_prev, checked, last_id = event.hash, checked + 1, event.id
    mismatches = tuple(
        AnchorMismatch(number, anchor, failure)
        for number, anchor in enumerate(anchors, start=1)
        if (failure := _compare(anchor, found, checked)) is not None
    )
    head = Anchor(last_id=last_id, hash=expected_prev, count=checked, anchored_at=utcnow())
    return ChainReport(checked=checked, anchors_checked=len(anchors),
                       anchor_mismatches=mismatches, head=head)


def _compare(anchor: Anchor, found: dict[int, str], count: int) -> AnchorFailure | None:
    """How the verified chain contradicts one anchor, if it does."""
    if anchor.last_id is not None and anchor.last_id not in found:
        return AnchorFailure.MISSING
    if anchor.last_id is not None and found[anchor.last_id] != anchor.hash:
        return AnchorFailure.REWRITTEN
    if count < anchor.count:
        return AnchorFailure.SHRUNK
    return None
