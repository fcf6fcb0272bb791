"""Failed log-ins from one address are throttled with a translated 429 page; successes don't count."""

from portal.demo import DEMO_PASSWORD
from tests.conftest import AuthActions, csrf_token
from tests.functional.helpers import MAIJA, assert_finnish, page

WRONG = "Vaara-salasana-123"


def _fail(auth, times: int) -> list[int]:
    return [auth.login(MAIJA, WRONG).status_code for _ in range(times)]


def test_sixth_failure_in_a_minute_gets_429(app, client, auth, demo):
    assert _fail(auth, 5) == [200] * 5
    response = auth.login(MAIJA, WRONG)
    assert response.status_code == 429
    shown = page(response)
    assert_finnish(app, shown, "Too many attempts")
    assert "Traceback" not in shown


def test_429_page_in_english(app, client, auth, demo):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    _fail(auth, 5)
    shown = page(auth.login(MAIJA, WRONG))
    assert "Too many attempts" in shown
    assert "Wait a minute and try again." in shown


def test_throttle_blocks_even_the_right_password(client, auth, demo):
    _fail(auth, 5)
    assert auth.login(MAIJA, DEMO_PASSWORD).status_code == 429
    assert client.get("/account").status_code == 302


def test_successful_logins_do_not_count(client, auth, demo):
    for _ in range(7):
        assert auth.login(MAIJA, DEMO_PASSWORD).status_code == 302
        auth.logout()
    assert _fail(auth, 5) == [200] * 5


def test_other_addresses_are_not_blocked(app, client, auth, demo):
    _fail(auth, 6)
    elsewhere = app.test_client()
    elsewhere.environ_base["REMOTE_ADDR"] = "198.51.100.7"
    assert AuthActions(elsewhere).login(MAIJA, DEMO_PASSWORD).status_code == 302


def test_get_access_requests_are_throttled(app, client, demo):
    statuses = []
    for _ in range(6):
        token = csrf_token(client, "/get-access")
        statuses.append(client.post("/get-access", data={"email": "x@esimerkki.example",
                                                         "csrf_token": token}).status_code)
    assert statuses == [200] * 5 + [429]


def test_guessing_one_account_from_many_addresses_is_throttled(app, client, auth, demo):
    for n in range(10):
        attacker = app.test_client()
        attacker.environ_base["REMOTE_ADDR"] = f"198.51.100.{n + 10}"
        assert AuthActions(attacker).login(MAIJA, WRONG).status_code == 200
    yet_another = app.test_client()
    yet_another.environ_base["REMOTE_ADDR"] = "203.0.113.5"
    assert AuthActions(yet_another).login(MAIJA, DEMO_PASSWORD).status_code == 429
    assert auth.login("matti.virtanen@testiyhtio.example", DEMO_PASSWORD).status_code == 302
