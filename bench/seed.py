"""Fictional register rows for the benchmarks, bulk-inserted in chunks behind a progress bar.

Customers `asiakas{i}@bench.example` and requests `PR-YYYY-{i:06d}` received over ten years, so
about one request in a hundred is still open, as in a register that has run for years. Rows are
written with portable multi-row INSERTs (SQLAlchemy insert() with lists of dicts, CHUNK rows a
batch), or with COPY on PostgreSQL when `copy=True` (several times faster at a million rows).
Used by bench/queue_scale.py and bench/pages.py.
"""

from __future__ import annotations

import json
import random
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock

from sqlalchemy import JSON, func, insert, select, text
from tqdm import tqdm

from portal.extensions import db
from portal.models import Role, User
from portal.models.requests import OPEN_STATUSES, REQUEST_KINDS
from portal.models.types import utcnow
from portal.services.requests import add_month, helsinki_date

CHUNK = 10_000
TODAY = helsinki_date(utcnow())
FIRST = ["Maija", "Matti", "Liisa", "Pekka", "Anna", "Sanna", "Juha", "Aino", "Ville", "Eeva", "Timo",
         "Helmi"]
LAST = ["Virtanen", "Korhonen", "Mäkinen", "Nieminen", "Mäkelä", "Hämäläinen", "Laine", "Heikkinen",
        "Koskinen", "Järvinen", "Lehtonen", "Lehtinen", "Saarinen", "Salminen", "Heinonen", "Niemi"]
CLOSED = ("approved", "partially_approved", "denied", "cancelled")
_CREATED = datetime(2026, 1, 1, tzinfo=UTC)


def customer_row(i: int) -> dict:
    """Customer number `i`: a private customer with a unique address and last name."""
    joined = date(2010, 1, 1) + timedelta(days=i % 5000)
    last = LAST[(i // len(FIRST)) % len(LAST)]
    return {"id": i, "first_name": FIRST[i % len(FIRST)], "last_name": f"{last}{i}",
            "email": f"asiakas{i}@bench.example", "country": "FI", "language": "fi",
            "relationship_start": joined, "is_contact_person": False, "demo": False,
            "created_at": _CREATED, "updated_at": _CREATED}


def request_maker(customers: int, staff_ids: list[int], first_customer: int = 1):
    """A function from request id to its row: receipt in the last ten years, open if recent.

    The customer is one of ids `first_customer` .. `first_customer + customers - 1`.
    """

    def make(i: int) -> dict:
        """Request number `i` (a fixed pseudo-random draw per id, so reruns match)."""
        rng = random.Random(i)
        received = TODAY - timedelta(days=rng.randrange(3650))
        due = add_month(received)
        recent = (TODAY - received).days <= 35
        status = rng.choice(OPEN_STATUSES) if recent or rng.random() < 0.0005 else rng.choice(CLOSED)
        assignee = rng.choice(staff_ids) if status == "in_review" or status in CLOSED else None
        at = datetime.combine(received, clock(9), tzinfo=UTC)
        return {"id": i, "reference": f"PR-{received.year}-{i:06d}", "kind": rng.choice(REQUEST_KINDS),
                "customer_id": first_customer + rng.randrange(customers), "status": status,
                "channel": "portal", "received_at": at, "due_on": due, "deadline": due, "details": {},
                "assignee_id": assignee, "version": 1,
                "decided_at": at + timedelta(days=10) if status in CLOSED else None}

    return make


def bulk(model, rows_of, first: int, last: int, label: str, copy: bool = False) -> None:
    """Insert rows `first`..`last` (ids) of `model` in chunks of CHUNK, with a progress bar.

    `copy=True` on PostgreSQL streams each chunk with COPY instead of a multi-row INSERT.
    """
    copying = copy and db.engine.dialect.name == "postgresql"
    with tqdm(total=max(0, last - first + 1), desc=f"  {label}", unit=" rows", unit_scale=True,
              dynamic_ncols=True) as bar:
        for start in range(first, last + 1, CHUNK):
            stop = min(start + CHUNK, last + 1)
            rows = [rows_of(i) for i in range(start, stop)]
            if copying:
                _copy(model.__table__, rows)
            else:
                db.session.execute(insert(model), rows)
            db.session.commit()
            bar.update(stop - start)


def _copy(table, rows: list[dict]) -> None:
    """COPY `rows` (dicts with the same keys) into `table` through psycopg 3."""
    columns = list(rows[0])
    as_json = {name for name in columns if isinstance(table.c[name].type, JSON)}
    names = ", ".join(f'"{name}"' for name in columns)
    cursor = db.session.connection().connection.driver_connection.cursor()
    with cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as stream:
        for row in rows:
            stream.write_row([json.dumps(row[name]) if name in as_json else row[name] for name in columns])


def next_id(model) -> int:
    """One more than the highest id of `model` now (1 for an empty table)."""
    return (db.session.execute(select(func.max(model.id))).scalar_one() or 0) + 1


def bump_sequences(*models) -> None:
    """On PostgreSQL, move each table's id sequence past the ids inserted by hand."""
    if db.engine.dialect.name != "postgresql":
        return
    for model in models:
        name = model.__table__.name
        db.session.execute(text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                                f"(SELECT coalesce(max(id), 1) FROM \"{name}\"))"))
    db.session.commit()


def bench_staff(count: int) -> list[int]:
    """`count` reviewers with a new reviewer role (an empty database has none); their ids."""
    role = Role(name="reviewer", description="Staff reviewer")
    users = [User(email=f"kasittelija{n}@bench.example", fs_uniquifier=f"bench-{n}", active=True,
                  locale="fi", roles=[role]) for n in range(count)]
    db.session.add_all(users)
    db.session.commit()
    return [user.id for user in users]


def analyze() -> None:
    """Fresh planner statistics, as autovacuum (PostgreSQL) or a periodic ANALYZE would give."""
    db.session.execute(text("ANALYZE"))
    db.session.commit()

