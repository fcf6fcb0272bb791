"""The OpenAPI 3.1 description of /api/v1, served at /api/v1/openapi.json.

Its schemas are also what the API checks request bodies against (portal/api/validation.py), so
the description and the behaviour cannot drift apart. tests/functional/test_api.py validates the
document, checks every route is in it and every example fits its schema.
"""

from __future__ import annotations

from portal.models.api import HANDOFF_KINDS, HANDOFF_OUTCOMES
from portal.models.customers import MARKETING_CHANNELS
from portal.models.history import INVOICE_STATUSES, QUOTE_STATUSES
from portal.services.holds import HoldCode, Item, Until
from portal.services.values import CORRECTABLE_FIELDS, SCOPES

VERSION = "1.0.0"
DATE = {"type": "string", "format": "date", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"}
DATE_OR_NULL = {"type": ["string", "null"], "format": "date", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"}
TIME = {"type": "string", "format": "date-time"}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _text(length: int, nullable: bool = True, **more) -> dict:
    return {"type": ["string", "null"] if nullable else "string", "maxLength": length, **more}


def _object(properties: dict, required: tuple[str, ...] = (), **more) -> dict:
    return {"type": "object", "properties": properties, "required": list(required),
            "additionalProperties": False, **more}


def _item(money_fields: dict, required: tuple[str, ...]) -> dict:
    return _object({"number": _text(32, False, minLength=1), **money_fields,
                    "total_cents": {"type": "integer", "description": "amount in euro cents"}},
                   ("number", *required, "total_cents"))


PERSON = {
    "first_name": _text(100, False, minLength=1), "last_name": _text(100, False, minLength=1),
    "email": _text(255, False, minLength=3, description="checked as the portal's own forms check it"),
    "organisation": _text(200), "position": _text(120),
    "business_id": _text(20, description="Y-tunnus, checksum-validated; stored as 1234567-8"),
    "phone": _text(32, description="stored in E.164 (+358401234567)"),
    "street_address": _text(200), "postal_code": _text(10, description="five digits in Finland"),
    "city": _text(100), "country": {"type": "string", "pattern": "^[A-Za-z]{2}$", "default": "FI"},
    "website": _text(255), "ip_address": _text(45), "billing_address": _text(300),
    "e_invoice_address": _text(64, description="OVT code (0037 + Y-tunnus digits) or IBAN"),
    "e_invoice_operator": _text(64), "technical_data": _text(4000),
    "language": {"type": "string", "enum": ["fi", "en"], "default": "fi"},
    "relationship_start": {**DATE, "description": "defaults to today when a customer is created"},
    "relationship_end": DATE_OR_NULL, "is_contact_person": {"type": "boolean", "default": False},
}
SCHEMAS = {
    "Error": _object({"error": {"type": "string", "description": "a stable code"},
                      "message": {"type": "string"},
                      "fields": {"type": "object", "additionalProperties": {"type": "string"},
                                 "description": "per-field codes, by path (email, orders/0/number)"}},
                     ("error", "message")),
    "Order": _item({"ordered_on": DATE, "description": _text(300, False, minLength=1),
                    "channel": _text(32)}, ("ordered_on", "description")),
    "Quote": _item({"issued_on": DATE, "valid_until": DATE, "description": _text(300, False, minLength=1),
                    "status": {"type": "string", "enum": list(QUOTE_STATUSES)}},
                   ("issued_on", "valid_until", "description", "status")),
    "Invoice": _item({"issued_on": DATE, "due_on": DATE,
                      "status": {"type": "string", "enum": list(INVOICE_STATUSES)},
                      "paid_on": {**DATE_OR_NULL, "description": "required when status is paid"}},
                     ("issued_on", "due_on", "status")),
    "CustomerUpsert": _object({
        **PERSON,
        "orders": {"type": "array", "maxItems": 1000, "items": _ref("Order")},
        "quotes": {"type": "array", "maxItems": 1000, "items": _ref("Quote")},
        "invoices": {"type": "array", "maxItems": 1000, "items": _ref("Invoice")},
    }, description="Fields left out stay as they are; null clears an optional field. first_name, "
                   "last_name and email are required when the customer is new. History items are "
                   "matched by number; items left out are kept."),
    "Upserted": _object({"customer_number": {"type": "string"}, "customer_id": {"type": "integer"},
                         "created": {"type": "boolean"},
                         "changed": {"type": "array", "items": {"type": "string"}}},
                        ("customer_number", "customer_id", "created", "changed")),
    "CorrectionPayload": _object({"changes": {"type": "array", "items": _object(
        {"field": {"type": "string", "enum": sorted(CORRECTABLE_FIELDS)},
         "new": {"type": ["string", "null"],
                 "description": "the corrected value; absent if the person was erased since"}},
        ("field",))}}, ("changes",)),
    "ErasurePayload": _object({
        "complete": {"type": "boolean", "description": "true: nothing is kept"},
        "erase": {"type": "array", "items": {"type": "string", "enum": [str(i) for i in Item]}},
        "keep": {"type": "array", "items": _object({
            "reason": {"type": "string", "enum": [str(c) for c in HoldCode]},
            "items": {"type": "array", "items": {"type": "string", "enum": [str(i) for i in Item]}},
            "until": DATE_OR_NULL,
            "until_event": {"type": ["string", "null"], "enum": [*(str(u) for u in Until), None]}},
            ("reason", "items", "until", "until_event"))},
        "purge_on": DATE_OR_NULL}, ("complete", "erase", "keep", "purge_on")),
    "ScopePayload": _object({"scope": {"type": "string", "enum": list(SCOPES)},
                             "purpose": {"type": ["string", "null"],
                                         "description": "what is objected to or restricted (scope purpose)"}},
                            ("scope",)),
    "MarketingPayload": _object({
        "prohibited": {"type": "array", "items": {"type": "string", "enum": list(MARKETING_CHANNELS)}},
        "allowed": {"type": "array", "items": {"type": "string", "enum": list(MARKETING_CHANNELS)}}},
        ("prohibited", "allowed")),
    "Handoff": _object({
        "id": {"type": "integer"}, "kind": {"type": "string", "enum": list(HANDOFF_KINDS)},
        "customer_number": {"type": ["string", "null"]},
        "customer_id": {"type": "integer", "description": "the portal's own id of the customer"},
        "request_reference": {"type": ["string", "null"]}, "created_at": TIME,
        "payload": {"oneOf": [_ref("CorrectionPayload"), _ref("ErasurePayload"), _ref("ScopePayload"),
                              _ref("MarketingPayload")]}},
        ("id", "kind", "customer_number", "customer_id", "request_reference", "created_at", "payload")),
    "HandoffPage": _object({"handoffs": {"type": "array", "items": _ref("Handoff")},
                            "next_after": {"type": ["integer", "null"],
                                           "description": "`after` for the next page; null: no more"}},
                           ("handoffs", "next_after")),
    "Acknowledgement": _object({"outcome": {"type": "string", "enum": list(HANDOFF_OUTCOMES)},
                                "note": _text(500, description="codes or your ticket id; no personal data")},
                               ("outcome",)),
    "Acknowledged": _object({"id": {"type": "integer"},
                             "kind": {"type": "string", "enum": list(HANDOFF_KINDS)},
                             "outcome": {"type": "string", "enum": list(HANDOFF_OUTCOMES)},
                             "acknowledged_at": TIME}, ("id", "kind", "outcome", "acknowledged_at")),
}

EXAMPLES = {
    "CustomerUpsert": {"first_name": "Maija", "last_name": "Meikäläinen", "email": "maija@example.com",
                       "phone": "040 111 2222", "postal_code": "00100", "city": "Helsinki",
                       "relationship_start": "2024-03-02",
                       "invoices": [{"number": "L-2026-0001", "issued_on": "2026-01-02",
                                     "due_on": "2026-01-16", "total_cents": 48900, "status": "paid",
                                     "paid_on": "2026-01-10"}]},
    "Upserted": {"customer_number": "AS-10042", "customer_id": 17, "created": True,
                 "changed": ["city", "email", "first_name", "last_name", "phone", "postal_code"]},
    "HandoffPage": {"handoffs": [
        {"id": 41, "kind": "correction", "customer_number": "AS-10042", "customer_id": 17,
         "request_reference": "PR-2026-000123", "created_at": "2026-11-22T10:15:00+00:00",
         "payload": {"changes": [{"field": "phone", "new": "+358401112233"}]}},
        {"id": 42, "kind": "erasure", "customer_number": "AS-10077", "customer_id": 23,
         "request_reference": "PR-2026-000130", "created_at": "2026-11-22T11:00:00+00:00",
         "payload": {"complete": False,
                     "erase": ["contact", "organisation", "quotes", "technical", "sources"],
                     "keep": [{"reason": "accounting_books", "items": ["name", "orders", "invoices"],
                               "until": "2036-12-31", "until_event": None}],
                     "purge_on": "2036-12-31"}},
        {"id": 43, "kind": "marketing", "customer_number": None, "customer_id": 31, "request_reference": None,
         "created_at": "2026-11-22T11:05:00+00:00",
         "payload": {"prohibited": ["direct_marketing"],
                     "allowed": ["direct_advertising", "distance_selling", "market_research",
                                 "catalogues"]}}],
        "next_after": 43},
    "Acknowledgement": {"outcome": "done", "note": "CRM ticket 5521"},
    "Acknowledged": {"id": 41, "kind": "correction", "outcome": "done",
                     "acknowledged_at": "2026-11-22T12:00:00+00:00"},
    "Error": {"error": "invalid", "message": "Some values are not valid.",
              "fields": {"email": "email", "orders/0/ordered_on": "date"}},
}


def _json(schema: str, example: str | None = None) -> dict:
    body = {"schema": _ref(schema)}
    if example:
        body["examples"] = {"example": {"value": EXAMPLES[example]}}
    return {"content": {"application/json": body}}


def _error(description: str) -> dict:
    return {"description": description, **_json("Error", "Error")}


ERRORS = {"401": _error("No key, an unknown key or a revoked key (WWW-Authenticate: Bearer)"),
          "403": _error("The key lacks the scope this operation needs"),
          "429": _error("Too many requests for this key; see Retry-After")}
BODY_ERRORS = {"400": _error("The body is not JSON"), "413": _error("The body is too large"),
               "415": _error("The body is not application/json"), "422": _error("Values refused, per field")}


def _operation(summary: str, scope: str | None, responses: dict, **more) -> dict:
    described = f"{summary}. Needs the scope `{scope}`." if scope else summary + "."
    return {"summary": summary, "description": described, **more,
            "responses": {**responses, **(ERRORS if scope else {"429": ERRORS["429"]})}}


SPEC = {
    "openapi": "3.1.0",
    "info": {"title": "Privacy portal sync API", "version": VERSION,
             "description": "For the company's own systems (CRM/ERP): keep the register up to date, and "
                            "carry out the decisions taken in the portal. See docs/API.md."},
    "servers": [{"url": "/api/v1"}],
    "security": [{"bearer": []}],
    "paths": {
        "/customers/{customer_number}": {"put": _operation(
            "Create or update one customer and their history", "customers:write",
            {"200": {"description": "Updated", **_json("Upserted", "Upserted")},
             "201": {"description": "Created", **_json("Upserted", "Upserted")},
             "409": _error("The customer was erased, or another write got there first"), **BODY_ERRORS},
            operationId="upsertCustomer",
            parameters=[{"name": "customer_number", "in": "path", "required": True,
                         "description": "the company's own customer number",
                         "schema": {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"}}],
            requestBody={"required": True, **_json("CustomerUpsert", "CustomerUpsert")})},
        "/handoffs": {"get": _operation(
            "Decisions your systems must carry out, oldest first", "handoffs:read",
            {"200": {"description": "A page of pending handoffs", **_json("HandoffPage", "HandoffPage")},
             "422": _error("A query parameter is not valid")},
            operationId="listHandoffs",
            parameters=[
                {"name": "status", "in": "query", "schema": {"type": "string", "enum": ["pending"],
                                                              "default": "pending"}},
                {"name": "after", "in": "query", "description": "only handoffs with a greater id",
                 "schema": {"type": "integer", "minimum": 0, "default": 0}},
                {"name": "limit", "in": "query",
                 "schema": {"type": "integer", "minimum": 1, "maximum": 500, "default": 100}}])},
        "/handoffs/{handoff_id}/ack": {"post": _operation(
            "Acknowledge a handoff: carried out, or failed", "handoffs:ack",
            {"200": {"description": "Acknowledged", **_json("Acknowledged", "Acknowledged")},
             "404": _error("No handoff has that id"), "409": _error("Already acknowledged"), **BODY_ERRORS},
            operationId="acknowledgeHandoff",
            parameters=[{"name": "handoff_id", "in": "path", "required": True,
                         "schema": {"type": "integer", "minimum": 1}}],
            requestBody={"required": True, **_json("Acknowledgement", "Acknowledgement")})},
        "/openapi.json": {"get": _operation(
            "This description", None,
            {"200": {"description": "The OpenAPI document",
                     "content": {"application/json": {"schema": {"type": "object"}}}}},
            operationId="openapi", security=[])},
    },
    "components": {"schemas": SCHEMAS,
                   "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                                  "description": "Authorization: Bearer <API key>"}}},
}
