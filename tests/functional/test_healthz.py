"""The health check tells a load balancer whether the app and its database work."""

from portal import create_app
from portal.extensions import db
from tests.conftest import make_config


def test_healthz_reports_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.is_json
    assert response.get_json()["status"] == "ok"


def test_healthz_needs_no_login_and_sets_no_session(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert client.get_cookie("portal_session") is None


def test_healthz_reports_an_unreachable_database(tmp_path):
    broken = create_app(make_config(f"sqlite:///{tmp_path / 'missing' / 'no.db'}"))
    response = broken.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["status"] == "error"
    with broken.app_context():
        db.engine.dispose()
