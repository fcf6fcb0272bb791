"""Staff find a customer, give the purpose, and only then see everything held; every look-up is
recorded with its purpose, once per purpose given (DESIGN §7, CJEU C-579/21)."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select

from portal.demo import ADMIN_EMAIL, DEMO_PASSWORD, STAFF_EMAIL
from portal.extensions import db
from portal.models import AuditEvent, Customer, PrivacyRequest, ProcessingFlag, User
from portal.models.types import utcnow
from tests.conftest import AuthActions, csrf_token
from tests.functional.helpers import MAIJA, MATTI, PEKKA, page, switch_language

SEARCH = "/staff/customers"
# What only Maija's full data shows: phone, street address, an order, her IP address.
MAIJA_DATA = ("+358 40 111 2222", "Koivukuja 3 A 5", "T-2024-0101", "Puutarhakalusteet", "192.0.2.10")


def customer_id(app, email: str) -> int:
    with app.app_context():
        found = db.session.execute(select(Customer.id).where(Customer.email == email)).scalar_one()
        db.session.remove()
    return found


def account_id(app, email: str) -> int:
    with app.app_context():
        found = db.session.execute(select(User.id).where(User.email == email)).scalar_one()
        db.session.remove()
    return found


def open_reference(app, email: str) -> str:
    """The reference of the customer's first open request in the demo queue."""
    with app.app_context():
        found = db.session.execute(select(PrivacyRequest.reference).join(Customer).where(
            Customer.email == email, PrivacyRequest.status.in_(("pending", "in_review")))
            .order_by(PrivacyRequest.id)).scalars().first()
        db.session.remove()
    return found


def look_ups(app, person: int) -> list[tuple[int, str, dict]]:
    """The customer_viewed audit entries of one customer: (actor id, purpose, details), oldest first."""
    with app.app_context():
        rows = db.session.execute(select(AuditEvent.actor_id, AuditEvent.purpose, AuditEvent.details).where(
            AuditEvent.action == "customer_viewed", AuditEvent.customer_id == person)
            .order_by(AuditEvent.id)).all()
        db.session.remove()
    return [(actor, purpose, json.loads(details)) for actor, purpose, details in rows]


def give_purpose(client, person: int, **data):
    path = f"/staff/customers/{person}"
    return client.post(path, data={"csrf_token": csrf_token(client, path), **data})


def search(client, text: str):
    return client.post(SEARCH, data={"csrf_token": csrf_token(client, SEARCH), "q": text})


def test_search_lists_who_matches_and_nothing_more(app, reviewer_client):
    client = reviewer_client
    switch_language(client, "en")
    maija, matti = customer_id(app, MAIJA), customer_id(app, MATTI)
    by_name = page(search(client, "meikäläinen"))
    assert "Maija Meikäläinen" in by_name and MAIJA in by_name and "Customer since" in by_name
    assert f'href="/staff/customers/{maija}"' in by_name
    assert not any(value in by_name for value in MAIJA_DATA), "the list shows data beyond who matches"
    assert "Matti" not in by_name
    assert f'href="/staff/customers/{matti}"' in page(search(client, "MATTI.VIRTANEN@"))
    assert f'href="/staff/customers/{matti}"' in page(search(client, "Virtanen Matti"))
    by_number = page(search(client, str(maija)))
    assert f'href="/staff/customers/{maija}"' in by_number and "Matti" not in by_number
    # Too short to narrow the register, and a wildcard is only a character.
    short = page(search(client, "ma"))
    assert "Type at least 3 characters, or the whole customer number." in short
    assert "/staff/customers/" not in short.split("</form>", 1)[1]
    assert "No customer matches the search." in page(search(client, "maija%"))
    # The search words never go into a URL, and searching records no look-up.
    assert "q=" not in client.get(SEARCH).headers.get("Location", "") and look_ups(app, maija) == []


def test_data_is_shown_only_after_a_purpose_is_given(app, reviewer_client):
    client = reviewer_client
    switch_language(client, "en")
    maija = customer_id(app, MAIJA)
    path = f"/staff/customers/{maija}"
    asked = page(client.get(path))
    assert "Why do you need this customer's data?" in asked
    for value in (*MAIJA_DATA, MAIJA, "Meikäläinen"):
        assert value not in asked, f"{value} shown before the purpose"
    # Each refusal shows why next to the field, shows no data and records nothing.
    for data, message in (({}, "Choose why you need the data."),
                          ({"reason": "other", "note": "  "}, "Write the purpose. The customer sees it."),
                          ({"reason": "request", "request_reference": open_reference(app, MATTI)},
                           "Choose the request you are handling."),
                          ({"reason": "billing", "note": "x" * 201}, "Write at most 200 characters.")):
        refused = give_purpose(client, maija, **data)
        assert refused.status_code == 200 and message in page(refused), data
        assert MAIJA_DATA[0] not in page(refused)
    assert look_ups(app, maija) == []
    given = give_purpose(client, maija, reason="billing", note="Kopio laskusta L-2025-0877")
    assert given.status_code == 302 and given.headers["Location"].endswith(path)
    shown = page(client.get(path))
    assert all(value in shown for value in MAIJA_DATA)
    assert "A question about billing or an invoice: Kopio laskusta L-2025-0877" in shown
    # The request history links to each request's review page; staff see who looked.
    assert f'href="/staff/requests/{open_reference(app, MAIJA)}"' in shown
    assert STAFF_EMAIL in shown.split('id="lookups"', 1)[1]
    assert look_ups(app, maija) == [(account_id(app, STAFF_EMAIL), "reason:billing",
                                     {"reason": "billing", "reference": None,
                                      "note": "Kopio laskusta L-2025-0877"})]


def test_a_look_up_is_recorded_once_per_purpose_and_again_after_15_minutes(app, reviewer_client, monkeypatch):
    client = reviewer_client
    maija, reference = customer_id(app, MAIJA), open_reference(app, MAIJA)
    path = f"/staff/customers/{maija}"
    assert give_purpose(client, maija, reason="request", request_reference=reference).status_code == 302
    for _ in range(3):
        assert MAIJA_DATA[0] in page(client.get(path))
    assert [purpose for _, purpose, _ in look_ups(app, maija)] == [f"request:{reference}"]
    # Another staff member's session, or another browser, does not inherit the purpose.
    assert MAIJA_DATA[0] not in page(app.test_client().get(path))
    # Sixteen minutes later the purpose is asked again, and giving it is a new look-up.
    later = utcnow() + timedelta(minutes=16)
    monkeypatch.setattr("portal.staff.customers.utcnow", lambda: later)
    monkeypatch.setattr("portal.services.audit.utcnow", lambda: later)
    expired = page(client.get(path))
    assert MAIJA_DATA[0] not in expired and 'name="reason"' in expired
    assert len(look_ups(app, maija)) == 1
    assert give_purpose(client, maija, reason="customer_contact").status_code == 302
    assert MAIJA_DATA[0] in page(client.get(path))
    assert [purpose for _, purpose, _ in look_ups(app, maija)] == [f"request:{reference}",
                                                                   "reason:customer_contact"]


def test_an_unknown_customer_is_404(reviewer_client):
    assert reviewer_client.get("/staff/customers/999999").status_code == 404
    assert reviewer_client.get("/staff/customers/" + "9" * 30).status_code == 404
    token = csrf_token(reviewer_client, SEARCH)
    assert reviewer_client.post("/staff/customers/999999", data={"csrf_token": token,
                                                                  "reason": "billing"}).status_code == 404


def _flag(app, email: str, **values) -> None:
    with app.app_context():
        person = db.session.execute(select(Customer).where(Customer.email == email)).scalar_one()
        db.session.add(ProcessingFlag(customer=person, **values))
        db.session.commit()
        db.session.remove()


def test_restrictions_and_objections_are_shown_first(app, reviewer_client):
    client = reviewer_client
    switch_language(client, "en")
    matti = customer_id(app, MATTI)
    _flag(app, MATTI, kind="restriction", scope="all")
    _flag(app, MATTI, kind="objection", scope="purpose", purpose="Asiakastyytyväisyyskyselyt")
    _flag(app, MATTI, kind="objection", scope="marketing", lifted_at=utcnow())  # no longer in force
    give_purpose(client, matti, reason="customer_contact")
    shown = page(client.get(f"/staff/customers/{matti}"))
    restricted = "Processing restricted: use this data only to store it or for legal claims (Art 18)."
    assert restricted in shown
    assert shown.index(restricted) < shown.index("+358 50 333 4444")  # above the data itself
    assert ("Objection upheld for this purpose: Asiakastyytyväisyyskyselyt. "
            "Do not use this data for it (Art 21).") in shown
    assert "do not use this data for marketing" not in shown
    # Customers without flags get no warning.
    maija = customer_id(app, MAIJA)
    give_purpose(client, maija, reason="customer_contact")
    assert "Processing restricted" not in page(client.get(f"/staff/customers/{maija}"))


def test_administrators_may_look_up_customers_too(app, admin_client):
    pekka = customer_id(app, PEKKA)
    assert "Pekka Mallinen" in page(search(admin_client, "mallinen"))
    give_purpose(admin_client, pekka, reason="other", note="Perintätoimiston kysely")
    shown = page(admin_client.get(f"/staff/customers/{pekka}"))
    assert "Kuntopyörä" in shown and "Perintätoimiston kysely" in shown
    assert look_ups(app, pekka)[0][:2] == (account_id(app, ADMIN_EMAIL), "other")


def test_customers_are_refused_and_nothing_is_recorded(app, client, demo_queue):
    AuthActions(client).login(MAIJA, DEMO_PASSWORD)
    maija = customer_id(app, MAIJA)
    token = csrf_token(client, "/privacy")
    assert client.get(SEARCH).status_code == 403
    assert client.post(SEARCH, data={"csrf_token": token, "q": "Virtanen"}).status_code == 403
    assert client.get(f"/staff/customers/{maija}").status_code == 403
    assert client.post(f"/staff/customers/{maija}", data={"csrf_token": token,
                                                          "reason": "billing"}).status_code == 403
    assert look_ups(app, maija) == []


def test_hostile_input_changes_nothing_and_is_never_echoed_as_markup(app, reviewer_client):
    client = reviewer_client
    maija = customer_id(app, MAIJA)
    markup = '<script>alert("x")</script>'
    for value in (markup, "\x00", "ä" * 5000, "PR-1\x00", "' OR '1'='1", "%", "1" * 40):
        for response in (search(client, value),
                         give_purpose(client, maija, reason=value, note=value),
                         give_purpose(client, maija, reason="request", request_reference=value),
                         give_purpose(client, maija, reason="other", note=value + "\x07")):
            assert response.status_code < 500, value
            assert markup not in response.get_data(as_text=True)
    assert look_ups(app, maija) == []
