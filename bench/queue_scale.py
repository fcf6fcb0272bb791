"""Does the request queue stay fast with a million requests? Timings at 1,000 and at N requests.

Usage: .venv/bin/python bench/queue_scale.py [--database-url URL] [--requests N] [--customers M]

Builds the schema through the real migrations on an empty database (a throwaway SQLite file
unless --database-url names another; a database that already holds customers is refused), then
bulk-inserts customers and requests with portable multi-row INSERTs (SQLAlchemy insert() with
lists of dicts, 10,000 rows a statement batch; no COPY). Receipt dates spread over ten years,
so about one request in a hundred is still open, as in a register that has run for years.

The queue's statements are timed through the service the page calls (portal.services.queue):
the first page, a page deep in the open requests (by keyset cursor), the header counts, and
searches by reference, by email and by name. Each figure is the median of --runs runs, first
with --small requests loaded, then with all N; the ratio shows how each grows with the data.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import event, func, select  # noqa: E402

from bench.seed import TODAY, analyze, bench_staff, bulk, customer_row, request_maker  # noqa: E402
from portal import create_app  # noqa: E402
from portal.config import TestConfig, database_url  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.models import Customer, PrivacyRequest  # noqa: E402
from portal.models.requests import OPEN_STATUSES  # noqa: E402
from portal.services import queue  # noqa: E402

STAFF = 5


def _median_ms(call, runs: int) -> float:
    call()  # warm the caches, as every visit after the first finds them
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
        db.session.rollback()
    return statistics.median(samples)


def _measure(runs: int, explain: bool = False) -> dict[str, float]:
    """Median milliseconds of each queue statement over the data loaded now."""
    session = db.session
    open_count = session.execute(select(func.count()).select_from(PrivacyRequest)
                                 .where(PrivacyRequest.status.in_(OPEN_STATUSES))).scalar_one()
    middle = session.execute(select(PrivacyRequest.deadline, PrivacyRequest.id)
                             .where(PrivacyRequest.status.in_(OPEN_STATUSES))
                             .order_by(PrivacyRequest.deadline, PrivacyRequest.id)
                             .offset(open_count // 2).limit(1)).one()
    sample = session.execute(select(PrivacyRequest.reference, Customer.email, Customer.last_name)
                             .join(Customer, Customer.id == PrivacyRequest.customer_id)
                             .where(PrivacyRequest.status.in_(OPEN_STATUSES))
                             .order_by(PrivacyRequest.id.desc()).limit(1)).one()
    cases = {
        "first page": lambda: queue.open_requests(session, today=TODAY),
        f"deep page ({open_count // 2:,} of {open_count:,} open)": lambda: queue.open_requests(
            session, today=TODAY, after=tuple(middle)),
        "unassigned, first page": lambda: queue.open_requests(session, today=TODAY,
                                                              assignee=queue.UNASSIGNED),
        "header counts": lambda: queue.queue_counts(session, TODAY),
        "search by reference": lambda: queue.open_requests(session, today=TODAY, search=sample.reference),
        "search by email": lambda: queue.open_requests(session, today=TODAY, search=sample.email.upper()),
        "search by name (prefix)": lambda: queue.open_requests(session, today=TODAY, search=sample.last_name),
    }
    if explain:
        for name, call in cases.items():
            print(f"\n  plan of {name}:\n{_plan(call)}")
    return {name: _median_ms(call, runs) for name, call in cases.items()}


def _plan(call) -> str:
    """The database's plan for the last statement `call` runs (EXPLAIN ANALYZE on PostgreSQL)."""
    seen = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        seen.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", capture)
    try:
        call()
    finally:
        event.remove(db.engine, "before_cursor_execute", capture)
    statement, parameters = seen[-1]
    postgres = db.engine.dialect.name == "postgresql"
    prefix = "EXPLAIN (ANALYZE, BUFFERS) " if postgres else "EXPLAIN QUERY PLAN "
    cursor = db.session.connection().connection.cursor()
    cursor.execute(prefix + statement, parameters)
    lines = [row[0] if postgres else row[-1] for row in cursor.fetchall()]
    db.session.rollback()
    return "\n".join("    " + line for line in lines)


def main() -> None:
    """Load, time at the small size, load the rest, time again, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="an EMPTY database (default: a throwaway SQLite file)")
    parser.add_argument("--requests", type=int, default=1_000_000, help="requests at the end (N)")
    parser.add_argument("--customers", type=int, default=100_000, help="customers at the end")
    parser.add_argument("--small", type=int, default=1_000, help="requests at the first measurement")
    parser.add_argument("--runs", type=int, default=20, help="runs per figure (the median is shown)")
    parser.add_argument("--explain", action="store_true", help="print the query plans at N")
    args = parser.parse_args()
    if not 0 < args.small <= args.requests or args.customers < 1:
        parser.error("need 0 < --small <= --requests and --customers >= 1")
    workdir = tempfile.mkdtemp(prefix="portal-queue-")
    url = args.database_url or f"sqlite:///{os.path.join(workdir, 'bench.db')}"
    config = TestConfig()
    config.SQLALCHEMY_DATABASE_URI = database_url(url)
    app = create_app(config)
    with app.app_context():
        upgrade(directory=str(Path(__file__).resolve().parents[1] / "migrations"))
        if db.session.execute(select(func.count()).select_from(Customer)).scalar_one():
            sys.exit("refusing: this database already holds customers; give an empty one")
        print(f"database: {db.engine.dialect.name}")
        staff_ids = bench_staff(STAFF)
        small_customers = max(1, args.customers * args.small // args.requests)
        make = request_maker(small_customers, staff_ids)
        bulk(Customer, customer_row, 1, small_customers, "customers")
        bulk(PrivacyRequest, make, 1, args.small, "requests")
        analyze()
        small = _measure(args.runs)
        make = request_maker(args.customers, staff_ids)
        bulk(Customer, customer_row, small_customers + 1, args.customers, "customers")
        bulk(PrivacyRequest, make, args.small + 1, args.requests, "requests")
        analyze()
        large = _measure(args.runs, args.explain)
        db.session.remove()
    print(f"\nmedian of {args.runs} runs, milliseconds")
    print(f"{'':44} {args.small:>12,} {args.requests:>12,} {'ratio':>7}")
    for (name, before), after in zip(small.items(), large.values(), strict=True):
        label = name if not name.startswith("deep page") else "deep page (keyset, middle of the open ones)"
        print(f"{label:44} {before:12.2f} {after:12.2f} {after / before:7.1f}")
    deep = next(name for name in large if name.startswith("deep page"))
    print(f"\nat {args.requests:,}: {deep}")


if __name__ == "__main__":
    main()
