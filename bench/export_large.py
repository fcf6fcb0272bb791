"""Is "Download my data" streamed? Time and memory of exporting a customer with a long history.

Usage: .venv/bin/python bench/export_large.py [--database-url URL] [--rows 100000] [--runs 3]

Builds the schema through the real migrations on an empty database (a throwaway SQLite file
unless --database-url names another; a database that already holds customers is refused) and
bulk-inserts one customer with an account and --rows history rows (orders, invoices and quotes,
2:2:1), a second customer with a tenth as many (rows the export must leave out), and a third
with a handful, used to warm up.

Each measurement runs in a fresh Python process, so one cannot inherit the other's memory:
  - read (Core):  the three history tables' rows for the customer, selected with SQLAlchemy
                  Core and fetched whole (`.all()`): the floor any export has to read;
  - read (ORM):   the same as mapped objects (`scalars().all()`), as most code would read them;
  - JSON, ZIP:    the two downloads (portal.services.export), every chunk consumed as a
                  client would take it, none kept.
Each is warmed up once on the small customer, then run --runs times. The table shows the median
time, the time to the first chunk, the size, and the peak RSS growth: the process's peak resident
memory during the run (VmHWM, reset through /proc/self/clear_refs before each run) less its
resident memory just before it. The target (docs/BENCHMARKS.md): each download within 3x the
Core read's time, and peak growth under 50 MB.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from bench.seed import analyze, bulk, bump_sequences, customer_row  # noqa: E402
from portal import create_app  # noqa: E402
from portal.config import TestConfig, database_url  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.models import Customer, Invoice, Order, Quote, User  # noqa: E402
from portal.services import export as exporter  # noqa: E402

HISTORY = (Order, Invoice, Quote)
SHARES = {Order: 2, Invoice: 2, Quote: 1}  # of every five rows
MEASURED, OTHER, WARM = 1, 2, 3  # customer ids
MODES = ("read (Core)", "read (ORM)", "JSON", "ZIP")
TZ = ZoneInfo("Europe/Helsinki")
MB = 1024 * 1024


def _app(url: str):
    config = TestConfig()
    config.SQLALCHEMY_DATABASE_URI = database_url(url)
    return create_app(config)


def _history_maker(model, customer_id: int, first: int):
    """Row `i` of `model` for the customer; `first` is the id of its first row."""
    start = date(2000, 1, 1)

    def make(i: int) -> dict:
        n = i - first
        on = start + timedelta(days=n % 9000)
        row = {"id": i, "customer_id": customer_id, "number": f"{model.__tablename__[:3].upper()}-{i:08d}",
               "total_cents": 1000 + (i * 7919) % 500_000}
        if model is Order:
            return row | {"ordered_on": on, "description": f"Tilaus {n}: toimistotarvikkeita ja paperia",
                          "channel": ("verkkokauppa", "myymälä", "puhelin")[n % 3]}
        if model is Quote:
            return row | {"issued_on": on, "valid_until": on + timedelta(days=30),
                          "description": f"Tarjous {n}: huoltosopimus ja asennus",
                          "status": ("sent", "accepted", "declined", "expired")[n % 4]}
        paid = n % 3 != 0
        return row | {"issued_on": on, "due_on": on + timedelta(days=14), "paid_on": on if paid else None,
                      "status": "paid" if paid else "open"}

    return make


def _seed(rows: int) -> None:
    """The three customers, their history, and an account for the measured one."""
    bulk(Customer, customer_row, MEASURED, WARM, "customers")
    next_id = {model: 1 for model in HISTORY}
    for customer_id, count in ((MEASURED, rows), (OTHER, rows // 10), (WARM, 10)):
        for model in HISTORY:
            share = count * SHARES[model] // sum(SHARES.values())
            first = next_id[model]
            bulk(model, _history_maker(model, customer_id, first), first, first + share - 1,
                 f"{model.__tablename__} of customer {customer_id}")
            next_id[model] = first + share
    for customer_id in (MEASURED, WARM):
        db.session.add(User(email=f"asiakas{customer_id}@bench.example", customer_id=customer_id,
                            fs_uniquifier=f"export-bench-{customer_id}", active=True, locale="fi"))
    db.session.commit()
    bump_sequences(Customer, *HISTORY)
    analyze()


def _status(field: str) -> int:
    """A memory figure of this process from /proc/self/status, in bytes."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(field)


def _reset_peak() -> None:
    """Start VmHWM again from the current resident size (Linux 4.0+)."""
    Path("/proc/self/clear_refs").write_text("5")


def _run(mode: str, customer_id: int):
    """The chunks of one run of `mode` (for the reads, one chunk: the row count)."""
    session = db.session
    now = datetime.now(UTC)
    if mode == "JSON":
        return (chunk.encode("utf-8") for chunk in exporter.export_json(session, customer_id, now=now, tz=TZ))
    if mode == "ZIP":
        return exporter.export_zip(session, customer_id, now=now, tz=TZ, readme="README")
    if mode == "read (Core)":
        rows = [session.execute(select(model.__table__).where(model.customer_id == customer_id)).all()
                for model in HISTORY]
    else:
        rows = [session.execute(select(model).where(model.customer_id == customer_id)).scalars().all()
                for model in HISTORY]
    return iter([b"x" * sum(map(len, rows))])


def _measure_child(url: str, mode: str, runs: int) -> None:
    """In a fresh process: warm up, run `mode` `runs` times, print one JSON line of figures."""
    app = _app(url)
    with app.app_context():
        for _ in _run(mode, WARM):
            pass
        db.session.rollback()
        times, first_chunks, growths, size = [], [], [], 0
        for _ in range(runs):
            gc.collect()
            _reset_peak()
            before = _status("VmRSS")
            started = time.perf_counter()
            first, size, chunks = None, 0, 0
            for chunk in _run(mode, MEASURED):
                first = first or time.perf_counter() - started
                size += len(chunk)
                chunks += 1
            times.append(time.perf_counter() - started)
            first_chunks.append(first)
            growths.append(_status("VmHWM") - before)
            db.session.rollback()
            db.session.expunge_all()
        print(json.dumps({"seconds": statistics.median(times), "first": statistics.median(first_chunks),
                          "growth": max(growths), "size": size, "chunks": chunks}))


def _measure(url: str, mode: str, runs: int) -> dict:
    command = [sys.executable, __file__, "--database-url", url, "--measure", mode, "--runs", str(runs)]
    done = subprocess.run(command, capture_output=True, text=True, check=False, cwd=ROOT)
    if done.returncode:
        sys.exit(f"{mode} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    """Seed, measure each mode in its own process, print the table and the verdict."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="an EMPTY database (default: a throwaway SQLite file)")
    parser.add_argument("--rows", type=int, default=100_000, help="history rows of the measured customer")
    parser.add_argument("--runs", type=int, default=3, help="runs per figure (the median is shown)")
    parser.add_argument("--measure", choices=MODES, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        return _measure_child(args.database_url, args.measure, args.runs)
    if args.rows < 5 or args.runs < 1:
        parser.error("need --rows >= 5 and --runs >= 1")
    workdir = tempfile.mkdtemp(prefix="portal-export-")
    url = args.database_url or f"sqlite:///{os.path.join(workdir, 'bench.db')}"
    app = _app(url)
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        if db.session.execute(select(func.count()).select_from(Customer)).scalar_one():
            sys.exit("refusing: this database already holds customers; give an empty one")
        print(f"database: {db.engine.dialect.name}")
        _seed(args.rows)
        counts = {model.__tablename__: db.session.execute(
            select(func.count()).where(model.customer_id == MEASURED)).scalar_one() for model in HISTORY}
        db.session.remove()
        db.engine.dispose()
    print(f"history of the measured customer: {sum(counts.values()):,} rows ({counts})")
    results = {mode: _measure(url, mode, args.runs) for mode in MODES}
    floor = results["read (Core)"]["seconds"]
    print(f"\nmedian of {args.runs} runs, each in a fresh process")
    print(f"{'':13} {'time s':>8} {'x Core read':>12} {'first chunk s':>14} {'size MB':>8} {'chunks':>7} "
          f"{'peak RSS growth MB':>19}")
    for mode, got in results.items():
        size = f"{got['size'] / MB:8.1f}" if mode in ("JSON", "ZIP") else f"{'':8}"
        chunks = f"{got['chunks']:7,}" if mode in ("JSON", "ZIP") else f"{'':7}"
        print(f"{mode:13} {got['seconds']:8.2f} {got['seconds'] / floor:12.1f} {got['first']:14.3f} {size} "
              f"{chunks} {got['growth'] / MB:19.1f}")
    for mode in ("JSON", "ZIP"):
        ratio, growth = results[mode]["seconds"] / floor, results[mode]["growth"] / MB
        verdict = "met" if ratio <= 3 and growth < 50 else "missed"
        print(f"{mode}: {ratio:.1f}x the Core read (target 3x), peak growth {growth:.1f} MB "
              f"(target < 50 MB): {verdict}")


if __name__ == "__main__":
    main()
