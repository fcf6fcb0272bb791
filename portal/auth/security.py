"""Flask-Security wiring: datastore, server-side sessions, audit of log-ins, outbox mail."""

from __future__ import annotations

import base64
import hashlib

from flask import Flask, current_app, request, session
from flask_babel import gettext as _
from flask_login import current_user, user_logged_in, user_logged_out
from flask_security import (
    LoginForm,
    MailUtil,
    MfRecoveryCodesUtil,
    Security,
    SQLAlchemyUserDatastore,
    Totp,
    TwoFactorRescueForm,
)
from flask_security.signals import (
    password_changed,
    password_reset,
    tf_disabled,
    tf_profile_changed,
    user_failed_authn,
)
from flask_security.utils import set_request_attr
from wtforms import RadioField

from portal.auth import security_mail, throttle
from portal.auth.passwords import PortalPasswordUtil
from portal.errors import abort_with
from portal.extensions import db, limiter
from portal.models import Role, User
from portal.services import sessions
from portal.services.audit import record_audit
from portal.services.controller import get_settings

SESSION_KEY = "portal_sid"


class PortalMailUtil(MailUtil):
    """Flask-Security's email goes through our outbox like every other email, in our words."""

    def send_mail(self, template, subject, recipient, sender, body, html, **kwargs):
        """Queue our email for `template` in the account's language; the library's text is unused.

        It commits with the request's or task's other changes.
        """
        security_mail.queue_library_email(db.session, template, str(recipient), kwargs)


class PortalRecoveryCodesUtil(MfRecoveryCodesUtil):
    """Tell the account holder whenever new recovery codes are made."""

    def create_recovery_codes(self, user):
        """Make the codes (committed by the library's view) and queue the notice with them."""
        codes = super().create_recovery_codes(user)
        security_mail.queue_account_notice(db.session, user, security_mail.RECOVERY_CODES)
        return codes


class PortalRescueForm(TwoFactorRescueForm):
    """The lost-authenticator form without "contact administrator" (mail to a fixed address).

    Our code page links to recovery codes and names the privacy address instead; the only
    choice left is the recovery code, added by the library when the user has codes.
    """

    help_setup = RadioField(choices=[])


class PortalTotp(Totp):
    """Name the company in authenticator apps; remember the last accepted time step, so a
    one-time code works only once."""

    def issuer(self) -> str:
        """PORTAL_TOTP_ISSUER if set, else the company's name, else the configured default."""
        settings = get_settings(db.session)
        return current_app.config["PORTAL_TOTP_ISSUER"] or (settings.name if settings else self._totp.issuer)

    def get_totp_uri(self, username: str, totp_secret: str) -> str:
        """The provisioning address for the QR code, with the company as its issuer."""
        return self._totp.from_source(totp_secret).to_uri(username, issuer=self.issuer())

    def fetch_setup_values(self, totp: str, user) -> dict[str, str]:
        """The library's set-up values with our issuer, which the page names."""
        return {**super().fetch_setup_values(totp, user), "issuer": self.issuer()}

    def get_last_counter(self, user):
        """The time step of the user's last accepted code."""
        return user.tf_totp_last_counter

    def set_last_counter(self, user, tmatch):
        """Store the accepted code's time step."""
        user.tf_totp_last_counter = tmatch.counter
        db.session.commit()


class PortalLoginForm(LoginForm):
    """The log-in form, throttled per account and auditing attempts on unknown addresses."""

    def validate(self, **kwargs) -> bool:
        """Validate unless the account is over its limit; count and audit failures."""
        attempted = bool(self.email.data and self.password.data)
        account = throttle.account_key(self.email.data or "")
        setting, key = throttle.login_key(account)
        if attempted and throttle.exceeded(setting, key):
            abort_with(429, _("Too many failed log-ins to this account. Log in on a device you "
                              "have used before, or reset your password by email."))
        ok = super().validate(**kwargs)
        if not ok and attempted:
            throttle.hit(setting, key)
            if getattr(self, "user", None) is None:
                record_audit(db.session, "login_failed", actor_kind="anonymous",
                             details={"reason": "unknown_account"})
                db.session.commit()
        return ok


def _load_user(user_id):
    """The logged-in account, which counts only with a live session record.

    One query finds both (this runs on every request); it does what Flask-Security's own
    loader does besides: only active accounts, and the request marked as authenticated by
    session with the session's time of last authentication.
    """
    found = sessions.account_with_session(db.session, user_id, session.get(SESSION_KEY))
    if found is None:
        return None
    user, record = found
    cfg = current_app.config
    staff = user.is_staff
    alive = sessions.keep_alive(
        db.session, record,
        idle=cfg["PORTAL_STAFF_IDLE_TIMEOUT" if staff else "PORTAL_IDLE_TIMEOUT"],
        absolute=cfg["PORTAL_STAFF_SESSION_LIFETIME" if staff else "PERMANENT_SESSION_LIFETIME"],
        touch_every=cfg["PORTAL_SESSION_TOUCH_INTERVAL"],
    )
    if not alive:
        return None
    set_request_attr("fs_authn_via", "session")
    set_request_attr("fs_paa", session.get("fs_paa", 0))
    return user


def _on_login(app, user, **extra):
    throttle.remember_device(throttle.account_key(user.email))
    key = sessions.start_session(db.session, user.id)
    session[SESSION_KEY] = key
    record_audit(db.session, "login", actor=user, customer_id=user.customer_id)
    db.session.commit()


def _on_logout(app, user, **extra):
    sessions.revoke_session(db.session, session.pop(SESSION_KEY, None), "logout")
    if user is not None and getattr(user, "id", None):
        record_audit(db.session, "logout", actor=user, customer_id=user.customer_id)
    db.session.commit()


def _on_failed(app, user, auth_type=None, tfa=False, **extra):
    record_audit(db.session, "login_failed", actor=user, customer_id=user.customer_id,
                 details={"reason": "second_factor" if tfa else "password"})
    db.session.commit()


def _on_password_changed(app, user, **extra):
    sessions.revoke_user_sessions(db.session, user.id, "password_changed",
                                  keep_key=session.get(SESSION_KEY))
    record_audit(db.session, "password_changed", actor=user, customer_id=user.customer_id)
    db.session.commit()


def _on_password_reset(app, user, **extra):
    # Whoever was guessing the old password has nothing left to guess.
    throttle.clear(throttle.ACCOUNT, f"account:{throttle.account_key(user.email)}")
    sessions.revoke_user_sessions(db.session, user.id, "password_reset")
    record_audit(db.session, "password_reset", actor=user, customer_id=user.customer_id)
    db.session.commit()


def _on_tf_changed(app, user, method=None, **extra):
    record_audit(db.session, "two_step_changed", actor=user, customer_id=user.customer_id,
                 details={"method": method})
    security_mail.queue_account_notice(db.session, user, security_mail.TWO_STEP_ON)
    db.session.commit()


def _on_tf_disabled(app, user, **extra):
    record_audit(db.session, "two_step_changed", actor=user, customer_id=user.customer_id,
                 details={"method": "off"})
    security_mail.queue_account_notice(db.session, user, security_mail.TWO_STEP_OFF)
    db.session.commit()


def _count_failures_only(response) -> bool:
    """A successful log-in redirects; anything else counts towards the limit."""
    return response.status_code != 302


def _code_key() -> str:
    """The account whose second-step code is being entered (no address in the store)."""
    pending = session.get("tf_user_id") or request.remote_addr or ""
    return "code:" + hashlib.sha256(str(pending).encode()).hexdigest()[:32]


def _password_check_key() -> str:
    """The logged-in user whose current password is being checked."""
    return f"password-check:{getattr(current_user, 'id', None) or request.remote_addr}"


def _limit_failures(app: Flask, endpoint: str, setting: str, key_func=None) -> None:
    """Throttle failed POSTs (anything but a redirect) to one of Flask-Security's views."""
    view = app.view_functions.get(endpoint)
    if view is not None:
        app.view_functions[endpoint] = limiter.limit(
            app.config[setting], methods=["POST"], key_func=key_func, deduct_when=_count_failures_only,
        )(view)


def register_security(app: Flask) -> None:
    """Initialise Flask-Security and hook our session, audit and throttling rules in."""
    datastore = SQLAlchemyUserDatastore(db, User, Role)
    app.config.setdefault("SECURITY_API_ENABLED_METHODS", ["session"])
    app.config["SECURITY_I18N_DIRNAME"] = ["builtin", app.config["BABEL_TRANSLATION_DIRECTORIES"]]
    if not app.config.get("SECURITY_MULTI_FACTOR_RECOVERY_CODES_KEYS"):
        # Recovery codes are stored encrypted under a key derived from the app's secret.
        digest = hashlib.sha256(b"portal.recovery-codes:" + app.config["SECRET_KEY"].encode()).digest()
        app.config["SECURITY_MULTI_FACTOR_RECOVERY_CODES_KEYS"] = [base64.urlsafe_b64encode(digest)]
    security = Security(login_form=PortalLoginForm, mail_util_cls=PortalMailUtil, totp_cls=PortalTotp,
                        password_util_cls=PortalPasswordUtil, two_factor_rescue_form=PortalRescueForm,
                        mf_recovery_codes_util_cls=PortalRecoveryCodesUtil)
    security.init_app(app, datastore, register_blueprint=True)
    app.login_manager.user_loader(_load_user)
    user_logged_in.connect(_on_login, app)
    user_logged_out.connect(_on_logout, app)
    user_failed_authn.connect(_on_failed, app)
    password_changed.connect(_on_password_changed, app)
    password_reset.connect(_on_password_reset, app)
    tf_profile_changed.connect(_on_tf_changed, app)
    tf_disabled.connect(_on_tf_disabled, app)
    from portal.auth.routes import forgot_password

    app.view_functions["security.forgot_password"] = forgot_password
    for endpoint in ("security.login", "security.two_factor_token_validation", "security.forgot_password"):
        _limit_failures(app, endpoint, "PORTAL_LOGIN_LIMIT")
    # Per account as well: guessing one account's code or current password from many
    # addresses is slowed too. (Log-in itself is counted per account in PortalLoginForm.)
    _limit_failures(app, "security.two_factor_token_validation", "PORTAL_CODE_LIMIT", _code_key)
    _limit_failures(app, "security.mf_recovery", "PORTAL_CODE_LIMIT", _code_key)
    for endpoint in ("security.change_password", "security.verify"):
        _limit_failures(app, endpoint, "PORTAL_PASSWORD_CHECK_LIMIT", _password_check_key)
    throttle.register(app)
