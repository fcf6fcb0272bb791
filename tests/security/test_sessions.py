"""Sessions really end: log-out, password change, idle timeout; a forged cookie is just logged out."""

from datetime import timedelta

from sqlalchemy import select, update

from portal.demo import DEMO_PASSWORD
from portal.extensions import db
from portal.models import User, UserSession
from portal.models.types import utcnow
from tests.conftest import AuthActions, csrf_token
from tests.functional.helpers import MAIJA, audit_actions, page, translated

NEW_PASSWORD = "Uusi-pitka-salasana-2026"


def _logged_in_client(app):
    """A second browser, logged in as Maija."""
    other = app.test_client()
    AuthActions(other).login(MAIJA, DEMO_PASSWORD)
    assert other.get("/account").status_code == 200
    return other


def _is_sent_to_login(response) -> bool:
    return response.status_code == 302 and "/login" in response.headers["Location"]


def test_captured_cookie_is_useless_after_logout(app, client, auth, demo):
    auth.login(MAIJA, DEMO_PASSWORD)
    stolen = client.get_cookie("portal_session").value
    auth.logout()
    thief = app.test_client()
    thief.set_cookie("portal_session", stolen)
    assert _is_sent_to_login(thief.get("/account"))


def test_logout_is_audited_and_revokes_the_record(app, client, auth, demo):
    auth.login(MAIJA, DEMO_PASSWORD)
    auth.logout()
    with app.app_context():
        record = db.session.execute(select(UserSession)).scalar_one()
        assert record.revoked_reason == "logout"
        db.session.remove()
    assert _is_sent_to_login(client.get("/account"))


def test_password_change_ends_other_sessions_but_keeps_this_one(app, client, auth, demo):
    other = _logged_in_client(app)
    auth.login(MAIJA, DEMO_PASSWORD)
    token = csrf_token(client, "/account/password")
    response = client.post("/account/password", data={
        "password": DEMO_PASSWORD, "new_password": NEW_PASSWORD,
        "new_password_confirm": NEW_PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    assert client.get("/account").status_code == 200
    assert _is_sent_to_login(other.get("/account"))
    assert AuthActions(app.test_client()).login(MAIJA, DEMO_PASSWORD).status_code == 200
    assert AuthActions(app.test_client()).login(MAIJA, NEW_PASSWORD).status_code == 302


def test_password_change_is_audited(app, client, auth, demo):
    auth.login(MAIJA, DEMO_PASSWORD)
    token = csrf_token(client, "/account/password")
    client.post("/account/password", data={
        "password": DEMO_PASSWORD, "new_password": NEW_PASSWORD,
        "new_password_confirm": NEW_PASSWORD, "csrf_token": token})
    assert audit_actions(app)[-1] == "password_changed"


def test_password_change_with_wrong_current_password_changes_nothing(app, client, auth, demo):
    other = _logged_in_client(app)
    auth.login(MAIJA, DEMO_PASSWORD)
    token = csrf_token(client, "/account/password")
    response = client.post("/account/password", data={
        "password": "Vaara-salasana-123", "new_password": NEW_PASSWORD,
        "new_password_confirm": NEW_PASSWORD, "csrf_token": token})
    assert response.status_code == 200
    assert other.get("/account").status_code == 200
    assert AuthActions(app.test_client()).login(MAIJA, DEMO_PASSWORD).status_code == 302


def _last_seen_minutes_ago(app, minutes: int) -> None:
    """Pretend every session was last used `minutes` ago."""
    with app.app_context():
        db.session.execute(update(UserSession).values(last_seen_at=utcnow() - timedelta(minutes=minutes)))
        db.session.commit()
        db.session.remove()


def test_idle_session_ends(app, client, auth, demo):
    app.config["PORTAL_IDLE_TIMEOUT"] = timedelta(minutes=5)
    auth.login(MAIJA, DEMO_PASSWORD)
    _last_seen_minutes_ago(app, 6)
    assert _is_sent_to_login(client.get("/account"))
    with app.app_context():
        assert db.session.execute(select(UserSession.revoked_reason)).scalar_one() == "idle"
        db.session.remove()


def test_active_session_within_idle_limit_survives(app, client, auth, demo):
    app.config["PORTAL_IDLE_TIMEOUT"] = timedelta(minutes=5)
    auth.login(MAIJA, DEMO_PASSWORD)
    _last_seen_minutes_ago(app, 4)
    assert client.get("/account").status_code == 200


def test_tampered_cookie_is_treated_as_logged_out(app, client, auth, demo):
    auth.login(MAIJA, DEMO_PASSWORD)
    value = client.get_cookie("portal_session").value
    client.set_cookie("portal_session", value[:-4] + ("AAAA" if not value.endswith("AAAA") else "BBBB"))
    assert _is_sent_to_login(client.get("/account"))
    front = client.get("/")
    assert front.status_code == 200
    assert "/login" in page(front)


def test_garbage_cookie_gives_no_server_error(client, demo):
    client.set_cookie("portal_session", "not-a-session-at-all")
    assert client.get("/").status_code == 200
    assert _is_sent_to_login(client.get("/account"))


def test_session_ends_after_its_absolute_lifetime_even_when_active(app, client, auth, demo):
    auth.login(MAIJA, DEMO_PASSWORD)
    lifetime = app.config["PERMANENT_SESSION_LIFETIME"]
    with app.app_context():
        db.session.execute(update(UserSession).values(created_at=utcnow() - lifetime - timedelta(minutes=1)))
        db.session.commit()
        db.session.remove()
    assert _is_sent_to_login(client.get("/account"))


def test_deactivated_account_loses_its_session(app, client, auth, demo):
    auth.login(MAIJA, DEMO_PASSWORD)
    with app.app_context():
        db.session.execute(update(User).where(User.email == MAIJA).values(active=False))
        db.session.commit()
        db.session.remove()
    assert _is_sent_to_login(client.get("/account"))


def test_my_data_lists_where_i_am_logged_in(app, client, auth, demo):
    _logged_in_client(app)
    auth.login(MAIJA, DEMO_PASSWORD)
    shown = page(client.get("/account"))
    assert shown.count(translated(app, "Logged in %(started)s, last active %(seen)s",
                                   started="", seen="").split(",")[0]) == 2
    assert shown.count(f"({translated(app, 'this device')})") == 1
    assert translated(app, "Log out on other devices") in shown


def test_log_out_on_other_devices_keeps_only_this_one(app, client, auth, demo):
    other = _logged_in_client(app)
    auth.login(MAIJA, DEMO_PASSWORD)
    token = csrf_token(client, "/account")
    response = client.post("/account/sessions/end-others", data={"csrf_token": token})
    assert response.status_code == 302
    assert _is_sent_to_login(other.get("/account"))
    shown = page(client.get("/account"))
    assert translated(app, "You have been logged out on all other devices.") in shown
    assert shown.count(translated(app, "Logged in %(started)s, last active %(seen)s",
                                   started="", seen="").split(",")[0]) == 1
    assert translated(app, "Log out on other devices") not in shown
    assert audit_actions(app)[-1] == "other_sessions_ended"


def test_ending_other_sessions_needs_the_csrf_token(app, client, auth, demo):
    other = _logged_in_client(app)
    auth.login(MAIJA, DEMO_PASSWORD)
    assert client.post("/account/sessions/end-others").status_code == 400
    assert other.get("/account").status_code == 200


def _staff_logged_in(app):
    """A client logged in as the demo staff member, with the TOTP code."""
    import pyotp
    from flask_security.proxies import _security

    from portal.demo import STAFF_EMAIL

    staff = app.test_client()
    AuthActions(staff).login(STAFF_EMAIL, DEMO_PASSWORD)
    with app.app_context():
        secret = db.session.execute(select(User.tf_totp_secret).where(User.email == STAFF_EMAIL)).scalar_one()
        key = _security._totp_factory.get_totp_b32_key(secret)
        db.session.remove()
    token = csrf_token(staff, "/privacy")
    response = staff.post("/login/code", data={"code": pyotp.TOTP(key).now(), "csrf_token": token})
    assert response.status_code == 302
    assert 'action="/logout"' in page(staff.get("/privacy"))
    return staff


def test_staff_sessions_end_sooner_when_idle(app, client, auth, demo):
    staff = _staff_logged_in(app)
    auth.login(MAIJA, DEMO_PASSWORD)
    _last_seen_minutes_ago(app, 16)
    assert 'action="/logout"' not in page(staff.get("/privacy"))
    assert client.get("/account").status_code == 200


def test_staff_sessions_have_a_shorter_absolute_lifetime(app, client, auth, demo):
    staff = _staff_logged_in(app)
    auth.login(MAIJA, DEMO_PASSWORD)
    with app.app_context():
        db.session.execute(update(UserSession).values(created_at=utcnow() - timedelta(hours=4, minutes=1)))
        db.session.commit()
        db.session.remove()
    assert 'action="/logout"' not in page(staff.get("/privacy"))
    assert client.get("/account").status_code == 200


def test_a_cookie_planted_before_log_in_never_becomes_logged_in(app, client, auth, demo):
    """Session fixation (ASVS 3.2.1): log-in issues a new session key; the old cookie stays anonymous."""
    client.get("/login")
    planted = client.get_cookie("portal_session").value
    auth.login(MAIJA, DEMO_PASSWORD)
    assert client.get_cookie("portal_session").value != planted
    attacker = app.test_client()
    attacker.set_cookie("portal_session", planted)
    assert _is_sent_to_login(attacker.get("/account"))


def test_passwords_are_stored_as_argon2id(app, demo):
    with app.app_context():
        stored = db.session.execute(select(User.password).where(User.email == MAIJA)).scalar_one()
        db.session.remove()
    assert stored.startswith("$argon2id$")
    assert DEMO_PASSWORD not in stored


def test_deactivated_staff_member_loses_every_session(app, demo):
    from portal.demo import STAFF_EMAIL

    staff = _staff_logged_in(app)
    with app.app_context():
        db.session.execute(update(User).where(User.email == STAFF_EMAIL).values(active=False))
        db.session.commit()
        db.session.remove()
    assert 'action="/logout"' not in page(staff.get("/privacy"))
