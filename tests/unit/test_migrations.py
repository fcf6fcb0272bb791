"""Every migration runs from an empty database to the head, back down to nothing and up again.

Runs pytest-alembic's own checks through its public API (its pytest plugin is off: its
collector fails on this pytest), on a throwaway database of the same kind as the session's.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import pytest_alembic
from sqlalchemy import create_engine, inspect
from sqlalchemy.engine import make_url

from portal import create_app
from portal.extensions import db as _db
from tests.conftest import make_config

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"
THROWAWAY_DB = "portal_migrations"


@pytest.fixture
def empty_database_url(database_uri, tmp_path):
    """A brand-new, empty database of the session's kind (its own PostgreSQL database or file)."""
    if not database_uri.startswith("postgresql"):
        yield f"sqlite:///{tmp_path / 'migrations.db'}"
        return
    import psycopg
    from psycopg import sql

    admin = make_url(database_uri).set(drivername="postgresql")
    admin_dsn = admin.render_as_string(hide_password=False)
    name = sql.Identifier(THROWAWAY_DB)
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(name))
    yield make_url(database_uri).set(database=THROWAWAY_DB).render_as_string(hide_password=False)
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))


@pytest.fixture
def alembic_runner(empty_database_url):
    """pytest-alembic's migration context; migrations/env.py runs inside the Flask app."""
    app = create_app(make_config(empty_database_url))
    config = pytest_alembic.Config(config_options={
        "file": str(MIGRATIONS / "alembic.ini"), "script_location": str(MIGRATIONS)})
    with app.app_context():
        with pytest_alembic.runner(config=config, engine=_db.engine) as runner:
            yield runner
        _db.session.remove()
        _db.engine.dispose()


def _tables(runner) -> set[str]:
    """The tables now in the throwaway database."""
    return set(inspect(runner.connection_executor.connection).get_table_names())


def _tables_at(url: str) -> set[str]:
    """The tables in the database at `url`."""
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


@pytest.fixture
def checks():
    """pytest-alembic's built-in checks (the module, so pytest does not collect them itself)."""
    from pytest_alembic.tests import default

    return default


def test_history_has_a_single_head(checks, alembic_runner):
    checks.test_single_head_revision(alembic_runner)


def test_upgrade_from_empty_to_head(checks, alembic_runner):
    assert alembic_runner.current == "base"
    checks.test_upgrade(alembic_runner)
    assert alembic_runner.current == alembic_runner.heads[0]
    assert _tables(alembic_runner) >= set(_db.metadata.tables)


def test_each_revision_goes_up_down_and_up_again(checks, alembic_runner):
    checks.test_up_down_consistency(alembic_runner)


def test_downgrade_to_base_removes_every_table_and_upgrade_rebuilds_the_models(
        checks, alembic_runner, _schema):
    alembic_runner.migrate_up_to("heads")
    alembic_runner.migrate_down_to("base")
    assert alembic_runner.current == "base"
    assert _tables(alembic_runner) <= {"alembic_version"}
    assert _tables_at(_schema) >= set(_db.metadata.tables), "the session's database was touched"
    checks.test_model_definitions_match_ddl(alembic_runner)  # upgrades to head again, then compares
    assert alembic_runner.current == alembic_runner.heads[0]
