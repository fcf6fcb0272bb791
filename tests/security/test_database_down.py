"""A database that is down gives a translated 503 with Retry-After; the site recovers by itself."""

from __future__ import annotations

import logging
import os
import shutil
import sqlite3
import subprocess

import psycopg
import pytest
from sqlalchemy import exc as sa_exc
from sqlalchemy import text

from portal.demo import DEMO_PASSWORD
from portal.extensions import db
from tests.conftest import AuthActions, make_config
from tests.functional.helpers import MAIJA, assert_finnish, page

ON_POSTGRES = bool(os.environ.get("TEST_DATABASE_URL"))
UNAVAILABLE = "The service is temporarily unavailable"


def _assert_503(app, response, lang: str) -> None:
    """Our 503 page in `lang`, with Retry-After, kept out of caches, no internals."""
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    assert response.headers["Cache-Control"] == "no-store"
    shown = page(response)
    assert f'<html lang="{lang}">' in shown
    if lang == "fi":
        assert_finnish(app, shown, UNAVAILABLE)
    else:
        assert UNAVAILABLE in shown
        assert "Please try again in a moment." in shown
    for leak in ("Traceback", "OperationalError", "psycopg", "sqlite", "SELECT"):
        assert leak not in shown


def _browsers(app) -> dict[str, object]:
    """A Finnish and an English visitor, and Maija logged in with an English browser."""
    finnish, english, maija = app.test_client(), app.test_client(), app.test_client()
    finnish.environ_base["HTTP_ACCEPT_LANGUAGE"] = "fi"
    english.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    maija.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    assert AuthActions(maija).login(MAIJA, DEMO_PASSWORD).status_code == 302
    assert maija.get("/account").status_code == 200
    return {"fi": finnish, "en": english, "maija": maija}


def _assert_down(app, browsers, caplog) -> None:
    """Every kind of page answers 503 while the database is down, and says so once in the log."""
    caplog.clear()
    for path in ("/", "/privacy"):
        _assert_503(app, browsers["fi"].get(path), "fi")
        _assert_503(app, browsers["en"].get(path), "en")
    _assert_503(app, browsers["maija"].get("/account"), "en")
    browsers["maija"].environ_base["HTTP_ACCEPT_LANGUAGE"] = "fi"
    _assert_503(app, browsers["maija"].get("/account"), "fi")
    assert browsers["fi"].get("/healthz").status_code == 503
    ours = [r for r in caplog.records if r.name == "portal.errors"]
    assert len(ours) == 6
    assert all(r.levelno == logging.WARNING and "database unavailable" in r.getMessage()
               for r in ours)
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]


def _assert_up(browsers) -> None:
    """The same app answers normally again, and Maija is still logged in."""
    for path in ("/", "/privacy", "/healthz"):
        assert browsers["fi"].get(path).status_code == 200, path
    assert browsers["maija"].get("/account").status_code == 200


# --- PostgreSQL: the real server is stopped and started --------------------------------------

def _pg_ctl(*args: str) -> None:
    """Run pg_ctl on the server scripts/with-postgres.sh started, as the account owning it."""
    user = os.environ.get("TEST_PG_USER")
    as_owner = ["runuser", "-u", user, "--"] if user else []
    subprocess.run([*as_owner, os.environ["TEST_PG_CTL"], "-D", os.environ["TEST_PG_DATA"], *args],
                   check=True, capture_output=True, timeout=120)


def _start_postgres() -> None:
    _pg_ctl("-l", os.environ["TEST_PG_LOG"], "-w", "-o", os.environ["TEST_PG_START_OPTS"], "start")


@pytest.fixture
def postgres_server(app):
    """A handle to stop the test server; it is always running again after the test."""
    if not ON_POSTGRES:
        pytest.skip("needs a real PostgreSQL server to stop: run through scripts/with-postgres.sh")
    if not os.environ.get("TEST_PG_CTL"):
        pytest.skip("TEST_PG_CTL unset: run through scripts/with-postgres.sh, which exports it")
    state = {"stopped": False}

    def stop() -> None:
        _pg_ctl("-m", "fast", "-w", "stop")
        state["stopped"] = True

    def start() -> None:
        _start_postgres()
        state["stopped"] = False

    yield stop, start
    if state["stopped"]:
        _start_postgres()


def test_stopped_postgres_gives_503_then_recovers_without_restart(app, demo, postgres_server,
                                                                   caplog):
    stop, start = postgres_server
    browsers = _browsers(app)
    stop()
    _assert_down(app, browsers, caplog)
    start()
    _assert_up(browsers)


# --- SQLite: the database file's directory disappears and comes back -------------------------

@pytest.fixture
def sqlite_dir(tmp_path):
    """Where this module's SQLite tests keep their database: a directory that can be moved away."""
    return tmp_path / "data"


@pytest.fixture
def app_config(_schema, sqlite_dir):
    """On SQLite, the app runs on a private copy of the migrated database, in `sqlite_dir`."""
    if ON_POSTGRES:
        return make_config(_schema)
    sqlite_dir.mkdir()
    shutil.copy(_schema.removeprefix("sqlite:///"), sqlite_dir / "portal.db")
    return make_config(f"sqlite:///{sqlite_dir / 'portal.db'}")


@pytest.mark.skipif(ON_POSTGRES, reason="SQLite only; the PostgreSQL test stops the real server")
def test_unreachable_sqlite_gives_503_then_recovers_without_restart(app, demo, sqlite_dir,
                                                                     caplog):
    browsers = _browsers(app)
    hidden = sqlite_dir.with_name("hidden")
    sqlite_dir.rename(hidden)
    try:
        with app.app_context():
            db.engine.dispose()  # open connections keep the moved file; new ones cannot find it
        _assert_down(app, browsers, caplog)
    finally:
        hidden.rename(sqlite_dir)
    _assert_up(browsers)


# --- Which database errors count as "unavailable" --------------------------------------------

def _wrapped(orig: Exception) -> sa_exc.DBAPIError:
    return sa_exc.DBAPIError.instance("SELECT secret FROM customer", {}, orig, Exception)


UNAVAILABLE_ERRORS = {
    "postgres refuses connections": lambda: _wrapped(psycopg.OperationalError("connection failed")),
    "postgres shutting down": lambda: _wrapped(psycopg.errors.AdminShutdown("terminating")),
    "postgres too many clients": lambda: _wrapped(psycopg.errors.TooManyConnections("too many")),
    "sqlite locked": lambda: _wrapped(sqlite3.OperationalError("database is locked")),
    "sqlite cannot open": lambda: _wrapped(sqlite3.OperationalError("unable to open database file")),
    "pool exhausted": lambda: sa_exc.TimeoutError("QueuePool limit reached"),
}

BUG_ERRORS = {
    "postgres deadlock": lambda: _wrapped(psycopg.errors.DeadlockDetected("deadlock detected")),
    "postgres statement timeout": lambda: _wrapped(psycopg.errors.QueryCanceled("timeout")),
    "postgres missing table": lambda: _wrapped(psycopg.errors.UndefinedTable("no table")),
    "sqlite missing table": lambda: _wrapped(sqlite3.OperationalError("no such table: x")),
    "constraint": lambda: _wrapped(sqlite3.IntegrityError("UNIQUE constraint failed")),
}


@pytest.fixture
def failing_app(app):
    """The app with a view that raises whatever error the test puts in `app.next_error`."""

    def fail():
        raise app.next_error()

    app.add_url_rule("/fail", "fail", fail)
    return app


@pytest.mark.parametrize("make_error", UNAVAILABLE_ERRORS.values(), ids=UNAVAILABLE_ERRORS.keys())
def test_errors_meaning_the_database_is_unreachable_give_503(failing_app, make_error):
    failing_app.next_error = make_error
    client = failing_app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    _assert_503(failing_app, client.get("/fail"), "en")


@pytest.mark.parametrize("make_error", BUG_ERRORS.values(), ids=BUG_ERRORS.keys())
def test_other_database_errors_stay_500(failing_app, make_error, caplog):
    failing_app.next_error = make_error
    response = failing_app.test_client().get("/fail")
    assert response.status_code == 500
    assert "Retry-After" not in response.headers
    assert any(r.exc_info for r in caplog.records)


def test_a_query_on_a_missing_table_is_a_500_not_a_503(app):
    def broken_query():
        db.session.execute(text("SELECT * FROM no_such_table"))

    app.add_url_rule("/broken", "broken", broken_query)
    assert app.test_client().get("/broken").status_code == 500
