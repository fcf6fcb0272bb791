"""Throttling guesses per account without letting an attacker lock the owner out.

Failed log-ins are counted per account (keyed on the address as accounts are looked up,
so other spellings of it count too). Once an account is over its limit, only a browser
that has logged in to it before (a signed "known device" cookie, OWASP's device-cookie
pattern) may keep trying, on its own budget; everyone else waits or resets the password by
email, which clears the count. Counters live in the Flask-Limiter storage: Redis when
several processes or hosts serve the portal.
"""

from __future__ import annotations

import hashlib
import secrets

from flask import Flask, current_app, g, request
from itsdangerous import BadSignature, URLSafeSerializer
from limits import parse_many

from portal.extensions import limiter

ACCOUNT = "PORTAL_ACCOUNT_LOGIN_LIMIT"
DEVICE = "PORTAL_DEVICE_LOGIN_LIMIT"
_SALT = "portal-known-device"
_MAX_ACCOUNTS_PER_DEVICE = 5
_DEVICE_DAYS = 365


def account_key(address: str) -> str:
    """A hash of the address in the form accounts are looked up by: no address in the store."""
    from portal.auth.deferred import normalized_email

    return hashlib.sha256(normalized_email(address or "").casefold().encode()).hexdigest()[:32]


def _items(setting: str):
    return parse_many(current_app.config[setting])


def exceeded(setting: str, key: str) -> bool:
    """True if `key` has used up any limit of `setting`."""
    if not limiter.enabled:
        return False
    return not all(limiter.limiter.test(item, "portal", key) for item in _items(setting))


def hit(setting: str, key: str) -> None:
    """Count one failure for `key`."""
    if limiter.enabled:
        for item in _items(setting):
            limiter.limiter.hit(item, "portal", key)


def clear(setting: str, key: str) -> None:
    """Forget the failures counted for `key`."""
    if limiter.enabled:
        for item in _items(setting):
            limiter.limiter.clear(item, "portal", key)


def _cookie_name() -> str:
    return "__Host-portal_device" if current_app.config["SESSION_COOKIE_SECURE"] else "portal_device"


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def _known_devices() -> list[list[str]]:
    raw = request.cookies.get(_cookie_name())
    if not raw:
        return []
    try:
        pairs = _serializer().loads(raw)
    except BadSignature:
        return []
    return [p for p in pairs if isinstance(p, list) and len(p) == 2] if isinstance(pairs, list) else []


def known_device(account: str) -> str | None:
    """The id of this browser if it has logged in to `account` before."""
    return next((device for acct, device in _known_devices() if acct == account), None)


def login_key(account: str) -> tuple[str, str]:
    """(limit setting, counter key) for a log-in attempt on `account` from this browser."""
    device = known_device(account)
    return (DEVICE, f"device:{device}") if device else (ACCOUNT, f"account:{account}")


def remember_device(account: str) -> None:
    """Mark this browser as known for `account` when the response goes out."""
    g.portal_known_account = account


def _set_device_cookie(response):
    account = g.pop("portal_known_account", None)
    if account is None:
        return response
    pairs = [p for p in _known_devices() if p[0] != account]
    pairs = [[account, known_device(account) or secrets.token_urlsafe(12)], *pairs]
    response.set_cookie(_cookie_name(), _serializer().dumps(pairs[:_MAX_ACCOUNTS_PER_DEVICE]),
                        max_age=_DEVICE_DAYS * 86400, path="/", httponly=True, samesite="Lax",
                        secure=current_app.config["SESSION_COOKIE_SECURE"])
    return response


def register(app: Flask) -> None:
    """Send the known-device cookie after a successful log-in."""
    app.after_request(_set_device_cookie)
