"""The sync API (/api/v1): the company's systems push customers in and carry decisions out.

Keys are created with `flask api-key`, stored hashed, scoped and revocable; every path answers
JSON (never HTML); writes and acknowledgements are audited; the OpenAPI description validates and
every real answer below fits the schema it promises.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from openapi_spec_validator import validate as validate_spec
from sqlalchemy import func, select

from portal.api.openapi import EXAMPLES, SPEC
from portal.api.validation import validator
from portal.demo import DEMO_PASSWORD
from portal.extensions import db
from portal.models import ApiKey, AuditEvent, Customer, Handoff, Invoice, Order, PrivacyRequest
from portal.models.api import API_SCOPES
from portal.models.types import utcnow
from portal.services import api_keys
from portal.services.api_keys import hash_key
from portal.services.erasure import erase_customer
from portal.services.handoffs import record_handoff
from portal.services.marketing import set_prohibitions
from tests.conftest import AuthActions, csrf_token, post_form
from tests.functional.helpers import MAIJA, MATTI, SANNA, page, switch_language
from tests.scan import find_values

ALL = API_SCOPES
PERSON = {"first_name": "Tuuli", "last_name": "Testaaja", "email": "tuuli@testi.example",
          "phone": "040 123 4567", "postal_code": "00100", "city": "Helsinki", "business_id": "2345678-0",
          "orders": [{"number": "T-API-1", "ordered_on": "2026-01-02", "description": "Tuoli",
                      "total_cents": 12900, "channel": "webshop"}],
          "invoices": [{"number": "L-API-1", "issued_on": "2026-01-02", "due_on": "2026-01-16",
                        "total_cents": 12900, "status": "open"}]}


def _key(app, *scopes: str, name: str = "CRM") -> str:
    """A new key for system `name` with `scopes` (all by default)."""
    with app.app_context():
        secret = api_keys.create_api_key(db.session, name, scopes or ALL).secret
        db.session.remove()
    return secret


def _call(client, method: str, path: str, key: str | None = None, **kwargs):
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return client.open(f"/api/v1{path}", method=method, headers=headers, **kwargs)


def _numbered(number: str) -> Customer:
    """The customer with the company's `number` (inside an app context)."""
    return db.session.execute(select(Customer).where(Customer.customer_number == number)).scalar_one()


def _fits(schema: str, response) -> dict:
    """The response's JSON, checked against the schema the OpenAPI document promises."""
    assert response.is_json, response.get_data(as_text=True)[:200]
    body = response.get_json()
    validator(schema).validate(body)
    return body


def _pending(client, key: str, **params) -> list[dict]:
    query = "&".join(f"{name}={value}" for name, value in params.items())
    response = _call(client, "GET", f"/handoffs?{query}", key)
    assert response.status_code == 200, response.get_json()
    return _fits("HandoffPage", response)["handoffs"]


def _audit(app, action: str) -> list[dict]:
    with app.app_context():
        rows = db.session.execute(select(AuditEvent).where(AuditEvent.action == action)
                                  .order_by(AuditEvent.id)).scalars().all()
        found = [{"actor_kind": r.actor_kind, "customer_id": r.customer_id, **json.loads(r.details)}
                 for r in rows]
        db.session.remove()
    return found


def _approve(client, app, email: str, kind: str) -> PrivacyRequest:
    """The reviewer approves `email`'s open request of `kind`; returns it (detached)."""
    with app.app_context():
        req = db.session.execute(select(PrivacyRequest).join(Customer).where(
            Customer.email == email, PrivacyRequest.kind == kind,
            PrivacyRequest.status.in_(("pending", "in_review")))).scalars().first()
        db.session.expunge(req)
        db.session.remove()
    token = csrf_token(client, f"/staff/requests/{req.reference}")
    response = client.post(f"/staff/requests/{req.reference}/approve",
                           data={"approve-version": req.version, "approve-reason": "",
                                 "approve-csrf_token": token})
    assert response.status_code == 302
    return req


# --- keys -----------------------------------------------------------------------------------------

def test_a_key_is_printed_once_stored_as_a_hash_and_revoked_by_name(app, runner, client):
    created = runner.invoke(args=["api-key", "create", "CRM", "--scope", "handoffs:read"])
    assert created.exit_code == 0, created.output
    secret = created.output.splitlines()[1].strip()
    assert len(secret) >= 43 and "cannot be shown again" in created.output
    with app.app_context():
        row = db.session.execute(select(ApiKey)).scalar_one()
        assert (row.name, row.scopes, row.prefix) == ("CRM", "handoffs:read", secret[:8])
        assert row.key_hash == hash_key(secret) and secret not in (row.key_hash, row.scopes)
        db.session.remove()
    listed = runner.invoke(args=["api-key", "list"]).output
    assert "CRM" in listed and secret[:8] in listed and secret not in listed
    assert _call(client, "GET", "/handoffs", secret).status_code == 200

    assert runner.invoke(args=["api-key", "revoke", "CRM"]).exit_code == 0
    assert _call(client, "GET", "/handoffs", secret).status_code == 401
    again = runner.invoke(args=["api-key", "revoke", "CRM"])
    assert again.exit_code != 0 and "already revoked" in again.output
    assert re.search(r"CRM .* UTC .* UTC", runner.invoke(args=["api-key", "list"]).output)
    assert [e["api_key"] for e in _audit(app, "api_key_created")] == ["CRM"]
    assert [(e["api_key"], e["actor_kind"]) for e in _audit(app, "api_key_revoked")] == [("CRM", "system")]


def test_a_key_needs_a_known_scope_and_a_free_name(app, runner):
    assert runner.invoke(args=["api-key", "create", "CRM", "--scope", "admin"]).exit_code != 0
    assert runner.invoke(args=["api-key", "create", "CRM", "--scope", "handoffs:read"]).exit_code == 0
    taken = runner.invoke(args=["api-key", "create", "CRM", "--scope", "handoffs:ack"])
    assert taken.exit_code != 0 and "exists" in taken.output


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer not-a-key", "Basic dXNlcjpwYXNz",
                                    "Bearer " + "A" * 43])
def test_no_valid_key_gets_401_with_a_challenge(app, client, header):
    _key(app)
    response = client.get("/api/v1/handoffs", headers={"Authorization": header} if header else {})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert _fits("Error", response)["error"] == "unauthorized"


def test_a_key_without_the_scope_gets_403(app, client):
    reader = _key(app, "handoffs:read")
    response = _call(client, "PUT", "/customers/AS-1", reader, json=PERSON)
    assert response.status_code == 403 and _fits("Error", response)["error"] == "forbidden"
    assert "customers:write" in response.get_json()["message"]
    assert _call(client, "POST", "/handoffs/1/ack", reader, json={"outcome": "done"}).status_code == 403
    assert _call(client, "GET", "/handoffs", reader).status_code == 200


def test_last_use_is_recorded_at_most_once_a_minute(app, client, monkeypatch):
    key = _key(app)
    start = utcnow()
    for offset in (0, 30, 61):
        monkeypatch.setattr("portal.services.api_keys.utcnow", lambda o=offset: start + timedelta(seconds=o))
        _call(client, "GET", "/handoffs", key)
        with app.app_context():
            used = db.session.execute(select(ApiKey.last_used_at)).scalar_one()
            db.session.remove()
        assert used == start + timedelta(seconds=0 if offset < 61 else 61)


@pytest.fixture
def tight_limits(app_config):
    app_config.PORTAL_API_LIMIT = "3 per minute"
    app_config.PORTAL_API_FAILURE_LIMIT = "2 per minute"


def test_each_key_has_its_own_rate_limit_and_429_is_json(tight_limits, app, client):
    first, second = _key(app, name="CRM"), _key(app, name="ERP")
    assert [_call(client, "GET", "/handoffs", first).status_code for _ in range(3)] == [200] * 3
    limited = _call(client, "GET", "/handoffs", first)
    assert limited.status_code == 429 and "Retry-After" in limited.headers
    assert _fits("Error", limited)["error"] == "rate_limited"
    assert _call(client, "GET", "/handoffs", second).status_code == 200


def test_key_guessing_is_slowed_per_address(tight_limits, app, client):
    _key(app)
    codes = [_call(client, "GET", "/handoffs", "Z" * 43).status_code for _ in range(3)]
    assert codes == [401, 401, 429]


# --- errors are JSON --------------------------------------------------------------------------------

def test_every_error_is_json_never_html(app_config, app, client, monkeypatch):
    app.config["PORTAL_API_MAX_BYTES"] = 2048
    key = _key(app)
    malformed = _call(client, "PUT", "/customers/AS-1", key, data="{nope", content_type="application/json")
    cases = [(malformed, 400),
             (_call(client, "PUT", "/customers/AS-1", key, data="a=1"), 415),
             (_call(client, "PUT", "/customers/AS-1", key, json={"technical_data": "x" * 3000}), 413),
             (_call(client, "DELETE", "/handoffs", key), 405),
             (_call(client, "GET", "/no-such-thing", key), 404)]
    for response, status in cases:
        assert response.status_code == status
        assert _fits("Error", response)["message"]
    assert "GET" in cases[3][0].headers["Allow"]

    def broken(*args, **kwargs):
        raise RuntimeError("secret detail")
    monkeypatch.setattr("portal.services.customer_sync.upsert_customer", broken)
    crashed = _call(client, "PUT", "/customers/AS-1", key, json=PERSON)
    assert crashed.status_code == 500 and _fits("Error", crashed)["error"] == "server_error"
    assert "secret detail" not in crashed.get_data(as_text=True)
    # Elsewhere the pages stay pages.
    assert client.get("/no-such-page").headers["Content-Type"].startswith("text/html")


# --- customers --------------------------------------------------------------------------------------

def test_upsert_creates_then_updates_the_same_customer(app, client):
    key = _key(app, "customers:write")
    created = _call(client, "PUT", "/customers/AS-10042", key, json=PERSON)
    assert created.status_code == 201
    body = _fits("Upserted", created)
    assert body["created"] is True and {"email", "phone", "business_id"} <= set(body["changed"])
    paid = {**PERSON["invoices"][0], "status": "paid", "paid_on": "2026-01-10"}
    updated = _call(client, "PUT", "/customers/AS-10042", key,
                    json={**PERSON, "city": "Espoo", "invoices": [paid]})
    assert updated.status_code == 200
    assert _fits("Upserted", updated) == {"customer_number": "AS-10042", "customer_id": body["customer_id"],
                                          "created": False, "changed": ["city"]}
    with app.app_context():
        customer = _numbered("AS-10042")
        # Stored as the portal's own forms store them.
        assert (customer.phone, customer.business_id, customer.city) == (
            "+358401234567", "2345678-0", "Espoo")
        assert db.session.scalar(select(func.count()).select_from(Customer)) == 1
        assert [o.number for o in customer.orders] == ["T-API-1"]
        assert [(i.status, i.paid_on.isoformat()) for i in customer.invoices] == [("paid", "2026-01-10")]
        assert db.session.scalar(select(func.count()).select_from(Order)) == 1
        assert db.session.scalar(select(func.count()).select_from(Invoice)) == 1
        db.session.remove()
    entries = _audit(app, "api_customer_upserted")
    assert [(e["created"], e["fields"], e["api_key"]) for e in entries][1] == (False, ["city"], "CRM")
    assert all(e["customer_id"] == body["customer_id"] and e["actor_kind"] == "system" for e in entries)
    assert "Tuuli" not in json.dumps(entries) and "tuuli@" not in json.dumps(entries)


def test_refused_values_get_422_per_field_and_nothing_is_saved(app, client, demo):
    key = _key(app, "customers:write")
    bad = {**PERSON, "email": "not-an-address", "phone": "123", "business_id": "1234567-2",
           "postal_code": "1234", "relationship_start": "2026-13-01", "colour": "blue",
           "orders": [{"number": "T-2024-0101", "ordered_on": "2026-01-02", "description": "x",
                       "total_cents": 1}],
           "invoices": [{**PERSON["invoices"][0], "status": "paid"}]}
    response = _call(client, "PUT", "/customers/AS-1", key, json=bad)
    assert response.status_code == 422
    fields = _fits("Error", response)["fields"]
    assert fields == {"colour": "unknown_field"}  # the shape is checked first
    del bad["colour"]
    fields = _fits("Error", _call(client, "PUT", "/customers/AS-1", key, json=bad))["fields"]
    assert fields == {"email": "email", "phone": "phone", "business_id": "business_id",
                      "postal_code": "postal_code", "relationship_start": "date",
                      "invoices/0/paid_on": "required"}
    # Values that need the register: a number and an address another customer has.
    taken = {**PERSON, "email": MAIJA, "orders": bad["orders"]}
    fields = _fits("Error", _call(client, "PUT", "/customers/AS-1", key, json=taken))["fields"]
    assert fields == {"email": "email_taken"}  # checked before anything is written
    taken = {**PERSON, "email": MAIJA.upper(), "orders": bad["orders"]}
    fields = _fits("Error", _call(client, "PUT", "/customers/AS-1", key, json=taken))["fields"]
    assert fields == {"email": "email_taken"}
    taken = {**PERSON, "orders": bad["orders"]}
    fields = _fits("Error", _call(client, "PUT", "/customers/AS-1", key, json=taken))["fields"]
    assert fields == {"orders/0/number": "number_taken"}
    backwards = {**PERSON, "relationship_start": "2026-01-02", "relationship_end": "2025-12-31"}
    fields = _fits("Error", _call(client, "PUT", "/customers/AS-1", key, json=backwards))["fields"]
    assert fields == {"relationship_end": "before_start"}
    missing = _call(client, "PUT", "/customers/AS-1", key, json={"city": "Espoo"})
    assert _fits("Error", missing)["fields"] == {"email": "required", "first_name": "required",
                                                 "last_name": "required"}
    assert _call(client, "PUT", "/customers/not%20valid", key, json=PERSON).status_code == 422
    with app.app_context():
        numbered = select(Customer).where(Customer.customer_number.is_not(None))
        assert db.session.execute(numbered).first() is None
        db.session.remove()
    assert _audit(app, "api_customer_upserted") == []


def test_an_erased_person_is_not_taken_in_again(app, client, demo):
    key = _key(app, "customers:write")
    assert _call(client, "PUT", "/customers/AS-7", key, json=PERSON).status_code == 201
    with app.app_context():
        erase_customer(db.session, _numbered("AS-7"), actor=None, today=utcnow().date())
        db.session.commit()
        db.session.remove()
    refused = _call(client, "PUT", "/customers/AS-7", key, json=PERSON)
    assert refused.status_code == 409 and _fits("Error", refused)["error"] == "customer_erased"
    # The invoice an erasure keeps may still be settled, so that the hold can end.
    paid = {**PERSON["invoices"][0], "status": "paid", "paid_on": "2026-02-01"}
    assert _call(client, "PUT", "/customers/AS-7", key, json={"invoices": [paid]}).status_code == 200


# --- handoffs ---------------------------------------------------------------------------------------

def test_an_approved_correction_is_handed_over_carried_out_and_shown_done(app, reviewer_client):
    key = _key(app, "handoffs:read", "handoffs:ack")
    req = _approve(reviewer_client, app, MAIJA, "correction")
    [handoff] = _pending(reviewer_client, key)
    assert (handoff["kind"], handoff["request_reference"]) == ("correction", req.reference)
    assert handoff["payload"] == {"changes": [{"field": "phone", "new": "+358401112233"},
                                              {"field": "street_address", "new": "Koivukuja 5 B 12"}]}
    customer = app.test_client()
    assert AuthActions(customer).login(MAIJA, DEMO_PASSWORD).status_code == 302
    switch_language(customer, "en")
    assert "Waiting for our customer systems to carry this out." in page(
        customer.get(f"/account/requests/{req.reference}"))

    done = _call(reviewer_client, "POST", f"/handoffs/{handoff['id']}/ack", key,
                 json={"outcome": "done", "note": "CRM-5521"})
    assert done.status_code == 200 and _fits("Acknowledged", done)["outcome"] == "done"
    again = _call(reviewer_client, "POST", f"/handoffs/{handoff['id']}/ack", key, json={"outcome": "done"})
    assert again.status_code == 409 and again.get_json()["error"] == "already_acknowledged"
    assert _pending(reviewer_client, key) == []
    with app.app_context():
        stored = db.session.get(Handoff, handoff["id"])
        assert stored.payload == {"changes": [{"field": "phone"}, {"field": "street_address"}]}
        assert (stored.outcome, stored.note) == ("done", "CRM-5521")
        db.session.remove()
    shown = page(customer.get(f"/account/requests/{req.reference}"))
    assert "Carried out in our customer systems on" in shown and "Waiting for" not in shown
    switch_language(reviewer_client, "en", "/staff/")
    staff_page = page(reviewer_client.get(f"/staff/requests/{req.reference}"))
    assert "Carried out in our customer systems on" in staff_page
    [entry] = _audit(app, "api_handoff_acknowledged")
    assert (entry["handoff_id"], entry["outcome"], entry["kind"]) == (handoff["id"], "done", "correction")
    assert "Koivukuja" not in json.dumps(entry)


def test_a_failure_is_shown_to_staff_and_the_customer_still_sees_it_waiting(app, reviewer_client):
    key = _key(app)
    req = _approve(reviewer_client, app, MATTI, "restriction")
    [handoff] = _pending(reviewer_client, key)
    assert (handoff["kind"], handoff["payload"]) == ("restriction", {"scope": "marketing", "purpose": None})
    failed = _call(reviewer_client, "POST", f"/handoffs/{handoff['id']}/ack", key,
                   json={"outcome": "failed", "note": "ERP-12: no marketing flag"})
    assert failed.status_code == 200
    switch_language(reviewer_client, "en", "/staff/")
    shown = page(reviewer_client.get(f"/staff/requests/{req.reference}"))
    assert "could not carry this out" in shown and "ERP-12: no marketing flag" in shown


def test_nothing_is_said_about_customer_systems_while_none_is_connected(app, reviewer_client):
    req = _approve(reviewer_client, app, MAIJA, "correction")
    switch_language(reviewer_client, "en", "/staff/")
    shown = page(reviewer_client.get(f"/staff/requests/{req.reference}"))
    assert "customer systems" not in shown
    with app.app_context():  # still recorded, for when a system is connected
        assert db.session.scalar(select(func.count()).select_from(Handoff)) == 1
        db.session.remove()


def test_a_marketing_prohibition_switched_by_the_customer_is_handed_over(app, client, auth, demo):
    key = _key(app, "handoffs:read")
    assert auth.login(MAIJA, DEMO_PASSWORD).status_code == 302
    post_form(client, "/account/marketing", prohibited=["direct_marketing", "catalogues"])
    [handoff] = _pending(client, key)
    assert (handoff["kind"], handoff["request_reference"], handoff["customer_number"]) == (
        "marketing", None, None)
    assert handoff["payload"] == {"prohibited": ["direct_marketing", "catalogues"],
                                  "allowed": ["direct_advertising", "distance_selling", "market_research"]}
    post_form(client, "/account/marketing", prohibited=["direct_marketing", "catalogues"])  # no change
    assert len(_pending(client, key)) == 1


def test_a_customer_pushed_in_comes_back_with_a_decision_by_their_number(app, client):
    key = _key(app)
    assert _call(client, "PUT", "/customers/AS-10042", key, json=PERSON).status_code == 201
    with app.app_context():  # staff record the person's phoned-in prohibition
        set_prohibitions(db.session, _numbered("AS-10042"), {"distance_selling"}, changed_by="staff")
        db.session.commit()
        db.session.remove()
    [handoff] = _pending(client, key)
    assert (handoff["customer_number"], handoff["kind"]) == ("AS-10042", "marketing")
    assert handoff["payload"]["prohibited"] == ["distance_selling"]
    done = _call(client, "POST", f"/handoffs/{handoff['id']}/ack", key, json={"outcome": "done"})
    assert done.status_code == 200 and _pending(client, key) == []


def test_an_erasure_is_handed_over_by_customer_number_with_nothing_personal(app, reviewer_client):
    key = _key(app, "handoffs:read")
    with app.app_context():
        sanna = db.session.execute(select(Customer).where(Customer.email == SANNA)).scalar_one()
        sanna.customer_number = "AS-5"
        values = [sanna.first_name, sanna.last_name, SANNA, sanna.phone, sanna.street_address]
        db.session.commit()
        db.session.remove()
    req = _approve(reviewer_client, app, SANNA, "erasure")
    [handoff] = _pending(reviewer_client, key)
    assert (handoff["kind"], handoff["customer_number"], handoff["request_reference"]) == (
        "erasure", "AS-5", req.reference)
    assert handoff["payload"]["complete"] is True and handoff["payload"]["keep"] == []
    assert {"name", "contact", "address"} <= set(handoff["payload"]["erase"])
    with app.app_context():
        assert [hit for hit in find_values(db.session, values) if hit[0] == "handoff"] == []
        db.session.remove()


def test_pending_handoffs_come_oldest_first_a_page_at_a_time(app, client, demo):
    key = _key(app, "handoffs:read")
    with app.app_context():
        customer = db.session.execute(select(Customer).where(Customer.email == MAIJA)).scalar_one()
        for _ in range(5):
            record_handoff(db.session, "marketing", customer, payload={"prohibited": [], "allowed": []})
        db.session.commit()
        db.session.remove()
    first = _fits("HandoffPage", _call(client, "GET", "/handoffs?limit=2", key))
    ids = [h["id"] for h in first["handoffs"]]
    assert len(ids) == 2 and ids == sorted(ids) and first["next_after"] == ids[-1]
    rest = _pending(client, key, after=first["next_after"], limit=500)
    assert len(rest) == 3 and rest[0]["id"] > ids[-1]
    last = _fits("HandoffPage", _call(client, "GET", f"/handoffs?after={rest[-1]['id']}", key))
    assert last == {"handoffs": [], "next_after": None}
    for query in ("limit=501", "limit=0", "after=-1", "status=done"):
        response = _call(client, "GET", f"/handoffs?{query}", key)
        assert response.status_code == 422, query
    assert _call(client, "POST", "/handoffs/999999/ack", _key(app, "handoffs:ack", name="ERP"),
                 json={"outcome": "done"}).status_code == 404


def test_an_acknowledgement_is_checked(app, client, demo):
    key = _key(app)
    for body in ({}, {"outcome": "maybe"}, {"outcome": "done", "note": "x" * 501},
                 {"outcome": "done", "extra": 1}, {"outcome": "done", "note": "bell\x07"}):
        response = _call(client, "POST", "/handoffs/1/ack", key, json=body)
        assert response.status_code == 422 and _fits("Error", response)["fields"], body


# --- the description --------------------------------------------------------------------------------

def test_the_openapi_description_is_valid_and_public(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200 and response.get_json() == json.loads(json.dumps(SPEC))
    validate_spec(response.get_json())
    assert "Set-Cookie" not in response.headers


def test_every_api_route_and_method_is_described(app):
    described = {(path, method.upper())
                 for path, operations in SPEC["paths"].items() for method in operations}
    routes = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/"):
            path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule.removeprefix("/api/v1"))
            routes |= {(path, method) for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert routes == described


def test_every_example_fits_its_schema():
    for name, example in EXAMPLES.items():
        validator(name).validate(example)
    for operations in SPEC["paths"].values():
        for operation in operations.values():
            bodies = [operation.get("requestBody", {})] + list(operation["responses"].values())
            for body in bodies:
                for media in body.get("content", {}).values():
                    schema = media["schema"].get("$ref", "").rsplit("/", 1)[-1]
                    for example in media.get("examples", {}).values():
                        validator(schema).validate(example["value"])
