"""Page hooks grouped so assets skip them still run as Flask runs them on every other answer."""

from __future__ import annotations

from flask import Flask, Response

from portal.extensions_setup import ASSET_ENDPOINTS, skip_page_hooks_for_assets


def _app(stop_at: str | None = None) -> tuple[Flask, list[str]]:
    """A Flask app with three app-wide hooks of each kind, recording the order they run in."""
    app, ran = Flask(__name__), []

    def before(name):
        def hook():
            ran.append(name)
            return Response(f"answered by {name}") if name == stop_at else None
        return hook

    def after(name):
        def hook(response):
            ran.append(name)
            return response
        return hook

    def teardown(name):
        def hook(error):
            ran.append(name)
        return hook

    for n in (1, 2, 3):
        app.before_request(before(f"before{n}"))
        app.after_request(after(f"after{n}"))
        app.teardown_request(teardown(f"teardown{n}"))
    app.add_url_rule("/page", "page", lambda: "page")
    app.add_url_rule("/asset", sorted(ASSET_ENDPOINTS)[0], lambda: "asset")
    return app, ran


def test_a_page_runs_every_hook_in_flasks_order():
    plain, expected = _app()
    plain.test_client().get("/page")
    grouped, ran = _app()
    skip_page_hooks_for_assets(grouped)
    assert len(grouped.before_request_funcs[None]) == 1  # one group: Flask dispatches once
    grouped.test_client().get("/page")
    assert ran == expected
    assert ran == ["before1", "before2", "before3", "after3", "after2", "after1",
                   "teardown3", "teardown2", "teardown1"]


def test_a_before_hook_that_answers_stops_the_rest_as_in_flask():
    grouped, ran = _app(stop_at="before2")
    skip_page_hooks_for_assets(grouped)
    response = grouped.test_client().get("/page")
    assert response.get_data(as_text=True) == "answered by before2"
    assert ran[:2] == ["before1", "before2"] and "before3" not in ran
    assert ran[2:] == ["after3", "after2", "after1", "teardown3", "teardown2", "teardown1"]


def test_an_asset_skips_every_grouped_hook():
    grouped, ran = _app()
    skip_page_hooks_for_assets(grouped)
    response = grouped.test_client().get("/asset")
    assert response.get_data(as_text=True) == "asset"
    assert ran == []
