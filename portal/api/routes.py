"""The sync API's views: thin, each parses its input and calls one service."""

from __future__ import annotations

from flask import jsonify, request

from portal.api import bp
from portal.api.auth import PUBLIC, current_key, needs
from portal.api.errors import ApiProblem
from portal.api.openapi import SPEC
from portal.api.validation import field_errors
from portal.extensions import db
from portal.models import Handoff
from portal.models.types import utcnow
from portal.services import customer_sync, handoffs
from portal.services.refusals import InvalidValue
from portal.services.requests import helsinki_date


def _body(schema: str) -> dict:
    """The JSON body, checked against `schema`; 400, 413, 415 or 422 when it is not right."""
    body = request.get_json()  # raises 415 (not JSON), 400 (malformed), 413 (too large)
    problems = field_errors(schema, body)
    if problems:
        raise ApiProblem(422, fields=problems)
    return body


def _query_int(name: str, default: int, low: int, high: int, problems: dict) -> int:
    raw = request.args.get(name, str(default))
    if not raw.isdigit() or not low <= int(raw) <= high:
        problems[name] = "format"
        return default
    return int(raw)


def _handoff(row: Handoff) -> dict:
    return {"id": row.id, "kind": row.kind, "customer_number": row.customer_number,
            "customer_id": row.customer_id, "request_reference": row.request_reference,
            "created_at": row.created_at.isoformat(timespec="seconds"), "payload": row.payload}


@bp.put("/customers/<customer_number>")
@needs("customers:write")
def upsert_customer(customer_number: str):
    """Create or update one customer and their history by the company's customer number."""
    body = _body("CustomerUpsert")
    try:
        done = customer_sync.upsert_customer(db.session, customer_number, body, key=current_key(),
                                             today=helsinki_date(utcnow()))
    except customer_sync.InvalidFields as refused:
        raise ApiProblem(422, fields=refused.errors) from None
    except customer_sync.SyncRefused as refused:
        raise ApiProblem(409, refused.code) from None
    result = {"customer_number": customer_number, "customer_id": done.customer_id,
              "created": done.created, "changed": sorted(done.changed)}
    return jsonify(result), 201 if done.created else 200


@bp.get("/handoffs")
@needs("handoffs:read")
def list_handoffs():
    """Pending handoffs, oldest first, a page at a time (keyset on the id)."""
    problems: dict[str, str] = {}
    if request.args.get("status", "pending") != "pending":
        problems["status"] = "choice"
    after = _query_int("after", 0, 0, 2**62, problems)
    limit = _query_int("limit", 100, 1, handoffs.MAX_PAGE, problems)
    if problems:
        raise ApiProblem(422, fields=problems)
    rows = handoffs.pending(db.session, after=after, limit=limit)
    next_after = rows[-1].id if len(rows) == limit else None
    return jsonify({"handoffs": [_handoff(row) for row in rows], "next_after": next_after})


@bp.post("/handoffs/<int:handoff_id>/ack")
@needs("handoffs:ack")
def acknowledge(handoff_id: int):
    """Acknowledge a handoff once: done, or failed with a note."""
    body = _body("Acknowledgement")
    try:
        row = handoffs.acknowledge(db.session, handoff_id, current_key(), outcome=body["outcome"],
                                   note=body.get("note"))
    except InvalidValue as problem:
        raise ApiProblem(422, fields={"note": problem.code}) from None
    except handoffs.HandoffNotFound:
        raise ApiProblem(404) from None
    except handoffs.AlreadyAcknowledged:
        raise ApiProblem(409, "already_acknowledged", "This handoff was acknowledged before.") from None
    return jsonify({"id": row.id, "kind": row.kind, "outcome": row.outcome,
                    "acknowledged_at": row.acknowledged_at.isoformat(timespec="seconds")})


@bp.get("/openapi.json")
@needs(PUBLIC)
def openapi():
    """The OpenAPI 3.1 description of this API (public: it holds no data)."""
    return jsonify(SPEC)
