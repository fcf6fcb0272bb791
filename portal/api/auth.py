"""Who may call the API: a key of one of the company's systems, in `Authorization: Bearer <key>`,
with the scope the operation needs. Checked once, before every view: deny by default."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from flask import current_app, g, request
from flask_limiter.util import get_remote_address

from portal.api.errors import json_error
from portal.extensions import db
from portal.models import ApiKey
from portal.services import api_keys

PUBLIC = "public"


def needs(scope: str) -> Callable:
    """Mark a view as needing `scope` (or PUBLIC: no key at all)."""
    def mark(view):
        view.api_scope = scope
        return view
    return mark


def bearer_token() -> str | None:
    """The key in the Authorization header, if the header is a Bearer one."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def rate_key() -> str:
    """Rate limits count per key presented (a hash of it), else per client address."""
    token = bearer_token()
    if token:
        return "api-key:" + hashlib.sha256(token.encode("utf-8")).hexdigest()[:32]
    return "api-address:" + (get_remote_address() or "")


def current_key() -> ApiKey:
    """The key the request was authenticated with."""
    return g.api_key


def check_key():
    """Before every API view: the body size limit (413), then the key and its scope (401/403)."""
    limit = current_app.config["PORTAL_API_MAX_BYTES"]
    if (request.content_length or 0) > limit:
        return json_error(413)
    request.max_content_length = limit  # a body sent without a length is cut off here too
    view = current_app.view_functions.get(request.endpoint)
    scope = getattr(view, "api_scope", None)
    if scope == PUBLIC:
        return None
    token = bearer_token()
    key = api_keys.authenticate(db.session, token)
    if key is None:
        challenge = 'Bearer realm="api"' + (', error="invalid_token"' if token else "")
        return json_error(401, headers={"WWW-Authenticate": challenge})
    if scope is None or scope not in key.scope_set:
        return json_error(403, message=f"This API key lacks the scope {scope or 'for this operation'}.",
                          headers={"WWW-Authenticate": f'Bearer realm="api", error="insufficient_scope", '
                                                       f'scope="{scope or ""}"'})
    g.api_key = key
    api_keys.note_use(db.session, key)
    return None
