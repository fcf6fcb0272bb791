"""How fast do the portal's pages answer under load? req/s, latency, SQL statements and memory per page.

Usage: .venv/bin/python bench/pages.py [--database-url URL] [--customers N] [--requests M]
           [--duration S] [--connections 8] [--workers 2] [--threads 1] [--json OUT] [--keep]

Builds an EMPTY database through the real migrations (a throwaway SQLite file unless
--database-url names another), runs the real `flask demo`, and bulk-loads N customers and M
requests (bench/seed.py; COPY on PostgreSQL). Serves it with gunicorn as production does
(`-c python:portal.gunicorn_conf`, PORTAL_ENV=production, --workers sync workers sharing rate
limits in a throwaway redis-server, behind a "proxy": X-Forwarded-Proto: https), plus a bare
Flask app (bench/bare_app.py) with as many workers. Logs Maija and the demo reviewer (password,
authenticator code) in through the forms, then drives each page with wrk (2 threads) for 2 s
of warm-up (not the wrong-password burst: it would spend the guesses) and --duration seconds of
measuring, sampling the servers' summed RSS from /proc.
SQL statements per page are counted in-process with the Flask test client on the same data.
Prints a Markdown table for docs/BENCHMARKS.md; --json writes the raw figures. Needs `wrk`
(apt-get install wrk) and redis-server when --workers > 1.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import func, select, update  # noqa: E402

from bench import load  # noqa: E402
from bench.inprocess import MAIJA, WRONG, bench_config, count_statements  # noqa: E402
from bench.seed import analyze, bulk, bump_sequences, customer_row, next_id, request_maker  # noqa: E402
from portal import create_app  # noqa: E402
from portal.cli import demo_command  # noqa: E402
from portal.demo import ADMIN_EMAIL, DEMO_PASSWORD, STAFF_EMAIL  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.models import Customer, PrivacyRequest, User  # noqa: E402
from portal.models.requests import OPEN_STATUSES  # noqa: E402
from portal.models.types import utcnow  # noqa: E402
from tests import serving  # noqa: E402

WARM_UP = 2


@dataclass(frozen=True)
class Page:
    """One line of the table: what is requested, as whom, and the status that counts as success."""

    name: str
    path: str
    who: str  # "flask" (the bare app), "anonymous", "customer", "staff", "login", "guess"
    expect: int = 200


def pages(reference: str) -> list[Page]:
    """The pages measured, in order (the log-in bursts last: the guesses lock Maija's account)."""
    return [Page("bare Flask `/_bench/ping`", "/_bench/ping", "flask"),
            Page("app `/_bench/ping`", "/_bench/ping", "anonymous"),
            Page("front page `/`", "/", "anonymous"),
            Page("privacy statement `/privacy`", "/privacy", "anonymous"),
            Page("My data `/account` (Maija)", "/account", "customer"),
            Page("requests `/account/requests` (Maija)", "/account/requests", "customer"),
            Page("staff queue `/staff/` (reviewer)", "/staff/", "staff"),
            Page("queue search by reference `/staff/?q=PR-…`", f"/staff/?q={reference}", "staff"),
            Page("log-in POST, right password (Maija)", "/login", "login", 302),
            Page("log-in POST, wrong password (guessing)", "/login", "guess")]


def build(app, customers: int, requests: int) -> tuple[dict, dict[str, str], str]:
    """Migrate, `flask demo`, bulk-load; (seconds per step, staff secrets, a reference to search)."""
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    with app.app_context():
        upgrade(directory=str(Path(__file__).resolve().parents[1] / "migrations"))
        if db.session.execute(select(func.count()).select_from(Customer)).scalar_one():
            sys.exit("refusing: this database already holds customers; give an empty one")
        db.session.remove()
    seconds["migrations"] = time.perf_counter() - started
    started = time.perf_counter()
    result = app.test_cli_runner().invoke(demo_command)
    if result.exit_code:
        sys.exit(f"flask demo failed:\n{result.output}")
    secrets = dict(serving.STAFF_SECRET_RE.findall(result.output))
    seconds["flask demo"] = time.perf_counter() - started
    with app.app_context():
        staff = db.session.execute(select(User.id).where(User.email.in_((STAFF_EMAIL, ADMIN_EMAIL))))
        staff_ids, first_customer = list(staff.scalars()), next_id(Customer)
        first_request = next_id(PrivacyRequest)
        copy = db.engine.dialect.name == "postgresql"
        for label, step in (
            (f"{customers:,} customers", lambda: bulk(Customer, customer_row, first_customer,
                                                      first_customer + customers - 1, "customers", copy)),
            (f"{requests:,} requests", lambda: bulk(
                PrivacyRequest, request_maker(customers, staff_ids, first_customer), first_request,
                first_request + requests - 1, "requests", copy)),
            ("sequences and ANALYZE", lambda: (bump_sequences(Customer, PrivacyRequest), analyze()))):
            started = time.perf_counter()
            step()
            seconds[label] = time.perf_counter() - started
        # The reviewer has accepted the confidentiality commitment, as on any working day.
        db.session.execute(update(User).where(User.email == STAFF_EMAIL)
                           .values(confidentiality_signed_at=utcnow()))
        db.session.commit()
        reference = db.session.execute(
            select(PrivacyRequest.reference).where(PrivacyRequest.id >= first_request)
            .order_by(PrivacyRequest.status.in_(OPEN_STATUSES).desc(), PrivacyRequest.id.desc()).limit(1)
        ).scalar_one()
        db.session.remove()
        db.engine.dispose()
    return seconds, secrets, reference


def served_env(url: str, workdir: Path, port: int, args, redis_url: str | None) -> dict[str, str]:
    """The production environment of the served portal, with the bench route on."""
    env = serving.clean_env(
        **serving.PRODUCTION_SECRETS, DATABASE_URL=url, PORTAL_ENV="production", PORTAL_HTTPS="1",
        PORTAL_PROXY_COUNT="1", PORTAL_BASE_URL=f"https://127.0.0.1:{port}", PORTAL_BENCH="1",
        PORTAL_INSTANCE_DIR=str(workdir / "instance"), PORTAL_MAIL_BACKEND="file",
        PORTAL_AUDIT_ANCHOR_FILE=str(workdir / "audit-anchors.jsonl"),
        PORTAL_MAIL_FILE_PATH=str(workdir / "mail"), WEB_CONCURRENCY=str(args.workers),
        PORTAL_THREADS=str(args.threads))
    if redis_url:
        env["PORTAL_RATELIMIT_STORAGE_URI"] = redis_url
    return env


def drive(page: Page, port: int, pid: int, cookies: dict[str, str], args) -> dict:
    """Warm up, then measure one page with wrk; the figures with the peak RSS of the server."""
    body = urlencode({**WRONG, "csrf_token": cookies["guess-token"]}) if page.who == "guess" else ""
    if page.who == "login":
        body = urlencode({"email": MAIJA, "password": DEMO_PASSWORD, "csrf_token": cookies["login-token"]})
    options = {"connections": args.connections, "threads": 2, "body": body,
               "cookie": cookies.get(page.who, ""),
               "referer": f"https://127.0.0.1:{port}/login" if body else ""}
    url = f"http://127.0.0.1:{port}{page.path}"
    with load.peak_rss(pid) as peak:
        if page.who != "guess":  # warming up would spend the guesses before measuring
            load.wrk(url, seconds=WARM_UP, **options)
        figures = load.wrk(url, seconds=args.duration, **options)
    figures["peak_rss_mb"] = peak["mb"]
    figures["unexpected"] = {code: n for code, n in figures["statuses"].items() if int(code) != page.expect}
    print(f"  {page.name}: {figures['rps']:,.0f} req/s", file=sys.stderr)
    return figures


def log_ins(port: int, secrets: dict[str, str]) -> dict[str, str]:
    """Cookie headers for Maija and the reviewer, and anonymous log-in forms' cookies and tokens."""
    maija, staff = load.Browser(port), load.Browser(port)
    maija.log_in(MAIJA, DEMO_PASSWORD)
    staff.log_in(STAFF_EMAIL, DEMO_PASSWORD, code=lambda: load.totp_code(secrets[STAFF_EMAIL]))
    if staff.request("/staff/")[0] != 200 or maija.request("/account")[0] != 200:
        sys.exit("logged in, but the staff queue or My data does not answer 200")
    cookies = {"customer": maija.cookie_header(), "staff": staff.cookie_header()}
    for who in ("login", "guess"):
        visitor = load.Browser(port)
        cookies[f"{who}-token"] = visitor.csrf("/login")
        cookies[who] = visitor.cookie_header()
    return cookies


def table(chosen: list[Page], results: dict[str, dict], counts: dict[str, int | None]) -> str:
    """The Markdown table and the bare-route comparison line."""
    app_rps = results[chosen[1].name]["rps"]
    lines = ["| Page | req/s | × app bare route | p50 ms | p95 ms | p99 ms | errors | SQL statements | "
             "peak RSS MB |", "|---|---:|---:|---:|---:|---:|---|---:|---:|"]
    for page in chosen:
        r = results[page.name]
        errors = [f"{n:,} × {code}" for code, n in sorted(r["unexpected"].items())]
        errors += [f"{r['socket_errors']:,} socket"] * bool(r["socket_errors"])
        count = counts.get(page.name)
        lines.append(f"| {page.name} | {r['rps']:,.0f} | {r['rps'] / app_rps:.2f} | {r['p50_ms']:.1f} | "
                     f"{r['p95_ms']:.1f} | {r['p99_ms']:.1f} | {', '.join(errors) or '0'} | "
                     f"{'–' if count is None else count} | {r['peak_rss_mb']:.0f} |")
    ratio = results[chosen[0].name]["rps"] / app_rps
    notes = [f"\napp bare route vs bare Flask: {ratio:.2f}×"]
    for page in (p for p in chosen if p.who == "guess"):
        r = results[page.name]
        checked, refused = r["statuses"].get("200", 0), r["statuses"].get("429", 0)
        notes.append(f"{page.name}: {r['requests']:,} attempts in {r['seconds']:.0f} s, "
                     f"{checked:,} checked, {refused:,} refused (429)")
    return "\n".join(lines + notes)


def main() -> None:
    """Build, seed, serve, log in, drive every page, count statements, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="an EMPTY database (default: a throwaway SQLite file)")
    parser.add_argument("--customers", type=int, default=1_000, help="customers bulk-loaded (N)")
    parser.add_argument("--requests", type=int, default=1_000, help="requests bulk-loaded (M)")
    parser.add_argument("--duration", type=int, default=10, help="seconds measured per page")
    parser.add_argument("--connections", type=int, default=8, help="wrk's open connections")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=1, help="threads per worker (1: sync workers)")
    parser.add_argument("--json", type=Path, help="write the raw figures here")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (database, logs)")
    args = parser.parse_args()
    if args.customers < 1 or args.requests < 1 or args.connections < 2:
        parser.error("need --customers >= 1, --requests >= 1 and --connections >= 2")
    load.require_wrk()
    os.environ["PORTAL_BENCH"] = "1"  # the in-process app has /_bench/ping too (0 statements)
    workdir = Path(tempfile.mkdtemp(prefix="portal-pages-"))
    try:
        run(args, workdir)
    finally:
        if args.keep:
            print(f"work folder kept: {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def run(args, workdir: Path) -> None:
    """Everything but the argument parsing, with its files in `workdir`."""
    url = args.database_url or f"sqlite:///{workdir / 'bench.db'}"
    app = create_app(bench_config(url, workdir))
    seconds, secrets, reference = build(app, args.customers, args.requests)
    print("seeding: " + ", ".join(f"{k} {v:.1f} s" for k, v in seconds.items()), file=sys.stderr)
    chosen, results = pages(reference), {}
    with ExitStack() as stack:
        redis = None
        if args.workers > 1:
            redis = serving.RedisServer(workdir)
            redis.start()
            stack.callback(redis.stop)
        port, flask_port = serving.free_port(), serving.free_port()
        env = served_env(url, workdir, port, args, redis and redis.url)
        portal = stack.enter_context(
            load.gunicorn(serving.gunicorn_command(port), env, workdir / "portal.log", port))
        bare = stack.enter_context(load.gunicorn(
            [sys.executable, "-m", "gunicorn", "--workers", str(args.workers), "--threads", str(args.threads),
             "--bind", f"127.0.0.1:{flask_port}", "bench.bare_app:app"], serving.clean_env(),
            workdir / "bare.log", flask_port))
        cookies = log_ins(port, secrets)
        for page in chosen:
            on_flask = page.who == "flask"
            results[page.name] = drive(page, flask_port if on_flask else port,
                                       (bare if on_flask else portal).pid, cookies, args)
    counts = count_statements(app, chosen, secrets)
    with app.app_context():
        db.engine.dispose()
    dialect = "PostgreSQL" if "postgres" in url else "SQLite"
    print(f"\n{dialect}, {args.customers:,} customers, {args.requests:,} requests; {args.workers} "
          f"workers × {args.threads} thread(s), wrk 2 threads × {args.connections} connections, "
          f"{args.duration:g} s a page\n\n{table(chosen, results, counts)}")
    if args.json:
        raw = {"database": dialect, "arguments": {k: str(v) for k, v in vars(args).items()},
               "seeding_seconds": seconds, "pages": results, "statements": counts}
        args.json.write_text(json.dumps(raw, indent=2))

if __name__ == "__main__":
    main()
