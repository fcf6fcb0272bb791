"""Real servers for tests: gunicorn serving the portal (HTTP or HTTPS), Redis and SMTP."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import ipaddress
import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from aiosmtpd.controller import Controller

ROOT = Path(__file__).resolve().parents[1]
START_TIMEOUT = 30.0


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Collector:
    """aiosmtpd handler that keeps every envelope it accepts."""

    def __init__(self) -> None:
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        """Accept and keep the message."""
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


class SMTPServer:
    """A local SMTP server on a fixed free port that a test can stop and start again."""

    def __init__(self) -> None:
        self.port = free_port()
        self.handler = Collector()
        self._controller: Controller | None = None

    def start(self) -> None:
        """Listen on 127.0.0.1:port."""
        self._controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        """Stop listening (idempotent)."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def messages(self) -> list[tuple[list[str], email.message.EmailMessage]]:
        """(recipients, parsed message) for everything received so far."""
        return [(envelope.rcpt_tos, email.message_from_bytes(envelope.content, policy=email.policy.default))
                for envelope in self.handler.envelopes]



class RedisServer:
    """A throwaway redis-server on 127.0.0.1 (Debian's redis-server), nothing saved to disk."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.workdir = workdir
        self._process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        """The storage URI for Flask-Limiter."""
        return f"redis://127.0.0.1:{self.port}"

    def start(self) -> None:
        """Start the server and wait until it answers."""
        binary = shutil.which("redis-server")
        assert binary, "redis-server is missing: apt-get install redis-server"
        self._process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as conn:
                    conn.sendall(b"PING\r\n")
                    if conn.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                pass
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.1)

    def stop(self) -> None:
        """Stop the server."""
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=10)
            self._process = None


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """A throwaway certificate and key for 127.0.0.1 and localhost."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName(
            [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]),
            critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def insecure_tls() -> ssl.SSLContext:
    """A client TLS context that accepts the throwaway certificate."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def clean_env(**values: str) -> dict[str, str]:
    """This process's environment without portal/Flask/mail settings, plus `values`."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("PORTAL_", "FLASK_", "MAIL_")) and key != "DATABASE_URL"}
    env.update(values)
    return env


def run_flask(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    """Run `flask --app wsgi ARGS`; raise with its output if it fails."""
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *args], cwd=ROOT,
                            env=env, capture_output=True, text=True, timeout=120, check=False)
    if result.returncode:
        raise AssertionError(f"flask {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


@dataclass
class Served:
    """A running gunicorn: where it answers and where its log goes."""

    url: str
    log_path: Path
    process: subprocess.Popen = field(repr=False)

    def log_text(self) -> str:
        """Everything gunicorn has logged so far."""
        return self.log_path.read_text(errors="replace")

    def log_tail(self, lines: int = 40) -> str:
        """The end of gunicorn's log, for failure messages."""
        return "\n".join(self.log_text().splitlines()[-lines:])

    def open(self, path: str, data: bytes | None = None, headers: dict | None = None):
        """Request `path` (following no redirects); return (status, headers, body text)."""
        request = urllib.request.Request(self.url + path, data=data, headers=headers or {})
        opener = urllib.request.build_opener(_NoRedirect, urllib.request.HTTPSHandler(context=insecure_tls()))
        try:
            with opener.open(request, timeout=10) as response:
                return response.status, response.headers, response.read().decode()
        except urllib.error.HTTPError as error:
            with error:
                return error.code, error.headers, error.read().decode()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def gunicorn_command(port: int, *extra: str, tls: tuple[Path, Path] | None = None) -> list[str]:
    """gunicorn as the README runs it (our config module), plus `extra` arguments."""
    command = [sys.executable, "-m", "gunicorn", "-c", "python:portal.gunicorn_conf",
               "--bind", f"127.0.0.1:{port}", *extra]
    if tls:
        command += ["--certfile", str(tls[0]), "--keyfile", str(tls[1])]
    return command


@contextmanager
def serve(env: dict[str, str], log_path: Path, *extra: str, tls: tuple[Path, Path] | None = None,
          port: int | None = None):
    """Run gunicorn until the block ends; fail with its log if it does not become healthy."""
    port = port or free_port()
    scheme = "https" if tls else "http"
    with log_path.open("wb") as log:
        process = subprocess.Popen(gunicorn_command(port, *extra, tls=tls), cwd=ROOT, env=env,
                                   stdout=log, stderr=subprocess.STDOUT)
    served = Served(url=f"{scheme}://127.0.0.1:{port}", log_path=log_path, process=process)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                if served.open("/healthz")[0] == 200:
                    break
            except OSError:
                pass
            if process.poll() is not None:
                raise AssertionError(f"gunicorn exited with {process.returncode}:\n{served.log_tail()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"gunicorn did not answer in {START_TIMEOUT} s:\n{served.log_tail()}")
            time.sleep(0.2)
        yield served
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def served_database_url(name: str, tmp_dir: Path) -> str:
    """A new, empty database for a served portal: a SQLite file, or a PostgreSQL database."""
    raw = os.environ.get("TEST_DATABASE_URL")
    if not raw:
        return f"sqlite:///{tmp_dir / (name + '.db')}"
    import psycopg
    from psycopg import sql
    from sqlalchemy.engine import make_url

    admin = make_url(raw).set(drivername="postgresql")
    with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return admin.set(database=name).render_as_string(hide_password=False)


class HttpClient:
    """A client that keeps cookies and sends forms as a browser does over HTTPS."""

    def __init__(self, served: Served, **headers: str) -> None:
        import http.cookiejar

        self.served = served
        self.headers = headers
        self._opener = urllib.request.build_opener(
            _NoRedirect, urllib.request.HTTPSHandler(context=insecure_tls()),
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def request(self, path: str, form: dict[str, str] | None = None) -> tuple[int, str]:
        """GET `path`, or POST `form` to it with the CSRF token of its page; (status, body)."""
        from urllib.parse import urlencode

        from tests.conftest import CSRF_RE

        headers = dict(self.headers)
        data = None
        if form is not None:
            _, page = self.request(path)
            match = CSRF_RE.search(page)
            data = urlencode({**form, "csrf_token": match.group(1) if match else ""}).encode()
            headers["Referer"] = self.served.url + path  # what our same-origin policy lets through
        request = urllib.request.Request(self.served.url + path, data=data, headers=headers)
        try:
            with self._opener.open(request, timeout=10) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            with error:
                return error.code, error.read().decode()


PRODUCTION_SECRETS = {
    "SECRET_KEY": "served-test-secret-key-0123456789abcdef",
    "SECURITY_PASSWORD_SALT": "served-test-password-salt-0123456789",
    "TOTP_SECRET": "served-test-totp-secret-0123456789abcdef",
    "PORTAL_AUDIT_KEY": "served-test-audit-key-0123456789abcdef",
}


# `flask demo`'s line for a staff member: "staff  EMAIL ... authenticator app: SECRET".
STAFF_SECRET_RE = re.compile(r"^\s*staff\s+(\S+)\s.*authenticator app: ([A-Z2-7-]+)\s*$", re.M)


@contextmanager
def portal_server(workdir: Path, *, production: bool, database_url: str, extra_env=None,
                  gunicorn_args=(), log_name: str = "gunicorn.log"):
    """The portal with the demo register, migrated and served by gunicorn.

    production=True: HTTPS with a throwaway certificate, PORTAL_ENV=production and every
    setting production requires (pass the mail server and Redis in `extra_env`).
    production=False: as `make run` serves it (development, plain HTTP).
    """
    port = free_port()
    workdir.mkdir(parents=True, exist_ok=True)
    env = clean_env(DATABASE_URL=database_url, PORTAL_INSTANCE_DIR=str(workdir / "instance"),
                    PORTAL_AUDIT_ANCHOR_FILE=str(workdir / "audit-anchors.jsonl"))
    tls = None
    if production:
        tls = self_signed_certificate(workdir)
        env.update(PRODUCTION_SECRETS, PORTAL_ENV="production", PORTAL_HTTPS="1",
                   PORTAL_BASE_URL=f"https://127.0.0.1:{port}")
    else:
        env.update(PORTAL_ENV="development", PORTAL_HTTPS="0")
    env.update(extra_env or {})
    run_flask(env, "db", "upgrade")
    demo = run_flask(env, "demo")
    with serve(env, workdir / log_name, *gunicorn_args, tls=tls, port=port) as served:
        # Each staff member's authenticator secret, as `flask demo` printed it: {email: secret}.
        served.secrets = dict(STAFF_SECRET_RE.findall(demo.stdout))
        yield served
