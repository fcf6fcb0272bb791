"""Staff decide requests: approve (effects carried out), deny with reasons, extend once, ask, note, record."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import Customer, PrivacyRequest, ProcessingFlag, RecipientNotice, RequestMessage, User
from portal.models.types import utcnow
from portal.services.requests import add_month, helsinki_date
from tests.conftest import AuthActions, csrf_token
from tests.functional.helpers import (
    MAIJA,
    MATTI,
    PEKKA,
    SANNA,
    audit_actions,
    page,
    sent_mail,
    switch_language,
)


def _request(app, email: str, kind: str, open_only: bool = True) -> PrivacyRequest:
    with app.app_context():
        rows = db.session.execute(
            select(PrivacyRequest).join(Customer).where(Customer.email == email, PrivacyRequest.kind == kind)
            .order_by(PrivacyRequest.id)).scalars().all()
        found = [r for r in rows if r.is_open or not open_only][-1]
        db.session.expunge_all()
        db.session.remove()
    return found


def _reload(app, request_id: int) -> PrivacyRequest:
    with app.app_context():
        found = db.session.get(PrivacyRequest, request_id)
        found.events, found.messages, found.notices  # noqa: B018 - load before detaching
        db.session.expunge_all()
        db.session.remove()
    return found


def _post(client, ref: str, action: str, **fields):
    token = csrf_token(client, f"/staff/requests/{ref}")
    data = {f"{action}-{name}": value for name, value in fields.items()}
    return client.post(f"/staff/requests/{ref}/{action}", data={**data, f"{action}-csrf_token": token})


def _customer(app, email: str) -> Customer:
    with app.app_context():
        found = db.session.execute(select(Customer).where(Customer.email == email)).scalar_one_or_none()
        db.session.expunge_all()
        db.session.remove()
    return found


def test_review_page_shows_the_request_and_records_the_look_up_once(app, reviewer_client):
    switch_language(reviewer_client, "en", "/staff/")
    req = _request(app, MAIJA, "correction")
    shown = page(reviewer_client.get(f"/staff/requests/{req.reference}"))
    assert req.reference in shown and "Koivukuja 5 B 12" in shown and "Koivukuja 3 A 5" in shown
    assert "Approve" in shown and "Extend the deadline" in shown
    reviewer_client.get(f"/staff/requests/{req.reference}")
    assert audit_actions(app).count("customer_viewed") == 1


def test_approving_a_correction_applies_it_and_tells_the_recipients(app, reviewer_client):
    req = _request(app, MAIJA, "correction")
    response = _post(reviewer_client, req.reference, "approve", version=req.version, reason="")
    assert response.status_code == 302
    maija = _customer(app, MAIJA)
    assert maija.phone == "+358401112233" and maija.street_address == "Koivukuja 5 B 12"
    decided = _reload(app, req.id)
    assert decided.status == "approved" and decided.decided_at is not None
    assert [e.status for e in decided.events] == ["pending", "in_review", "approved"]
    assert decided.decision_details["applied"] == ["phone", "street_address"]
    # Maija's data went to a billing service with no address on file: staff must tell them.
    assert [(n.recipient, n.method) for n in decided.notices] == [("Laskutuspalvelu Esimerkki Oy", "manual")]
    assert {"request_decided", "correction_applied", "recipient_notified"} <= set(audit_actions(app))
    assert any(m.to == [MAIJA] and req.reference in m.subject for m in sent_mail(app))


def test_approving_a_restriction_flags_the_customer_and_emails_the_recipient(app, reviewer_client):
    req = _request(app, MATTI, "restriction")
    assert _post(reviewer_client, req.reference, "approve", version=req.version).status_code == 302
    with app.app_context():
        [flag] = db.session.execute(select(ProcessingFlag)).scalars().all()
        assert (flag.kind, flag.scope, flag.request_id) == ("restriction", "marketing", req.id)
        [notice] = db.session.execute(select(RecipientNotice)).scalars().all()
        assert notice.method == "email"
        db.session.remove()
    [to_recipient] = [m for m in sent_mail(app) if m.to == ["asiakaspalvelu@luottotieto.example"]]
    assert req.reference in to_recipient.body and "Matti Virtanen" in to_recipient.body


def test_denial_needs_written_reasons(app, reviewer_client):
    switch_language(reviewer_client, "en", "/staff/")
    req = _request(app, MAIJA, "correction")
    refused = _post(reviewer_client, req.reference, "deny", version=req.version, reason="  ")
    assert refused.status_code == 400
    assert "Write the reasons: the customer's letter must give them." in page(refused)
    assert _reload(app, req.id).status == "pending"
    reason = "Postiosoite ei vastaa väestötietojärjestelmän tietoja."
    response = _post(reviewer_client, req.reference, "deny", version=req.version, reason=reason)
    assert response.status_code == 302
    denied = _reload(app, req.id)
    assert (denied.status, denied.decision_reason) == ("denied", reason)
    assert denied.decision_details["locale"] == "fi"
    assert _customer(app, MAIJA).phone == "+358 40 111 2222"
    [mail] = [m for m in sent_mail(app) if m.to == [MAIJA]]
    assert reason in mail.body and "Tietosuojavaltuutetun toimisto" in mail.body


def test_a_stale_page_cannot_decide(app, reviewer_client):
    switch_language(reviewer_client, "en", "/staff/")
    req = _request(app, MAIJA, "correction")
    _post(reviewer_client, req.reference, "note", body="Soitin asiakkaalle.")  # does not change the version
    with app.app_context():
        db.session.get(PrivacyRequest, req.id).assignee_id = None  # someone else saves the request
        db.session.get(PrivacyRequest, req.id).status = "in_review"
        db.session.commit()
        db.session.remove()
    response = _post(reviewer_client, req.reference, "approve", version=req.version)
    assert response.status_code == 302
    shown = page(reviewer_client.get(response.headers["Location"]))
    assert "Someone else changed this request at the same time. Check it and try again." in shown
    assert _reload(app, req.id).status == "in_review"
    assert _customer(app, MAIJA).phone == "+358 40 111 2222"


def test_extension_once_within_the_first_month_and_the_customer_is_told(app, reviewer_client):
    req = _request(app, MAIJA, "correction")
    reason = "Tarvitsemme lisäselvitystä osoitteenmuutoksesta."
    assert _post(reviewer_client, req.reference, "extend", version=req.version, months="2",
                 reason=reason).status_code == 302
    extended = _reload(app, req.id)
    assert extended.extended_due_on == add_month(req.due_on, 2) == extended.deadline
    assert extended.extension_reason == reason
    [mail] = [m for m in sent_mail(app) if m.to == [MAIJA]]
    assert reason in mail.body
    again = _post(reviewer_client, req.reference, "extend", version=extended.version, months="1", reason="x")
    assert again.status_code == 302 and _reload(app, req.id).extended_due_on == extended.extended_due_on
    assert audit_actions(app).count("request_extended") == 1


def test_extension_is_refused_after_the_first_month(app, reviewer_client):
    req = _request(app, "anna.testinen@esimerkki.example", "objection")  # received 40 days ago
    switch_language(reviewer_client, "en", "/staff/")
    response = _post(reviewer_client, req.reference, "extend", version=req.version, months="1", reason="Syy")
    shown = page(reviewer_client.get(response.headers["Location"]))
    assert "The deadline can be extended only during the first month." in shown
    assert _reload(app, req.id).extended_due_on is None


def test_clarification_reaches_the_customer_and_their_answer_the_reviewer(app, reviewer_client):
    req = _request(app, MAIJA, "correction")
    question = "Mistä lähtien uusi osoite on ollut voimassa?"
    assert _post(reviewer_client, req.reference, "clarify", body=question).status_code == 302
    assert any(m.to == [MAIJA] and req.reference in m.subject for m in sent_mail(app))
    customer = app.test_client()
    AuthActions(customer).login(MAIJA, "Esimerkki-demo-2026")
    assert question in page(customer.get(f"/account/requests/{req.reference}"))
    token = csrf_token(customer, f"/account/requests/{req.reference}")
    customer.post(f"/account/requests/{req.reference}/messages",
                  data={"body": "Syyskuun alusta.", "csrf_token": token})
    assert "Syyskuun alusta." in page(reviewer_client.get(f"/staff/requests/{req.reference}"))


def test_internal_note_is_not_shown_to_the_customer(app, reviewer_client):
    req = _request(app, MAIJA, "correction")
    _post(reviewer_client, req.reference, "note", body="Tarkistettava väestötiedoista.")
    with app.app_context():
        [note] = db.session.execute(select(RequestMessage).where(RequestMessage.internal)).scalars().all()
        assert note.body == "Tarkistettava väestötiedoista."
        db.session.remove()
    customer = app.test_client()
    AuthActions(customer).login(MAIJA, "Esimerkki-demo-2026")
    assert "Tarkistettava" not in page(customer.get(f"/account/requests/{req.reference}"))


def test_erasure_without_holds_erases_everything_and_closes_the_account(app, reviewer_client):
    from tests.scan import find_values

    sanna = _customer(app, SANNA)
    req = _request(app, SANNA, "erasure")
    assert _post(reviewer_client, req.reference, "approve", version=req.version).status_code == 302
    decided = _reload(app, req.id)
    assert decided.status == "approved" and decided.decision_details["erasure"]["complete"] is True
    assert any(m.to == [SANNA] and req.reference in m.subject for m in sent_mail(app))
    with app.app_context():
        assert db.session.execute(select(User).where(User.email == SANNA)).first() is None
        values = [sanna.first_name, sanna.last_name, SANNA, sanna.phone, sanna.ip_address, "+358509990000"]
        assert find_values(db.session, values) == []
        db.session.remove()
    assert AuthActions(app.test_client()).login(SANNA, "Esimerkki-demo-2026").status_code == 200  # refused
    assert "customer_erased" in audit_actions(app)


def test_erasure_with_a_collection_hold_is_partial_with_a_purge_date(app, reviewer_client):
    req = _request(app, PEKKA, "erasure")
    assert _post(reviewer_client, req.reference, "approve", version=req.version).status_code == 302
    decided = _reload(app, req.id)
    assert decided.status == "partially_approved"
    kept = {hold["code"] for hold in decided.decision_details["erasure"]["kept"]}
    assert "debt_collection" in kept
    with app.app_context():
        pekka = db.session.get(Customer, decided.customer_id)
        assert pekka.erased_at is not None and pekka.account is None
        assert [flag.kind for flag in pekka.active_flags] == ["erasure_hold"]
        db.session.remove()


def test_staff_record_a_request_received_by_phone_with_its_receipt_date(app, reviewer_client):
    switch_language(reviewer_client, "en", "/staff/")
    received = helsinki_date(utcnow()) - timedelta(days=5)
    token = csrf_token(reviewer_client, "/staff/requests/new")
    form = {"csrf_token": token, "customer": MATTI, "kind": "correction", "channel": "phone",
            "received_on": received.isoformat(), "field_1": "city", "value_1": "Espoo",
            "reason": "Muutti Espooseen", "reply_contact": ""}
    bad = reviewer_client.post("/staff/requests/new", data={**form, "value_1": "", "field_1": "phone",
                                                            "value_2": "12", "field_2": "phone"})
    assert bad.status_code == 400
    response = reviewer_client.post("/staff/requests/new", data=form)
    assert response.status_code == 302
    filed = _request(app, MATTI, "correction")
    assert (filed.channel, filed.due_on) == ("phone", add_month(received))
    assert filed.details["changes"] == [{"field": "city", "new": "Espoo"}]
    unknown = reviewer_client.post("/staff/requests/new", data={**form, "customer": "nobody@example.com"})
    assert unknown.status_code == 400
    assert "No customer with that email address or customer number." in page(unknown)


@pytest.mark.parametrize("path", ["/staff/requests/PR-2026-999999", "/staff/requests/not-a-reference"])
def test_unknown_reference_is_404(reviewer_client, path):
    assert reviewer_client.get(path).status_code == 404
