"""JSON errors for the API: {"error": code, "message": text}, the right status, never HTML or a
traceback. Messages are English: the API's readers are the company's systems and their developers."""

from __future__ import annotations

import logging

from flask import Blueprint, jsonify, request
from werkzeug.exceptions import HTTPException

from portal import errors as pages
from portal.extensions import db

log = logging.getLogger(__name__)
PREFIX = "/api/"
MESSAGES = {
    400: ("bad_request", "The body is not valid JSON."),
    401: ("unauthorized", "Send a valid API key: Authorization: Bearer <key>."),
    403: ("forbidden", "This API key lacks the scope this operation needs."),
    404: ("not_found", "Nothing is found at this address."),
    405: ("method_not_allowed", "This address does not take this method."),
    409: ("conflict", "The request conflicts with the current state."),
    413: ("too_large", "The body is too large."),
    415: ("unsupported_media_type", "Send the body as application/json."),
    422: ("invalid", "Some values are not valid."),
    429: ("rate_limited", "Too many requests for this key: wait and try again."),
    500: ("server_error", "Something went wrong; the error has been logged. Try again later."),
    503: ("unavailable", "The service is temporarily unavailable. Try again shortly."),
}


class ApiProblem(Exception):
    """Stop the request with a JSON error; `fields` gives per-field codes."""

    def __init__(self, status: int, code: str | None = None, message: str | None = None, *,
                 fields: dict[str, str] | None = None, headers: dict[str, str] | None = None):
        default_code, default_message = MESSAGES.get(status, MESSAGES[500])
        super().__init__(code or default_code)
        self.status, self.code = status, code or default_code
        self.message, self.fields, self.headers = message or default_message, fields, headers or {}


def json_error(status: int, code: str | None = None, message: str | None = None, *,
               fields: dict[str, str] | None = None, headers: dict[str, str] | None = None):
    """A JSON error response."""
    problem = ApiProblem(status, code, message, fields=fields, headers=headers)
    body = {"error": problem.code, "message": problem.message}
    if fields:
        body["fields"] = fields
    response = jsonify(body)
    response.status_code = status
    response.headers.update(problem.headers)
    return response


def _problem(problem: ApiProblem):
    db.session.rollback()
    return json_error(problem.status, problem.code, problem.message, fields=problem.fields,
                      headers=problem.headers)


def _http(error: HTTPException):
    """Any HTTP error in the API (404, 405, 413, 415, 429...) as JSON, keeping headers such as Allow."""
    db.session.rollback()
    kept = {name: value for name, value in error.get_headers() if name.lower() != "content-type"}
    return json_error(error.code or 500, headers=kept)


def _unexpected(error: Exception):
    """500, or 503 with Retry-After while the database is unreachable; logged, never shown."""
    cause = getattr(error, "original_exception", None) or error
    db.session.rollback()
    if pages.database_unavailable(cause):
        log.warning("database unavailable; API answered 503")
        return json_error(503, headers={"Retry-After": str(pages.RETRY_AFTER_SECONDS)})
    log.exception("unhandled API error")
    return json_error(500)


def _routing(error: HTTPException):
    """404 and 405 are raised before any blueprint is chosen: JSON under /api/, the page elsewhere."""
    if request.path.startswith(PREFIX):
        return _http(error)
    custom = error.description if getattr(error, "portal_translated", False) else None
    return pages.render_error(error.code or 500, custom)


def register(bp: Blueprint) -> None:
    """Give the blueprint its JSON error handlers."""
    bp.register_error_handler(ApiProblem, _problem)
    bp.register_error_handler(HTTPException, _http)
    bp.register_error_handler(Exception, _unexpected)
    for code in (404, 405):
        bp.app_errorhandler(code)(_routing)
