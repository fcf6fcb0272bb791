"""Erasure (Art 17): the account closes, request evidence stays with the person's words blanked,
held data stays minimised and flagged until the hold ends, mail about the person is not sent,
and the audit entry names codes only."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from portal.demo import DEMO_PASSWORD
from portal.extensions import db as _db
from portal.models import (
    AuditEvent,
    Customer,
    DataSource,
    Disclosure,
    Invoice,
    MarketingChange,
    MarketingProhibition,
    MarketingSuppression,
    Order,
    OutboxMessage,
    PrivacyRequest,
    ProcessingFlag,
    Quote,
    RecipientNotice,
    RequestEvent,
    RequestMessage,
    User,
    UserSession,
    roles_users,
)
from portal.services.audit import verify_chain
from portal.services.erasure import (
    CUSTOMER_FIELDS,
    HISTORY,
    UNTOUCHED_FIELDS,
    ErasureResult,
    erase_customer,
    purge_kept,
    suppression_key,
)
from portal.services.holds import HoldCode, Item
from portal.services.marketing import is_suppressed, set_prohibitions
from portal.services.outbox import queue_raw, recipient_hash
from tests.factories import (
    CustomerFactory,
    DataSourceFactory,
    DisclosureFactory,
    InvoiceFactory,
    OrderFactory,
    UserFactory,
)
from tests.functional.helpers import SANNA
from tests.scan import find_values

TODAY = date(2026, 6, 1)


@pytest.fixture
def staff(db):
    """A reviewer who approves the erasures."""
    user = UserFactory(customer=None, roles=["reviewer"])
    db.session.commit()
    return user


def person(**values) -> Customer:
    """A customer with a log-in account and the values given."""
    user = UserFactory(customer=CustomerFactory(**values))
    return user.customer


def filed(customer: Customer, kind: str, details: dict, *, reply_contact: str | None = None,
          status: str = "pending", **values) -> PrivacyRequest:
    """A request as the service files it: reference, due date and first event."""
    request = PrivacyRequest(customer=customer, kind=kind, details=details, status=status,
                             reply_contact=reply_contact, due_on=date(2026, 6, 4),
                             received_at=datetime(2026, 5, 4, 9, tzinfo=UTC), **values)
    request.events.append(RequestEvent(status="pending", actor_kind="customer"))
    _db.session.add(request)
    _db.session.flush()
    request.reference = f"PR-2026-{request.id:06d}"
    return request


def count(model, *where) -> int:
    """Rows of `model` matching `where`."""
    return _db.session.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


def erase(customer: Customer, staff, today: date = TODAY, request=None) -> ErasureResult:
    """Erase and commit, as the staff decision does."""
    result = erase_customer(_db.session, customer, actor=staff, today=today, request=request)
    _db.session.commit()
    return result


def audit_of(action: str) -> list[AuditEvent]:
    """The audit events of `action`, oldest first."""
    return list(_db.session.execute(select(AuditEvent).where(AuditEvent.action == action)
                                    .order_by(AuditEvent.id)).scalars())


# --- what the rules cover -------------------------------------------------------------------

def test_every_customer_column_is_erased_or_kept_for_a_stated_reason():
    covered = {name for names in CUSTOMER_FIELDS.values() for name in names}
    assert covered.isdisjoint(UNTOUCHED_FIELDS)
    assert covered | set(UNTOUCHED_FIELDS) == set(Customer.__table__.columns.keys())
    assert set(CUSTOMER_FIELDS) | set(HISTORY) == set(Item)


# --- the account ----------------------------------------------------------------------------

def test_account_and_sessions_go_and_logging_in_fails(app, client, auth, demo):
    assert auth.login(SANNA, DEMO_PASSWORD).status_code == 302
    assert client.get("/account").status_code == 200
    with app.app_context():
        sanna = _db.session.execute(select(Customer).where(Customer.email == SANNA)).scalar_one()
        account_id = sanna.account.id
        assert count(UserSession, UserSession.user_id == account_id) == 1
        result = erase(sanna, None)
        assert result.complete
        assert count(User, User.id == account_id) == 0
        assert count(UserSession, UserSession.user_id == account_id) == 0
        assert count(roles_users, roles_users.c.user_id == account_id) == 0
        _db.session.remove()
    # The open session stops working, and the old password opens nothing.
    assert client.get("/account").status_code == 302
    assert auth.login(SANNA, DEMO_PASSWORD).status_code == 200
    assert client.get("/account").status_code == 302


# --- requests -------------------------------------------------------------------------------

def test_requests_stay_as_evidence_with_the_persons_words_blanked(db, staff):
    customer = person(email="rauni.rekisteri@testi.example")
    correction = filed(customer, "correction", {
        "changes": [{"field": "email", "new": "rauni.uusi@testi.example"},
                    {"field": "street_address", "new": "Rauninkatu 4"}],
        "reason": "Muutin Rauninkadulle", "email_confirmation": {"confirmed_at": None}},
        reply_contact="rauni.vastaus@testi.example", status="denied",
        decision_reason="Rauni ei toimittanut todistusta.",
        decision_details={"outcome": "denied", "locale": "fi"},
        extended_due_on=date(2026, 8, 4), deadline=date(2026, 8, 4),
        extension_reason="Odotamme Raunin todistusta.")
    correction.messages.append(RequestMessage(author_kind="customer", body="Soittakaa Raunille"))
    correction.messages.append(RequestMessage(author_kind="staff", body="Rauni soitti", internal=True))
    correction.events.append(RequestEvent(status="denied", actor_kind="staff", note="Rauni soitti"))
    objection = filed(customer, "objection", {"scope": "purpose", "purpose": "Raunin kyselyt",
                                              "reason": "En halua"}, status="approved",
                      decision_details={"outcome": "approved",
                                        "flag": {"scope": "purpose", "purpose": "Raunin kyselyt"}})
    erasure = filed(customer, "erasure", {"reason": "Rauni lähtee", "holds_shown": []})
    before = {r.id: (r.reference, r.kind, r.status, r.received_at, r.due_on, r.extended_due_on)
              for r in (correction, objection, erasure)}
    db.session.commit()

    assert erase(customer, staff, request=erasure).complete
    db.session.expire_all()
    for request in (correction, objection, erasure):
        assert (request.reference, request.kind, request.status, request.received_at, request.due_on,
                request.extended_due_on) == before[request.id]
        assert request.customer_id == customer.id
        assert request.reply_contact is None and request.decision_reason is None
        assert request.extension_reason is None
    assert correction.details == {
        "changes": [{"field": "email", "new": ""}, {"field": "street_address", "new": ""}],
        "reason": "", "email_confirmation": {"confirmed_at": None}}
    assert objection.details == {"scope": "purpose", "purpose": "", "reason": ""}
    assert objection.decision_details == {"outcome": "approved", "flag": {"scope": "purpose", "purpose": ""}}
    assert erasure.details == {"reason": "", "holds_shown": []}
    assert [m.body for m in correction.messages] == ["", ""]
    assert [e.status for e in correction.events] == ["pending", "denied"]
    assert [e.note for e in correction.events] == [None, None]
    assert find_values(db.session, ["Rauni", "rekisteri@testi"]) == []


def test_partial_erasure_keeps_the_decision_reasons(db, staff):
    customer = person()
    InvoiceFactory(customer=customer, status="open")
    denied = filed(customer, "restriction", {"scope": "all", "purpose": "", "reason": "Koska"},
                   status="denied", decision_reason="Lasku on avoinna.")
    db.session.commit()
    assert not erase(customer, staff).complete
    assert denied.decision_reason == "Lasku on avoinna."
    assert denied.details["reason"] == ""


# --- holds ----------------------------------------------------------------------------------

def test_open_invoice_keeps_invoices_orders_name_and_address_and_flags_them(db, staff):
    customer = person(first_name="Ilmari", last_name="Laskunen", email="ilmari@testi.example",
                      phone="+358 40 765 4321", organisation="Laskunen Oy", ip_address="192.0.2.99",
                      technical_data="Asiakasnumero 991", billing_address="PL 9, 00100 Helsinki",
                      street_address="Laskukuja 1", postal_code="00100", city="Helsinki")
    invoice = InvoiceFactory(customer=customer, status="open", issued_on=date(2025, 2, 3))
    order = OrderFactory(customer=customer, ordered_on=date(2025, 2, 3))
    db.session.add(Quote(customer=customer, number="TA-TEST-1", issued_on=date(2025, 1, 2),
                         valid_until=date(2025, 2, 2), description="Tarjous", total_cents=100))
    DataSourceFactory(customer=customer, detail="Laskusen tilaus")
    request = filed(customer, "erasure", {"reason": "", "holds_shown": []})
    db.session.commit()

    result = erase(customer, staff, request=request)

    assert not result.complete
    assert [hold.code for hold in result.kept] == [
        HoldCode.OPEN_INVOICES, HoldCode.ACCOUNTING_BOOKS, HoldCode.ACCOUNTING_VOUCHERS]
    assert result.erased == (Item.CONTACT, Item.ORGANISATION, Item.QUOTES, Item.TECHNICAL, Item.SOURCES)
    assert result.purge_on == date(2035, 12, 31)
    assert result.as_json() == {
        "complete": False, "erased": ["contact", "organisation", "quotes", "technical", "sources"],
        "kept": [{"code": "open_invoices", "until": None, "until_event": "invoices_paid",
                  "invoices": [invoice.number]},
                 {"code": "accounting_books", "until": "2035-12-31", "until_event": None, "invoices": []},
                 {"code": "accounting_vouchers", "until": "2031-12-31", "until_event": None, "invoices": []}],
        "purge_on": "2035-12-31"}
    json.dumps(result.as_json())
    db.session.expire_all()
    # Kept: what the accounting and the open invoice need.
    assert (customer.first_name, customer.last_name) == ("Ilmari", "Laskunen")
    assert (customer.street_address, customer.city, customer.billing_address) == (
        "Laskukuja 1", "Helsinki", "PL 9, 00100 Helsinki")
    assert [i.id for i in customer.invoices] == [invoice.id] and [o.id for o in customer.orders] == [order.id]
    # Gone: everything else.
    assert customer.email == f"erased-{customer.id}@erased.invalid"
    assert (customer.phone, customer.organisation, customer.ip_address, customer.technical_data) == (
        None, None, None, None)
    assert customer.quotes == [] and customer.sources == [] and customer.account is None
    assert customer.erased_at is not None and customer.purge_on == date(2035, 12, 31)
    [flag] = customer.active_flags
    assert (flag.kind, flag.scope, flag.request_id) == ("erasure_hold", "all", request.id)


def test_contact_person_hold_keeps_name_contact_and_organisation_until_the_role_ends(db, staff):
    customer = person(first_name="Kaisa", last_name="Yhteyshenkilö", email="kaisa@yhtio.example",
                      organisation="Yhtiö Oy", position="Ostaja", business_id="2345678-0",
                      street_address="Kotikatu 5", is_contact_person=True)
    db.session.commit()

    result = erase(customer, staff)

    assert [hold.code for hold in result.kept] == [HoldCode.CONTACT_PERSON]
    assert result.purge_on is None and not result.complete
    assert (customer.first_name, customer.email, customer.organisation, customer.position,
            customer.business_id, customer.is_contact_person) == (
        "Kaisa", "kaisa@yhtio.example", "Yhtiö Oy", "Ostaja", "2345678-0", True)
    assert customer.street_address is None and customer.account is None
    assert [f.kind for f in customer.active_flags] == ["erasure_hold"]
    assert purge_kept(db.session, today=TODAY) == []  # the role goes on: nothing to release

    customer.is_contact_person = False  # the company tells us the role has ended
    db.session.commit()
    assert purge_kept(db.session, today=TODAY) == [customer.id]
    db.session.commit()
    db.session.expire_all()
    assert (customer.first_name, customer.last_name, customer.organisation, customer.position) == (
        "", "", None, None)
    assert customer.email == f"erased-{customer.id}@erased.invalid"
    assert customer.flags == [] and customer.purge_on is None
    assert [json.loads(e.details)["complete"] for e in audit_of("customer_erased")] == [False, True]
    assert find_values(db.session, ["Kaisa", "Yhtiö Oy", "Ostaja"]) == []


def test_purge_kept_releases_each_part_as_its_hold_ends(db, staff):
    customer = person(first_name="Paavo", last_name="Maksaja", street_address="Maksutie 3",
                      billing_address="Paavo Maksaja, Maksutie 3")
    invoice = InvoiceFactory(customer=customer, status="open", issued_on=date(2025, 2, 3))
    OrderFactory(customer=customer, ordered_on=date(2025, 2, 3))
    db.session.commit()
    assert erase(customer, staff).purge_on == date(2035, 12, 31)

    invoice.status, invoice.paid_on = "paid", date(2026, 7, 1)
    db.session.commit()
    # Paid: the accounting holds still need what the open-invoice hold kept.
    assert purge_kept(db.session, today=date(2026, 7, 2)) == []
    # Vouchers kept 6 years: the address goes after 2031, the books stay until 2035 ends.
    assert purge_kept(db.session, today=date(2031, 12, 31)) == []
    assert purge_kept(db.session, today=date(2032, 1, 1)) == [customer.id]
    db.session.commit()
    db.session.expire_all()
    assert (customer.street_address, customer.billing_address, customer.first_name) == (None, None, "Paavo")
    assert count(Invoice, Invoice.customer_id == customer.id) == 1
    assert purge_kept(db.session, today=date(2036, 1, 1)) == [customer.id]
    db.session.commit()
    db.session.expire_all()
    assert count(Invoice, Invoice.customer_id == customer.id) == 0
    assert count(Order, Order.customer_id == customer.id) == 0
    assert (customer.first_name, customer.flags, customer.purge_on) == ("", [], None)
    assert purge_kept(db.session, today=date(2036, 1, 2)) == []  # nothing left to purge
    assert verify_chain(db.session).ok


# --- marketing, provenance, flags ------------------------------------------------------------

def test_prohibitions_survive_as_a_suppression_and_the_history_goes(db, staff):
    customer = person(email="mainos.kielto@testi.example", phone="040 555 1234")
    set_prohibitions(db.session, customer, {"direct_marketing", "catalogues"}, changed_by="customer")
    db.session.add(ProcessingFlag(customer_id=customer.id, kind="objection", scope="purpose",
                                  purpose="Kyselyt numeroon 040 555 1234"))
    DataSourceFactory(customer=customer)
    disclosure = DisclosureFactory(customer=customer)
    db.session.flush()
    request = filed(customer, "erasure", {"reason": "", "holds_shown": []})
    notice = RecipientNotice(request=request, disclosure_id=disclosure.id, recipient=disclosure.recipient,
                             method="email")
    db.session.add(notice)
    db.session.commit()

    erase(customer, staff, request=request)

    key = suppression_key(db.session)
    assert is_suppressed(db.session, key, email="Mainos.Kielto@testi.example", channel="catalogues")
    assert is_suppressed(db.session, key, phone="+358405551234", channel="direct_marketing")
    assert not is_suppressed(db.session, key, email="mainos.kielto@testi.example", channel="market_research")
    for model in (MarketingChange, MarketingProhibition, DataSource, Disclosure, ProcessingFlag):
        assert count(model, model.customer_id == customer.id) == 0, model
    assert (notice.recipient, notice.disclosure_id) == ("Perintätesti Oy", None)


def test_a_second_erasure_changes_nothing_and_does_not_fail(db, staff):
    customer = person()
    set_prohibitions(db.session, customer, {"catalogues"}, changed_by="customer")
    InvoiceFactory(customer=customer, status="collection")
    db.session.commit()
    first = erase(customer, staff)
    erased_at = customer.erased_at
    second = erase(customer, staff)
    assert second == first
    assert customer.erased_at == erased_at
    assert count(ProcessingFlag, ProcessingFlag.customer_id == customer.id) == 1
    assert count(MarketingSuppression) == 1
    assert verify_chain(db.session).ok


def test_a_request_of_someone_else_is_refused(db, staff):
    customer, other = person(), person()
    request = filed(other, "erasure", {"reason": "", "holds_shown": []})
    db.session.commit()
    with pytest.raises(ValueError):
        erase_customer(db.session, customer, actor=staff, today=TODAY, request=request)


# --- mail and audit -------------------------------------------------------------------------

def test_unsent_mail_to_or_about_the_person_is_deleted(db, staff):
    customer = person(first_name="Outi", last_name="Postinen", email="outi@testi.example",
                      phone="+358 40 111 9999")
    customer.account.email = "outi.tunnus@testi.example"
    request = filed(customer, "restriction", {"scope": "all", "purpose": "", "reason": "x"},
                    reply_contact="outi.vastaus@testi.example")
    db.session.commit()

    def mail(recipient: str, body: str = "Hei", status: str = "pending") -> OutboxMessage:
        message = queue_raw(db.session, recipient=recipient, subject="Aihe", body_text=body,
                            body_html=None, kind="test")
        message.status = status
        return message

    doomed = [mail("outi@testi.example"), mail("OUTI.TUNNUS@testi.example"),
              mail("outi.vastaus@testi.example", status="failed"),
              mail("perinta@perinta.example", "Asiakas Outi Postinen, puh. +358 40 111 9999"),
              mail("perinta@perinta.example", "Puhelin +358401119999")]
    kept = [mail("maija@testi.example", "Hei Maija"),
            mail(recipient_hash("outi@testi.example"), "", status="sent")]
    db.session.commit()
    doomed_ids, kept_ids = [m.id for m in doomed], [m.id for m in kept]

    erase(customer, staff, request=request)

    assert count(OutboxMessage, OutboxMessage.id.in_(doomed_ids)) == 0
    assert count(OutboxMessage, OutboxMessage.id.in_(kept_ids)) == 2


def test_audit_entry_names_codes_only_and_the_chain_still_verifies(db, staff):
    customer = person(first_name="Aino", last_name="Auditoitava", email="aino@testi.example")
    InvoiceFactory(customer=customer, status="collection", number="L-AUDIT-1")
    set_prohibitions(db.session, customer, {"catalogues"}, changed_by="customer")
    request = filed(customer, "erasure", {"reason": "Aino haluaa pois", "holds_shown": []})
    db.session.commit()
    events_before = [(e.id, e.hash) for e in db.session.execute(select(AuditEvent)).scalars()]

    erase(customer, staff, request=request)

    [event] = audit_of("customer_erased")
    assert (event.customer_id, event.actor_id, event.actor_kind) == (customer.id, staff.id, "staff")
    assert json.loads(event.details) == {
        "reference": request.reference, "complete": False,
        "kept": ["debt_collection", "accounting_books", "accounting_vouchers"]}
    assert [(e.id, e.hash) for e in db.session.execute(
        select(AuditEvent).where(AuditEvent.id <= events_before[-1][0])).scalars()] == events_before
    assert not [hit for hit in find_values(db.session, ["Aino", "Auditoitava", "aino@testi"])
                if hit[0] == "audit_event"]
    assert verify_chain(db.session).ok


def test_purge_by_the_retention_job_is_audited_as_the_system(db, staff):
    customer = person(is_contact_person=True)
    db.session.commit()
    erase(customer, staff)
    customer.is_contact_person = False
    db.session.commit()
    purge_kept(db.session, today=TODAY)
    db.session.commit()
    last = audit_of("customer_erased")[-1]
    assert (last.actor_kind, last.actor_id, json.loads(last.details)) == (
        "system", None, {"reference": None, "complete": True, "kept": []})
