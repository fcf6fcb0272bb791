"""Browser fixtures: the portal served by gunicorn on its own database, and Debian's Chromium."""

from __future__ import annotations

import email
import email.policy
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
BROWSER_DB_NAME = "portal_browser"
START_TIMEOUT = 20.0
SERVER_ENV = {
    "PORTAL_HTTPS": "0",
    "SECRET_KEY": "browser-test-secret-key-0123456789abcdef",
    "SECURITY_PASSWORD_SALT": "browser-test-password-salt-0123456789",
    "TOTP_SECRET": "browser-test-totp-secret-0123456789abcdef",
    "PORTAL_OUTBOX_SEND_IMMEDIATELY": "1",
}
ACTIVATE_RE = re.compile(r"https?://\S+/activate/[\w.\-]+")


def _free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def browser_database_url(tmp_path_factory):
    """A database for the served app only: a new SQLite file, or a new PostgreSQL database."""
    raw = os.environ.get("TEST_DATABASE_URL")
    if not raw:
        yield f"sqlite:///{tmp_path_factory.mktemp('browser-db') / 'portal.db'}"
        return
    import psycopg
    from psycopg import sql
    from sqlalchemy.engine import make_url

    admin = make_url(raw).set(drivername="postgresql")
    admin_dsn = admin.render_as_string(hide_password=False)
    name = sql.Identifier(BROWSER_DB_NAME)
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(name))
    yield admin.set(database=BROWSER_DB_NAME).render_as_string(hide_password=False)
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))


@dataclass(frozen=True)
class LiveServer:
    """Where the served portal answers and where its outgoing mail lands."""

    url: str
    mail_dir: Path
    log_path: Path

    def log_tail(self, lines: int = 40) -> str:
        """The end of gunicorn's log, for failure messages."""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def mails_to(self, address: str) -> list[email.message.EmailMessage]:
        """Every message the file mail backend wrote for `address`, oldest first."""
        found = []
        for path in sorted(self.mail_dir.glob("*.log"), key=lambda p: p.stat().st_mtime):
            for chunk in path.read_bytes().split(b"\n" + b"-" * 79 + b"\n"):
                if not chunk.strip():
                    continue
                message = email.message_from_bytes(chunk, policy=email.policy.default)
                if address in str(message.get("To", "")):
                    found.append(message)
        return found

    def activation_link(self, address: str, timeout: float = 5.0) -> str:
        """The /activate/ link from the newest invitation to `address` (waits briefly)."""
        deadline = time.monotonic() + timeout
        while True:
            for message in reversed(self.mails_to(address)):
                match = ACTIVATE_RE.search(message.get_body(("plain",)).get_content())
                if match:
                    return match.group(0)
            if time.monotonic() > deadline:
                raise AssertionError(f"no invitation mail to {address} in {self.mail_dir}")
            time.sleep(0.1)


def _flask(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    """Run `flask --app wsgi ARGS` against the browser database; fail with its output."""
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *args], cwd=ROOT,
                            env=env, capture_output=True, text=True, timeout=120, check=False)
    if result.returncode:
        pytest.fail(f"flask {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


def _healthy(url: str) -> bool:
    """True when /healthz answers 200."""
    try:
        with urllib.request.urlopen(f"{url}/healthz", timeout=1) as response:
            return response.status == 200
    except urllib.error.HTTPError as exc:
        exc.close()
        return False
    except (urllib.error.URLError, OSError):
        return False


def _wait_until_healthy(server: LiveServer, process: subprocess.Popen) -> None:
    """Poll /healthz until it answers, the server dies, or START_TIMEOUT passes."""
    deadline = time.monotonic() + START_TIMEOUT
    while not _healthy(server.url):
        if process.poll() is not None:
            pytest.fail(f"gunicorn exited with {process.returncode}:\n{server.log_tail()}")
        if time.monotonic() > deadline:
            pytest.fail(f"gunicorn did not answer /healthz in {START_TIMEOUT} s:\n{server.log_tail()}")
        time.sleep(0.2)


def _stop(process: subprocess.Popen) -> None:
    """Terminate gunicorn, killing it if it does not stop in time."""
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


@pytest.fixture(scope="session")
def live_server(browser_database_url, tmp_path_factory):
    """The portal with the demo register, served by gunicorn on 127.0.0.1 over plain HTTP."""
    base = tmp_path_factory.mktemp("live")
    mail_dir = base / "mail"
    mail_dir.mkdir()
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("PORTAL_", "FLASK_", "MAIL_")) and key != "DATABASE_URL"}
    env.update(SERVER_ENV, DATABASE_URL=browser_database_url,
               PORTAL_INSTANCE_DIR=str(base / "instance"), PORTAL_MAIL_FILE_PATH=str(mail_dir))
    _flask(env, "db", "upgrade")
    _flask(env, "demo")
    port = _free_port()
    server = LiveServer(url=f"http://127.0.0.1:{port}", mail_dir=mail_dir,
                        log_path=base / "gunicorn.log")
    with server.log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "2",
             "wsgi:app"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
        try:
            _wait_until_healthy(server, process)
            yield server
        finally:
            _stop(process)


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium, headless; missing Chromium is a failure, not a skip."""
    assert Path(CHROMIUM).is_file(), f"{CHROMIUM} is missing: apt-get install chromium"
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                              args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def new_context(browser: Browser, live_server: LiveServer):
    """Open browser contexts on the live server (English by default); all closed afterwards."""
    contexts: list[BrowserContext] = []

    def _open(**options) -> BrowserContext:
        options.setdefault("locale", "en-GB")
        context = browser.new_context(base_url=live_server.url, **options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context

    yield _open
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_context) -> Page:
    """A page in a fresh English-speaking desktop context."""
    return new_context().new_page()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """The folder for screenshots a human can look at (gitignored)."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
