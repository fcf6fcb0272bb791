"""The in-process side of bench/pages.py: the settings it shares with the served portal, and SQL
statements per page counted with the Flask test client (SQLAlchemy's before_cursor_execute, as
tests/functional/test_statement_counts.py counts them)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import event

from bench import load
from portal.config import Config, TestConfig, database_url
from portal.demo import DEMO_PASSWORD, STAFF_EMAIL
from portal.extensions import db
from tests.serving import PRODUCTION_SECRETS

MAIJA = "maija.meikalainen@esimerkki.example"
WRONG = {"email": MAIJA, "password": "Vaara-salasana-2026"}  # noqa: S105 - a wrong one on purpose


def bench_config(url: str, workdir: Path) -> TestConfig:
    """The in-process settings: the served portal's secrets and password hashing, this database."""
    config = TestConfig()
    config.SQLALCHEMY_DATABASE_URI = database_url(url)
    config.SECRET_KEY = PRODUCTION_SECRETS["SECRET_KEY"]
    config.SECURITY_PASSWORD_SALT = PRODUCTION_SECRETS["SECURITY_PASSWORD_SALT"]
    config.SECURITY_TOTP_SECRETS = {"1": PRODUCTION_SECRETS["TOTP_SECRET"]}
    config.PORTAL_AUDIT_KEY = PRODUCTION_SECRETS["PORTAL_AUDIT_KEY"]
    config.PORTAL_AUDIT_ANCHOR_FILE = str(workdir / "audit-anchors.jsonl")
    config.SECURITY_PASSWORD_HASH_PASSLIB_OPTIONS = Config.SECURITY_PASSWORD_HASH_PASSLIB_OPTIONS
    return config


def count_statements(app, chosen: list, secrets: dict[str, str]) -> dict[str, int | None]:
    """SQL statements of one request to each page, in-process with the test client (after a warm-up)."""
    clients = {who: app.test_client() for who in ("anonymous", "customer", "staff", "login", "guess")}

    def log_in(client, email: str, code=None) -> None:
        """The same forms as a browser: password, then the code if asked."""
        token = load.CSRF_RE.search(client.get("/login").get_data(as_text=True)).group(1)
        client.post("/login", data={"email": email, "password": DEMO_PASSWORD, "csrf_token": token})
        if code:
            token = load.CSRF_RE.search(client.get("/privacy").get_data(as_text=True)).group(1)
            client.post("/login/code", data={"code": code(), "csrf_token": token})

    log_in(clients["customer"], MAIJA)
    log_in(clients["staff"], STAFF_EMAIL, lambda: load.totp_code(secrets[STAFF_EMAIL]))
    seen: list[str] = []
    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", lambda conn, cursor, sql, *rest: seen.append(sql))
    counts: dict[str, int | None] = {}
    for page in chosen:
        client = clients.get(page.who)
        if client is None:
            counts[page.name] = None
            continue
        if page.who in ("login", "guess"):
            token = load.CSRF_RE.search(client.get("/login").get_data(as_text=True)).group(1)
            form = {**WRONG} if page.who == "guess" else {"email": MAIJA, "password": DEMO_PASSWORD}
            send = lambda c=client, f={**form, "csrf_token": token}: c.post("/login", data=f)  # noqa: E731
        else:
            client.get(page.path)  # warm caches (settings row, catalogues) before counting
            send = lambda c=client, p=page.path: c.get(p)  # noqa: E731
        seen.clear()
        status = send().status_code
        counts[page.name] = len(seen) if status == page.expect else None
    return counts
