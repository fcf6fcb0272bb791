"""Error pages are translated, keep the layout, and never show a traceback."""

import logging

import pytest

from tests.functional.helpers import assert_finnish, page


class _Boom(RuntimeError):
    """A bug in a view."""


@pytest.fixture
def boom_app(app):
    """The app with one view that fails the way a bug would."""

    def explode():
        raise _Boom("secret internal detail: SELECT * FROM customer")

    app.add_url_rule("/boom", "boom", explode)
    return app


def test_404_in_finnish(app, client):
    response = client.get("/ei-ole-olemassa")
    assert response.status_code == 404
    shown = page(response)
    assert '<html lang="fi">' in shown
    assert_finnish(app, shown, "Page not found")
    assert "Traceback" not in shown


def test_404_in_english(client):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    shown = page(client.get("/no-such-page"))
    assert "Page not found" in shown
    assert "The address may be mistyped, or the page has moved." in shown


def test_404_does_not_show_werkzeugs_english_text(client):
    shown = page(client.get("/ei-ole-olemassa"))
    assert "The requested URL was not found on the server" not in shown


def test_500_shows_a_translated_page_without_internals(boom_app, caplog):
    client = boom_app.test_client()
    with caplog.at_level(logging.ERROR):
        response = client.get("/boom")
    assert response.status_code == 500
    shown = page(response)
    assert_finnish(boom_app, shown, "Something went wrong")
    for leak in ("Traceback", "_Boom", "secret internal detail", "SELECT"):
        assert leak not in shown


def test_500_in_english(boom_app):
    client = boom_app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    shown = page(client.get("/boom"))
    assert "Something went wrong" in shown
    assert "Error code: 500" in shown


def test_500_is_logged_for_the_operator(boom_app, caplog):
    with caplog.at_level(logging.ERROR):
        boom_app.test_client().get("/boom")
    assert any(record.exc_info and record.exc_info[0] is _Boom for record in caplog.records)


def test_site_keeps_working_after_a_500(boom_app):
    client = boom_app.test_client()
    client.get("/boom")
    assert client.get("/privacy").status_code == 200
