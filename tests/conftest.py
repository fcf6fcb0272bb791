"""Fixtures: an app on a migrated test database (SQLite or PostgreSQL), clients, log-in helpers."""

from __future__ import annotations

import os
import re

import pytest
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import text

from portal import create_app
from portal.config import TestConfig, database_url
from portal.extensions import db as _db
from portal.extensions import limiter

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@pytest.fixture(scope="session")
def database_uri(tmp_path_factory) -> str:
    """TEST_DATABASE_URL (PostgreSQL in CI) or a throwaway SQLite file."""
    raw = os.environ.get("TEST_DATABASE_URL")
    if raw:
        return database_url(raw)
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


def make_config(database_uri: str, **overrides) -> TestConfig:
    """A TestConfig pointed at the test database, with optional overrides."""
    config = TestConfig()
    config.SQLALCHEMY_DATABASE_URI = database_uri
    for key, value in overrides.items():
        setattr(config, key, value)
    return config


PRODUCTION_ENV = {
    "PORTAL_ENV": "production",
    "SECRET_KEY": "production-like-secret-key-0123456789abcdef",
    "SECURITY_PASSWORD_SALT": "production-like-password-salt-0123456789",
    "TOTP_SECRET": "production-like-totp-secret-0123456789abcdef",
    "PORTAL_AUDIT_KEY": "production-like-audit-key-0123456789abcdef",
    "PORTAL_BASE_URL": "https://localhost",
    "PORTAL_MAIL_SERVER": "127.0.0.1",
}


@pytest.fixture
def production_env(monkeypatch):
    """The environment of a production host: every required variable set, HTTPS on."""
    for name in [n for n in os.environ if n.startswith("PORTAL_")]:
        monkeypatch.delenv(name)
    for name, value in PRODUCTION_ENV.items():
        monkeypatch.setenv(name, value)
    return monkeypatch


@pytest.fixture(scope="session")
def _schema(database_uri):
    """Build the schema once per run through the real Alembic migrations."""
    app = create_app(make_config(database_uri))
    with app.app_context():
        _db.drop_all()
        with _db.engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
        upgrade(directory=os.path.join(os.path.dirname(__file__), "..", "migrations"))
        _db.engine.dispose()
    return database_uri


def _empty_tables() -> None:
    """Delete every row so each test starts from an empty register."""
    _db.session.remove()
    tables = [t.name for t in reversed(_db.metadata.sorted_tables)]
    with _db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for name in tables:
                conn.execute(text(f'DELETE FROM "{name}"'))


@pytest.fixture
def app_config(_schema):
    """The configuration object for `app`; tests may change it before using `app`."""
    return make_config(_schema)


class ServerLikeClient(FlaskClient):
    """Reads and closes every response, as a WSGI server does, so close callbacks run."""

    def open(self, *args, **kwargs):
        kwargs.setdefault("buffered", True)
        return super().open(*args, **kwargs)


@pytest.fixture
def app(app_config):
    """A fresh app on an empty, migrated database.

    No app context stays pushed: each test-client request must get its own, as in
    production, or `g` (and the logged-in user cached in it) would leak between requests.
    """
    application = create_app(app_config)
    application.test_client_class = ServerLikeClient
    with application.app_context():
        _empty_tables()
        limiter.reset()
    yield application
    with application.app_context():
        _db.session.remove()
        _empty_tables()
        _db.engine.dispose()


@pytest.fixture
def db(app):
    """The Flask-SQLAlchemy handle inside an app context, for service-level tests.

    Don't combine with `client` requests in one test: use `with app.app_context()` there.
    """
    with app.app_context():
        yield _db
        _db.session.remove()


@pytest.fixture
def client(app):
    """A test client that keeps cookies like a browser."""
    return app.test_client()


@pytest.fixture
def runner(app):
    """A runner for the app's CLI commands."""
    return app.test_cli_runner()


def _load_demo(app, *, requests: bool):
    from portal.demo import load_demo

    with app.app_context():
        logins = load_demo(_db.session, requests=requests)
        _db.session.remove()
    return logins


@pytest.fixture
def demo(app):
    """The demo register without its requests (customer flows start clean); returns the log-ins."""
    return _load_demo(app, requests=False)


@pytest.fixture
def demo_queue(app):
    """The demo register as `flask demo` loads it, requests of every kind and state included."""
    return _load_demo(app, requests=True)


def log_in_staff(client, logins, email: str) -> object:
    """Log the demo staff member `email` in with password and authenticator code; return the client."""
    import pyotp

    from portal.demo import DEMO_PASSWORD

    [staff] = [login for login in logins if login.email == email]
    key = staff.note.rsplit(": ", 1)[1].replace("-", "")
    first = AuthActions(client).login(email, DEMO_PASSWORD)
    assert "/login/code" in first.headers["Location"], first.status_code
    response = client.post("/login/code", data={"code": pyotp.TOTP(key).now(),
                                                "csrf_token": csrf_token(client, "/privacy")})
    assert response.status_code == 302, response.status_code
    return client


@pytest.fixture
def reviewer_client(app, client, demo_queue):
    """The demo reviewer, logged in with TOTP, commitment accepted, over the full demo queue."""
    from portal.demo import STAFF_EMAIL
    from portal.models import User
    from portal.models.types import utcnow

    with app.app_context():
        user = _db.session.execute(_db.select(User).where(User.email == STAFF_EMAIL)).scalar_one()
        user.confidentiality_signed_at = utcnow()
        _db.session.commit()
        _db.session.remove()
    return log_in_staff(client, demo_queue, STAFF_EMAIL)


@pytest.fixture
def admin_client(app, client, demo_queue):
    """The demo administrator (also a reviewer), logged in with TOTP, over the full demo queue."""
    from portal.demo import ADMIN_EMAIL

    return log_in_staff(client, demo_queue, ADMIN_EMAIL)


def csrf_token(client, path: str) -> str:
    """Fetch `path` and return the CSRF token from its first form."""
    response = client.get(path)
    match = CSRF_RE.search(response.get_data(as_text=True))
    assert match, f"no CSRF token on {path} ({response.status_code})"
    return match.group(1)


def post_form(client, path: str, **data):
    """Post `data` to the form at `path`, with the CSRF token that page hands out."""
    return client.post(path, data={**data, "csrf_token": csrf_token(client, path)})


def set_password_form(client, path: str, password: str, confirm: str | None = None):
    """Fill a 'new password' form (invitation or reset link)."""
    return post_form(client, path, password=password, password_confirm=confirm or password)


class AuthActions:
    """Log in and out through the real forms, CSRF tokens included."""

    def __init__(self, client):
        self._client = client

    def login(self, email: str, password: str, **kwargs):
        """Post the log-in form."""
        token = csrf_token(self._client, "/login")
        return self._client.post(
            "/login", data={"email": email, "password": password, "csrf_token": token}, **kwargs
        )

    def logout(self):
        """Post the log-out form from a page that shows it."""
        token = csrf_token(self._client, "/privacy")
        return self._client.post("/logout", data={"csrf_token": token})


@pytest.fixture
def auth(client):
    """Log-in helper for `client`."""
    return AuthActions(client)


@pytest.fixture
def mail_down_app(app_config, request):
    """The app with the demo register, sending to an SMTP port where nothing listens."""
    from tests.functional.helpers import closed_port

    app_config.MAIL_BACKEND = "smtp"
    app_config.MAIL_SERVER = "127.0.0.1"
    app_config.MAIL_PORT = closed_port()
    app_config.MAIL_TIMEOUT = 2
    app = request.getfixturevalue("app")
    request.getfixturevalue("demo")
    return app


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    """A real redis-server for shared rate-limit counters, for the whole run."""
    from tests.serving import RedisServer

    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def served_smtp():
    """The SMTP server the served production portal sends to, for the whole run."""
    from tests.serving import SMTPServer

    server = SMTPServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def production_server(tmp_path_factory, redis_server, served_smtp):
    """The portal as production runs it: HTTPS, PORTAL_ENV=production, two gunicorn workers
    sharing rate limits in Redis, real SMTP, one trusted proxy in front (X-Forwarded-For/-Proto)."""
    from tests.serving import portal_server, served_database_url

    workdir = tmp_path_factory.mktemp("production")
    env = {"PORTAL_RATELIMIT_STORAGE_URI": redis_server.url, "PORTAL_MAIL_SERVER": "127.0.0.1",
           "PORTAL_MAIL_PORT": str(served_smtp.port), "PORTAL_PROXY_COUNT": "1",
           "PORTAL_OUTBOX_SEND_IMMEDIATELY": "1"}
    args = ("--workers", "2", "--access-logfile", "-")
    with portal_server(workdir, production=True, extra_env=env, gunicorn_args=args,
                       database_url=served_database_url("portal_served_production", workdir)) as served:
        served.smtp = served_smtp
        yield served


@pytest.fixture(scope="session")
def dev_server(tmp_path_factory):
    """The portal exactly as `make run` serves it: development settings, plain HTTP."""
    from tests.serving import portal_server, served_database_url

    workdir = tmp_path_factory.mktemp("development")
    with portal_server(workdir, production=False, gunicorn_args=("--access-logfile", "-"),
                       database_url=served_database_url("portal_served_dev", workdir)) as served:
        yield served
