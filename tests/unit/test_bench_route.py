"""The benchmark's bare route exists only when PORTAL_BENCH=1 is set (bench/pages.py sets it)."""

from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import event

from portal import create_app
from portal.extensions import db


@contextmanager
def _app(app_config, monkeypatch, bench: str | None):
    """A new app on the migrated test database, built with PORTAL_BENCH=`bench` (None: unset)."""
    if bench is None:
        monkeypatch.delenv("PORTAL_BENCH", raising=False)
    else:
        monkeypatch.setenv("PORTAL_BENCH", bench)
    app = create_app(app_config)
    try:
        yield app
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def test_no_bench_route_without_the_variable(app_config, monkeypatch):
    for value in (None, "0", ""):
        with _app(app_config, monkeypatch, value) as app:
            assert "/_bench/ping" not in {rule.rule for rule in app.url_map.iter_rules()}
            assert app.test_client().get("/_bench/ping").status_code == 404


def test_bench_route_answers_pong_without_touching_the_database(app_config, monkeypatch):
    with _app(app_config, monkeypatch, "1") as app:
        statements = []
        with app.app_context():
            event.listen(db.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
        response = app.test_client().get("/_bench/ping")
        assert response.status_code == 200
        assert response.get_data(as_text=True) == "pong"
        assert response.mimetype == "text/plain"
        assert "default-src 'self'" in response.headers["Content-Security-Policy"]  # headers kept
        assert "Set-Cookie" not in response.headers
        assert statements == []
