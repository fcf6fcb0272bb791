"""The rules of data subject requests: due dates, references, holds, values, duplicates, one transaction."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from portal.extensions import db as _db
from portal.models import AuditEvent, Customer, OutboxMessage, PrivacyRequest, RequestEvent
from portal.services import email_confirmation as confirmation
from portal.services import requests as service
from portal.services.email_confirmation import Confirmed
from portal.services.holds import HoldCode, Item, Until, end_of_year_plus, erasure_holds
from portal.services.invitations import Signer
from portal.services.requests import (
    Correction,
    Erasure,
    FieldChange,
    InvalidValue,
    Scoped,
    add_month,
)
from portal.services.values import normalise_value
from tests.factories import CustomerFactory, InvoiceFactory, OrderFactory, UserFactory

SIGNER = Signer("unit-test-secret-key-0123456789abcdef", 7 * 86400)


@pytest.fixture
def session(app):
    """The app's session inside a request context on the public address (emails build links)."""
    with app.test_request_context(base_url=app.config["PORTAL_BASE_URL"]):
        yield _db.session
        _db.session.remove()


@pytest.fixture
def maija(session):
    """A customer with an account (Finnish) and nothing else."""
    user = UserFactory(customer__first_name="Maija", customer__email="maija@testi.example")
    session.commit()
    return user


def _count(session, model) -> int:
    return session.execute(select(func.count()).select_from(model)).scalar_one()


def _erasure(session, user, **kwargs) -> PrivacyRequest:
    return service.submit_request(session, user.customer, "erasure", Erasure("Haluan pois"),
                                  reply_contact=user.email, actor=user, **kwargs)


# --- the deadline: one calendar month (Art 12(3)) ---------------------------------------------

@pytest.mark.parametrize(("received", "due"), [
    (date(2026, 1, 15), date(2026, 2, 15)),
    (date(2026, 1, 31), date(2026, 2, 28)),
    (date(2028, 1, 31), date(2028, 2, 29)),
    (date(2026, 3, 31), date(2026, 4, 30)),
    (date(2026, 12, 31), date(2027, 1, 31)),
    (date(2026, 8, 31), date(2026, 9, 30)),
])
def test_due_date_is_one_calendar_month_later(received, due):
    assert add_month(received) == due


def test_add_month_adds_several_months_across_years():
    assert add_month(date(2026, 11, 30), 3) == date(2027, 2, 28)
    assert add_month(date(2026, 5, 20), 12) == date(2027, 5, 20)


def test_receipt_date_is_the_finnish_calendar_date(session, maija):
    # 22:30 UTC on 31 January is already 1 February in Helsinki.
    request = _erasure(session, maija, received_at=datetime(2026, 1, 31, 22, 30, tzinfo=UTC))
    assert request.due_on == date(2026, 3, 1)
    assert request.reference.startswith("PR-2026-")


# --- filing ------------------------------------------------------------------------------

def test_submit_writes_request_event_audit_and_email_together(session, maija):
    request = _erasure(session, maija, received_at=datetime(2026, 11, 2, 9, 0, tzinfo=UTC))
    session.expire_all()
    stored = session.execute(select(PrivacyRequest)).scalar_one()
    assert stored.reference == f"PR-2026-{stored.id:06d}"
    assert (stored.status, stored.kind, stored.channel) == ("pending", "erasure", "portal")
    assert stored.due_on == date(2026, 12, 2)
    assert [(e.status, e.actor_kind, e.actor_id) for e in stored.events] == [
        ("pending", "customer", maija.id)]
    audit = session.execute(select(AuditEvent).where(AuditEvent.action == "request_submitted")).scalar_one()
    assert json.loads(audit.details) == {"reference": request.reference, "kind": "erasure"}
    assert audit.customer_id == maija.customer_id
    mail = session.execute(select(OutboxMessage)).scalar_one()
    assert mail.kind == "request_received" and mail.recipient == maija.email
    assert request.reference in mail.subject


def test_the_audit_entry_holds_no_personal_values(session, maija):
    service.submit_request(session, maija.customer, "correction",
                           Correction((FieldChange("city", "Lahti"),), "Muutin Lahteen"),
                           reply_contact=maija.email, actor=maija)
    details = session.execute(select(AuditEvent.details).where(
        AuditEvent.action == "request_submitted")).scalar_one()
    assert "Lahti" not in details and "Muutin" not in details and "city" not in details


def test_a_failing_email_rolls_the_whole_request_back(session, maija, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("template missing")

    monkeypatch.setattr(service, "queue_email", broken)
    with pytest.raises(RuntimeError):
        _erasure(session, maija)
    session.rollback()
    assert _count(session, PrivacyRequest) == 0
    assert _count(session, AuditEvent) == 0


def test_second_open_request_of_the_same_kind_is_refused(session, maija):
    first = _erasure(session, maija)
    with pytest.raises(service.DuplicateRequest) as refused:
        _erasure(session, maija)
    session.rollback()
    assert refused.value.reference == first.reference
    assert _count(session, PrivacyRequest) == 1


def test_a_closed_request_does_not_block_a_new_one(session, maija):
    first = _erasure(session, maija)
    service.cancel_request(session, first, actor=maija)
    second = _erasure(session, maija)
    assert second.reference != first.reference


def test_correction_is_refused_only_when_fields_overlap(session, maija):
    def correct(*changes):
        return service.submit_request(session, maija.customer, "correction",
                                      Correction(tuple(FieldChange(f, v) for f, v in changes), "Väärin"),
                                      reply_contact=maija.email, actor=maija)

    first = correct(("city", "Lahti"), ("postal_code", "15100"))
    correct(("phone", "040 765 4321"))
    with pytest.raises(service.DuplicateRequest) as refused:
        correct(("first_name", "Maria"), ("city", "Espoo"))
    session.rollback()
    assert refused.value.reference == first.reference
    assert refused.value.fields == ("city",)
    assert _count(session, PrivacyRequest) == 2


def test_other_kinds_do_not_block_each_other(session, maija):
    _erasure(session, maija)
    for kind in ("restriction", "objection"):
        service.submit_request(session, maija.customer, kind, Scoped("marketing", "Ei kiitos"),
                               reply_contact=maija.email, actor=maija)
    assert _count(session, PrivacyRequest) == 3


def test_details_must_fit_the_kind(session, maija):
    with pytest.raises(ValueError, match="do not fit"):
        service.submit_request(session, maija.customer, "erasure", Scoped("all", "x"),
                               reply_contact=maija.email, actor=maija)
    with pytest.raises(ValueError, match="unknown request kind"):
        service.submit_request(session, maija.customer, "portability", Erasure(),
                               reply_contact=maija.email, actor=maija)


def test_purpose_is_required_only_for_a_described_purpose(session, maija):
    with pytest.raises(InvalidValue) as refused:
        service.submit_request(session, maija.customer, "objection", Scoped("purpose", "Syy"),
                               reply_contact=maija.email, actor=maija)
    assert (refused.value.code, refused.value.field) == ("required", "purpose")
    request = service.submit_request(session, maija.customer, "objection",
                                     Scoped("all", "Syy", purpose="ignored"),
                                     reply_contact=maija.email, actor=maija)
    assert request.details == {"scope": "all", "purpose": "", "reason": "Syy"}


def test_staff_can_file_a_phone_request_with_a_past_receipt(session, maija):
    staff = UserFactory(customer=None, roles=["reviewer"])
    session.commit()
    request = service.submit_request(session, maija.customer, "restriction", Scoped("all", "Soitti"),
                                     reply_contact="040 123 4567", actor=staff, channel="phone",
                                     received_at=datetime(2026, 10, 1, 8, tzinfo=UTC))
    assert request.events[0].actor_kind == "staff"
    assert request.due_on == date(2026, 11, 1)
    # A phone number cannot be emailed: the confirmation goes to the customer's address.
    assert session.execute(select(OutboxMessage.recipient)).scalar_one() == maija.email


def test_inputs_keep_personal_data_out_of_repr():
    shown = repr(Correction((FieldChange("email", "salainen@testi.example"),), "salainen syy"))
    assert "salainen" not in shown and "email" in shown
    assert "salainen" not in repr(Scoped("purpose", "salainen", "salainen"))
    assert "salainen" not in repr(Erasure("salainen"))


# --- values ------------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "typed", "stored"), [
    ("email", "Maija.Uusi@Testi.Example", "Maija.Uusi@testi.example"),
    ("phone", "040 123 4567", "+358401234567"),
    ("phone", "+46 70 123 45 67", "+46701234567"),
    ("phone", "09 123 4567", "+35891234567"),
    ("business_id", "12345671", "1234567-1"),
    ("business_id", " 1234567-1 ", "1234567-1"),
    ("postal_code", "00 100", "00100"),
    ("website", "www.example.fi", "https://www.example.fi"),
    ("website", "http://example.fi/a", "http://example.fi/a"),
    ("e_invoice_address", "0037 1234 5671", "003712345671"),
    ("e_invoice_address", "FI21 1234 5600 0007 85", "FI2112345600000785"),
    ("city", "  Hämeenlinna ", "Hämeenlinna"),
])
def test_values_are_stored_normalised(name, typed, stored):
    assert normalise_value(name, typed) == stored


@pytest.mark.parametrize(("name", "typed", "code"), [
    ("email", "maija@", "email"),
    ("email", "maija meikalainen@testi.example", "email"),
    ("phone", "12", "phone"),
    ("phone", "+358 40", "phone"),
    ("phone", "puhelin", "phone"),
    ("business_id", "1234567-2", "business_id"),
    ("business_id", "123", "business_id"),
    ("postal_code", "1234", "postal_code"),
    ("postal_code", "ABCDE", "postal_code"),
    ("website", "not a site", "website"),
    ("e_invoice_address", "003712345672", "e_invoice_address"),
    ("city", "", "required"),
    ("city", "a" * 101, "too_long"),
    ("city", "Lahti\x00", "control_characters"),
    ("street_address", "Katu 1\nB 2", "control_characters"),
    ("ip_address", "192.0.2.1", "unknown_field"),
])
def test_invalid_values_are_refused_with_a_code(name, typed, code):
    with pytest.raises(InvalidValue) as refused:
        normalise_value(name, typed)
    assert refused.value.code == code


def test_postal_codes_abroad_are_not_finnish_digits():
    assert normalise_value("postal_code", "sw1a 1aa", country="GB") == "SW1A 1AA"
    with pytest.raises(InvalidValue):
        normalise_value("postal_code", "SW1A 1AA", country="FI")


def test_the_value_held_now_is_not_a_correction(session, maija):
    with pytest.raises(InvalidValue) as refused:
        service.normalise_change(maija.customer, "email", maija.customer.email.upper())
    assert refused.value.code == "unchanged"


def test_an_invalid_value_saves_nothing(session, maija):
    with pytest.raises(InvalidValue):
        service.submit_request(session, maija.customer, "correction",
                               Correction((FieldChange("phone", "12"),), "Väärin"),
                               reply_contact=maija.email, actor=maija)
    session.rollback()
    assert _count(session, PrivacyRequest) == 0 and _count(session, OutboxMessage) == 0


# --- erasure holds -------------------------------------------------------------------------

def test_accounting_periods_run_from_the_end_of_the_year():
    assert end_of_year_plus(2025, 10) == date(2035, 12, 31)
    assert end_of_year_plus(2025, 6) == date(2031, 12, 31)


def test_no_history_no_role_means_no_holds(session):
    customer = CustomerFactory()
    assessment = erasure_holds(customer, date(2026, 11, 22))
    assert assessment.holds == () and assessment.everything_now
    assert set(assessment.erasable) == set(Item)


def test_paid_invoice_keeps_books_ten_and_vouchers_six_years(session):
    customer = CustomerFactory()
    InvoiceFactory(customer=customer, issued_on=date(2025, 8, 15), status="paid", paid_on=date(2025, 8, 20))
    OrderFactory(customer=customer, ordered_on=date(2024, 3, 2))
    holds = {h.code: h for h in erasure_holds(customer, date(2026, 11, 22)).holds}
    assert set(holds) == {HoldCode.ACCOUNTING_BOOKS, HoldCode.ACCOUNTING_VOUCHERS}
    assert holds[HoldCode.ACCOUNTING_BOOKS].until == date(2035, 12, 31)
    assert holds[HoldCode.ACCOUNTING_VOUCHERS].until == date(2031, 12, 31)


def test_expired_accounting_periods_hold_nothing(session):
    customer = CustomerFactory()
    OrderFactory(customer=customer, ordered_on=date(2018, 5, 5))
    codes = [h.code for h in erasure_holds(customer, date(2026, 11, 22)).holds]
    assert codes == [HoldCode.ACCOUNTING_BOOKS]  # vouchers ended 31.12.2024, books run to 2028
    assert erasure_holds(customer, date(2029, 1, 1)).holds == ()


def test_open_invoice_and_collection_hold_until_an_event(session):
    customer = CustomerFactory()
    InvoiceFactory(customer=customer, number="L-1", status="open")
    InvoiceFactory(customer=customer, number="L-2", status="collection")
    holds = {h.code: h for h in erasure_holds(customer, date(2026, 11, 22)).holds}
    assert holds[HoldCode.OPEN_INVOICES].until_event == Until.INVOICES_PAID
    assert holds[HoldCode.OPEN_INVOICES].invoices == ("L-1",)
    assert holds[HoldCode.DEBT_COLLECTION].until_event == Until.COLLECTION_ENDED
    assert holds[HoldCode.DEBT_COLLECTION].until is None


def test_contact_person_role_holds_work_contact_details(session):
    customer = CustomerFactory(is_contact_person=True)
    [hold] = erasure_holds(customer, date(2026, 11, 22)).holds
    assert hold.code == HoldCode.CONTACT_PERSON and hold.until_event == Until.ROLE_ENDED
    assessment = erasure_holds(customer, date(2026, 11, 22))
    assert Item.ORGANISATION not in assessment.erasable and Item.TECHNICAL in assessment.erasable
    assert assessment.erasable_now and not assessment.everything_now


def test_erasure_request_records_the_holds_the_customer_was_shown(session, maija):
    InvoiceFactory(customer=maija.customer, number="L-9", status="collection")
    session.commit()
    request = _erasure(session, maija)
    assert request.details["holds_shown"][0] == {
        "code": "debt_collection", "until": None, "until_event": "collection_ended", "invoices": ["L-9"]}


# --- cancelling and messages ---------------------------------------------------------------

def test_cancel_appends_an_event_audits_and_emails(session, maija):
    request = _erasure(session, maija)
    service.cancel_request(session, request, actor=maija)
    assert request.status == "cancelled"
    assert [e.status for e in request.events] == ["pending", "cancelled"]
    last_action = session.execute(select(AuditEvent.action).order_by(AuditEvent.id.desc())).first()[0]
    assert last_action == "request_cancelled"
    kinds = session.execute(select(OutboxMessage.kind).order_by(OutboxMessage.id)).scalars().all()
    assert kinds == ["request_received", "request_cancelled"]


def test_only_a_pending_request_can_be_cancelled(session, maija):
    request = _erasure(session, maija)
    request.status = "in_review"
    session.commit()
    with pytest.raises(service.NotCancellable):
        service.cancel_request(session, request, actor=maija)
    assert _count(session, RequestEvent) == 1


def test_cancel_loses_to_a_reviewer_who_got_there_first(session, maija, app):
    request = _erasure(session, maija)
    # A reviewer's session takes the request into review meanwhile.
    other = _db.session.session_factory()
    theirs = other.get(PrivacyRequest, request.id)
    theirs.status = "in_review"
    other.commit()
    other.close()
    with pytest.raises(service.RequestChanged):
        service.cancel_request(session, request, actor=maija)
    session.expire_all()
    assert session.get(PrivacyRequest, request.id).status == "in_review"
    assert _count(session, RequestEvent) == 1


def test_customer_message_is_audited_and_not_emailed_to_themselves(session, maija):
    request = _erasure(session, maija)
    service.add_message(session, request, "customer", "  Lisätietoa\r\nasiasta  ", maija)
    assert request.messages[0].body == "Lisätietoa\nasiasta"
    assert session.execute(select(AuditEvent.action).order_by(AuditEvent.id.desc())).first()[0] == (
        "request_message_added")
    assert _count(session, OutboxMessage) == 1  # only the receipt


def test_staff_message_emails_the_customer(session, maija):
    request = _erasure(session, maija)
    staff = UserFactory(customer=None, roles=["reviewer"])
    service.add_message(session, request, "staff", "Tarkentaisitko?", staff)
    mail = session.execute(select(OutboxMessage).order_by(OutboxMessage.id.desc())).scalars().first()
    assert mail.kind == "request_clarification" and mail.recipient == maija.email
    assert "Tarkentaisitko" not in mail.body_text  # the message is read in the portal


def test_closed_request_takes_no_messages(session, maija):
    request = _erasure(session, maija)
    service.cancel_request(session, request, actor=maija)
    with pytest.raises(service.RequestClosed):
        service.add_message(session, request, "customer", "Hei", maija)


def test_notify_writes_in_the_customers_saved_language(session, maija):
    request = _erasure(session, maija)
    maija.locale = "en"
    session.commit()
    mail = service.notify(session, request, "request_cancelled")
    assert mail.subject.startswith("Your request")
    maija.locale = "fi"
    assert not service.notify(session, request, "request_cancelled").subject.startswith("Your request")


# --- confirming a new email address ---------------------------------------------------------

def _email_correction(session, user, address="maija.uusi@testi.example") -> PrivacyRequest:
    return service.submit_request(session, user.customer, "correction",
                                  Correction((FieldChange("email", address),), "Uusi osoite"),
                                  reply_contact=user.email, actor=user, signer=SIGNER)


def _token(session) -> str:
    body = session.execute(select(OutboxMessage.body_text).where(
        OutboxMessage.kind == "confirm_email")).scalar_one()
    return body.split("/account/confirm-email/")[1].split()[0]


def test_new_email_address_gets_a_confirmation_link(session, maija):
    request = _email_correction(session, maija)
    mail = session.execute(select(OutboxMessage).where(OutboxMessage.kind == "confirm_email")).scalar_one()
    assert mail.recipient == "maija.uusi@testi.example"
    assert request.details["email_confirmation"] == {"confirmed_at": None}


def test_confirmation_link_works_once_and_is_audited(session, maija):
    request = _email_correction(session, maija)
    token = _token(session)
    assert confirmation.check_token(session, SIGNER, token) == Confirmed.READY  # looking changes nothing
    assert request.details["email_confirmation"] == {"confirmed_at": None}
    assert confirmation.confirm_new_email(session, SIGNER, token) == Confirmed.CONFIRMED
    session.expire_all()
    assert session.get(PrivacyRequest, request.id).details["email_confirmation"]["confirmed_at"]
    assert confirmation.confirm_new_email(session, SIGNER, token) == Confirmed.ALREADY
    actions = session.execute(select(AuditEvent.action)).scalars().all()
    assert actions.count("request_email_confirmed") == 1
    assert session.get(Customer, maija.customer_id).email == "maija@testi.example"


def test_confirmation_link_expires_and_cannot_be_forged(session, maija):
    _email_correction(session, maija)
    token = _token(session)
    assert confirmation.confirm_new_email(session, Signer(SIGNER.secret_key, -1), token) == Confirmed.EXPIRED
    assert confirmation.confirm_new_email(session, Signer("another-key-0123456789abcdef", 3600), token) == (
        Confirmed.INVALID)
    assert confirmation.confirm_new_email(session, SIGNER, token[:-2]) == Confirmed.INVALID


def test_confirmation_link_of_a_cancelled_request_confirms_nothing(session, maija):
    request = _email_correction(session, maija)
    service.cancel_request(session, request, actor=maija)
    assert confirmation.confirm_new_email(session, SIGNER, _token(session)) == Confirmed.CLOSED


def test_email_change_without_a_signer_is_a_programming_error(session, maija):
    with pytest.raises(ValueError, match="signer"):
        service.submit_request(session, maija.customer, "correction",
                               Correction((FieldChange("email", "uusi@testi.example"),), "x"),
                               reply_contact=maija.email, actor=maija)


def test_confirmation_survives_a_reviewer_saving_the_request_at_the_same_moment(session, maija, monkeypatch):
    request = _email_correction(session, maija)
    token = _token(session)
    session.expire_all()
    record_audit, calls = confirmation.record_audit, []

    def reviewer_saves_first(*args, **kwargs):
        if not calls:
            other = _db.session.session_factory()
            other.get(PrivacyRequest, request.id).status = "in_review"
            other.commit()
            other.close()
        calls.append(True)
        return record_audit(*args, **kwargs)

    monkeypatch.setattr(confirmation, "record_audit", reviewer_saves_first)
    assert confirmation.confirm_new_email(session, SIGNER, token) == Confirmed.CONFIRMED
    assert len(calls) == 2
    session.expire_all()
    stored = session.get(PrivacyRequest, request.id)
    assert stored.status == "in_review" and stored.details["email_confirmation"]["confirmed_at"]
