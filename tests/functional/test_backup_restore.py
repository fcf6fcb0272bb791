"""The restore drill of docs/DEPLOY.md, done for real: back up a register with the tools the
guide names, restore it into a fresh database, and the restored portal passes the smoke test
(schema at the newest migration, audit chain intact against the anchor taken before the
backup, health check, a customer logs in and sees their data)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from portal import create_app
from portal.demo import DEMO_PASSWORD
from portal.extensions import db
from tests.conftest import AuthActions, make_config
from tests.functional.helpers import MAIJA, page
from tests.serving import served_database_url

POSTGRES = os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql")
MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def _anchor_before_backup(app, anchor_file: Path) -> None:
    """`flask audit anchor`, as the daily timer does before the nightly backup."""
    result = app.test_cli_runner().invoke(args=["audit", "anchor"])
    assert result.exit_code == 0, result.output
    assert anchor_file.read_text().strip()


def _smoke_test(restored_uri: str, anchor_file: Path) -> None:
    """What the guide's drill checks on the restored database."""
    from alembic.script import ScriptDirectory

    app = create_app(make_config(restored_uri, PORTAL_AUDIT_ANCHOR_FILE=str(anchor_file)))
    with app.app_context():
        head = ScriptDirectory.from_config(_alembic(MIGRATIONS)).get_current_head()
        current = db.session.execute(db.text("SELECT version_num FROM alembic_version")).scalar_one()
        assert current == head
        db.session.remove()
    verify = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert verify.exit_code == 0, verify.output
    assert "Audit chain intact" in verify.output and "1 anchor(s)" in verify.output
    client = app.test_client()
    assert client.get("/healthz").get_json()["database"] == "ok"
    assert AuthActions(client).login(MAIJA, DEMO_PASSWORD).status_code == 302
    assert "Meikäläinen" in page(client.get("/account"))
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _alembic(directory: Path):
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(directory))
    return config


@pytest.mark.skipif(not POSTGRES, reason="pg_dump and pg_restore need the PostgreSQL pass")
def test_pg_dump_restored_into_a_fresh_database_passes_the_smoke_test(app, demo_queue, tmp_path):
    anchor_file = tmp_path / "anchors.jsonl"
    app.config["PORTAL_AUDIT_ANCHOR_FILE"] = str(anchor_file)
    _anchor_before_backup(app, anchor_file)
    bindir = Path(os.environ["TEST_PG_CTL"]).parent
    source = make_url(app.config["SQLALCHEMY_DATABASE_URI"]).set(drivername="postgresql")
    dump = tmp_path / "portal.dump"
    subprocess.run([bindir / "pg_dump", "--format=custom", "--file", dump,
                    "--dbname", source.render_as_string(hide_password=False)], check=True)
    restored = served_database_url("portal_restore_drill", tmp_path)
    subprocess.run([bindir / "pg_restore", "--no-owner", "--exit-on-error", "--dbname", restored, dump],
                   check=True)
    _smoke_test(make_url(restored).set(drivername="postgresql+psycopg").render_as_string(
        hide_password=False), anchor_file)


def test_sqlite_online_backup_restored_passes_the_smoke_test(tmp_path):
    """SQLite's online backup (what `sqlite3 portal.db ".backup ..."` runs), on a file register."""
    from flask_migrate import upgrade

    from portal.demo import load_demo

    live = tmp_path / "portal.db"
    anchor_file = tmp_path / "anchors.jsonl"
    source = create_app(make_config(f"sqlite:///{live}", PORTAL_AUDIT_ANCHOR_FILE=str(anchor_file)))
    with source.app_context():
        upgrade(directory=str(MIGRATIONS))
        load_demo(db.session, requests=True)
        db.session.remove()
    _anchor_before_backup(source, anchor_file)
    backup = tmp_path / "backup.db"
    with sqlite3.connect(live) as conn, sqlite3.connect(backup) as target:
        conn.backup(target)
    with source.app_context():
        db.engine.dispose()
    live.unlink()
    restored = tmp_path / "restored.db"
    backup.rename(restored)
    _smoke_test(f"sqlite:///{restored}", anchor_file)
