"""How long does `flask import-customers` take for a large register? First import, re-imports.

Usage: .venv/bin/python bench/import_customers.py [--database-url URL] [--rows N]

Writes N fictional customers (default 100,000; Finnish headers, ';', UTF-8 with BOM, Finnish
dates, phone numbers and every fifth a company contact with a Y-tunnus, as Finnish Excel writes
them) and N/2 invoices into temporary CSV files, builds the schema through the real migrations
on an empty database (a throwaway SQLite file unless --database-url names another; a database
that already holds customers is refused), then runs the real command three times and times each:

1. the first import (all rows new), with the invoices file;
2. the same files again (all unchanged: nothing is written);
3. a file where every customer's phone number and city changed (all updated);
4. --invite more new customers (default 10,000) imported with --invite: account, invitation
   email in the outbox and audit entry each, through the path `flask invite` uses.

The target is 100,000 customers in under a minute on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from portal import create_app  # noqa: E402
from portal.cli_import import import_customers  # noqa: E402
from portal.config import TestConfig, database_url  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.models import Customer, Invoice  # noqa: E402

FIRST = ["Aino", "Mikko", "Emma", "Juha", "Sofia", "Eero", "Helmi", "Ville", "Eeva", "Timo", "Liisa",
         "Kalle"]
LAST = ["Virtanen", "Korhonen", "Mäkinen", "Nieminen", "Mäkelä", "Hämäläinen", "Laine", "Heikkinen",
        "Koskinen", "Järvinen", "Lehtonen", "Saarinen"]
CITIES = [("00100", "Helsinki"), ("20100", "Turku"), ("33100", "Tampere"), ("90100", "Oulu"),
          ("40100", "Jyväskylä"), ("70100", "Kuopio")]
BUSINESS_IDS = ["7654321-2", "2468135-7", "1112223-0", "2345678-0"]
HEADER = ("Asiakasnumero;Etunimi;Sukunimi;Sähköposti;Puhelin;Organisaatio;Tehtävänimike;Y-tunnus;"
          "Katuosoite;Postinumero;Postitoimipaikka;Maa;Kieli;Asiakassuhde alkoi;Asiakassuhde päättyi;"
          "Yhteyshenkilö")


def _customer(i: int, changed: bool) -> str:
    """One customer line; `changed` gives another phone number and city."""
    postal, city = CITIES[(i + changed) % len(CITIES)]
    phone = f"040 {(i + (5_000_000 if changed else 0)) % 10_000_000:07d}"
    company = i % 5 == 0
    organisation, position, business_id = (("Esimerkkiasiakas Oy", "Ostaja", BUSINESS_IDS[i % 4])
                                           if company else ("", "", ""))
    ended = f"{1 + i % 28}.12.2024" if i % 10 == 0 else ""
    return ";".join((f"AS-{i:07d}", FIRST[i % len(FIRST)], LAST[i // len(FIRST) % len(LAST)],
                     f"asiakas{i}@bench.example", phone, organisation, position, business_id,
                     f"Esimerkkitie {1 + i % 99}", postal, city, "FI", "en" if i % 7 == 0 else "fi",
                     f"{1 + i % 28}.{1 + i % 12}.{2010 + i % 14}", ended,
                     "kyllä" if company else "ei"))


def _write(path: Path, header: str, lines) -> None:
    """A CSV file as Excel's 'CSV UTF-8' writes it: BOM, CRLF."""
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        out.write(header + "\r\n")
        for line in lines:
            out.write(line + "\r\n")


def _invoice(i: int) -> str:
    """Invoice `i` of customer 2i: two in three paid."""
    paid = i % 3 != 0
    return ";".join((f"AS-{i * 2:07d}", f"L-{i:08d}", "1.3.2025", "15.3.2025", f"{i % 900 + 10},50",
                     "maksettu" if paid else "avoin", "10.3.2025" if paid else ""))


def _run(app, label: str, args: list[str], rows: int) -> float:
    """Run the command, check it succeeded, print and return the seconds it took."""
    runner = app.test_cli_runner()
    started = time.perf_counter()
    result = runner.invoke(import_customers, [*args, "--no-progress"])
    seconds = time.perf_counter() - started
    if result.exit_code != 0:
        sys.exit(f"{label} failed ({result.exit_code}):\n{result.output}")
    table = [line for line in result.output.splitlines()
             if line.startswith(("customers", "invoices", "Invitations"))]
    print(f"{label:44} {seconds:8.1f} s {rows / seconds:10,.0f} customers/s   " + " | ".join(
        " ".join(line.split()).split(" (")[0] for line in table))
    return seconds


def main() -> None:
    """Generate the files, migrate an empty database, run and time the three imports."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="an EMPTY database (default: a throwaway SQLite file)")
    parser.add_argument("--rows", type=int, default=100_000, help="customers in the file (N)")
    parser.add_argument("--invite", type=int, default=10_000, help="new customers imported with --invite "
                        "in step 4 (0 skips it)")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="portal-import-"))
    first, second = workdir / "customers.csv", workdir / "customers-changed.csv"
    invoices = workdir / "invoices.csv"
    _write(first, HEADER, (_customer(i, False) for i in range(1, args.rows + 1)))
    _write(second, HEADER, (_customer(i, True) for i in range(1, args.rows + 1)))
    _write(invoices, "Asiakasnumero;Laskunumero;Laskupäivä;Eräpäivä;Summa;Tila;Maksupäivä",
           (_invoice(i) for i in range(1, args.rows // 2 + 1)))
    url = args.database_url or f"sqlite:///{os.path.join(workdir, 'bench.db')}"
    config = TestConfig()
    config.SQLALCHEMY_DATABASE_URI = database_url(url)
    app = create_app(config)
    with app.app_context():
        upgrade(directory=str(Path(__file__).resolve().parents[1] / "migrations"))
        if db.session.execute(select(func.count()).select_from(Customer)).scalar_one():
            sys.exit("refusing: this database already holds customers; give an empty one")
        print(f"database: {db.engine.dialect.name}; {args.rows:,} customers, {args.rows // 2:,} invoices "
              f"({first.stat().st_size / 1e6:.1f} MB + {invoices.stat().st_size / 1e6:.1f} MB of CSV)")
        db.session.remove()
    _run(app, "1. first import (customers + invoices)", [str(first), "--invoices", str(invoices)], args.rows)
    _run(app, "2. same files again (all unchanged)", [str(first), "--invoices", str(invoices)], args.rows)
    _run(app, "3. every customer changed (all updated)", [str(second)], args.rows)
    if args.invite:
        invited = workdir / "customers-invited.csv"
        numbers = range(args.rows + 1, args.rows + args.invite + 1)
        _write(invited, HEADER, (_customer(i, False) for i in numbers))
        _run(app, f"4. {args.invite:,} new customers with --invite", [str(invited), "--invite"], args.invite)
    with app.app_context():
        customers = db.session.execute(select(func.count()).select_from(Customer)).scalar_one()
        held = db.session.execute(select(func.count()).select_from(Invoice)).scalar_one()
        db.session.remove()
    print(f"held afterwards: {customers:,} customers, {held:,} invoices")


if __name__ == "__main__":
    main()
