"""Marketing prohibitions as a service: switches are recorded and audited in the caller's
transaction, and a suppression entry keeps an erased person out of mailings."""

from __future__ import annotations

import json
import threading
import time

import pytest
from sqlalchemy import delete, func, select

from portal.models import (
    AuditEvent,
    Customer,
    MarketingChange,
    MarketingProhibition,
    MarketingSuppression,
)
from portal.services.marketing import (
    UnknownChannel,
    is_suppressed,
    normalise_email,
    normalise_phone,
    set_prohibitions,
    suppress_before_erasure,
)
from tests.factories import CustomerFactory

KEY = b"suppression-test-key-0123456789abcdef"


@pytest.fixture
def customer(db):
    """A customer with no prohibitions, committed."""
    person = CustomerFactory(email="Sari.Suoramainos@Testi.example", phone="040 123 4567")
    db.session.commit()
    return person


def count(db, model) -> int:
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def audit_details(db) -> list[dict]:
    events = db.session.execute(select(AuditEvent).where(AuditEvent.action == "marketing_changed")
                                .order_by(AuditEvent.id)).scalars()
    return [json.loads(e.details) for e in events]


def test_prohibiting_writes_prohibitions_changes_and_audit(db, customer):
    changes = set_prohibitions(db.session, customer, {"catalogues", "direct_advertising"},
                               changed_by="customer")
    db.session.commit()
    assert [(c.channel, c.prohibited) for c in changes] == [
        ("direct_advertising", True), ("catalogues", True)]
    assert customer.prohibited_channels() == {"catalogues", "direct_advertising"}
    assert count(db, MarketingChange) == 2
    assert [(d["channel"], d["prohibited"]) for d in audit_details(db)] == [
        ("direct_advertising", True), ("catalogues", True)]


def test_lifting_deletes_the_prohibition_and_records_it(db, customer):
    set_prohibitions(db.session, customer, {"market_research"}, changed_by="customer")
    changes = set_prohibitions(db.session, customer, set(), changed_by="customer")
    db.session.commit()
    assert [(c.channel, c.prohibited) for c in changes] == [("market_research", False)]
    assert count(db, MarketingProhibition) == 0
    assert [c.prohibited for c in customer.marketing_changes] == [False, True]  # newest first


def test_nothing_changed_records_nothing(db, customer):
    set_prohibitions(db.session, customer, {"distance_selling"}, changed_by="customer")
    db.session.commit()
    assert set_prohibitions(db.session, customer, {"distance_selling"}, changed_by="customer") == []
    db.session.commit()
    assert count(db, MarketingChange) == 1
    assert len(audit_details(db)) == 1


def test_unknown_channel_writes_nothing(db, customer):
    with pytest.raises(UnknownChannel):
        set_prohibitions(db.session, customer, {"direct_advertising", "telepathy"},
                         changed_by="customer")
    db.session.commit()
    assert count(db, MarketingProhibition) == count(db, MarketingChange) == 0
    assert audit_details(db) == []


def test_unknown_changed_by_is_refused(db, customer):
    with pytest.raises(ValueError):
        set_prohibitions(db.session, customer, {"catalogues"}, changed_by="robot")


def test_nothing_is_committed_by_the_service(db, customer):
    set_prohibitions(db.session, customer, {"catalogues"}, changed_by="customer")
    db.session.rollback()
    assert count(db, MarketingProhibition) == count(db, MarketingChange) == 0
    assert count(db, AuditEvent) == 0


@pytest.mark.parametrize(("changed_by", "kind"), [("staff", "staff"), ("import", "system")])
def test_changes_without_an_account_name_who_made_them(db, customer, changed_by, kind):
    [change] = set_prohibitions(db.session, customer, {"catalogues"}, changed_by=changed_by)
    db.session.commit()
    assert change.changed_by == changed_by and change.actor_id is None
    event = db.session.execute(select(AuditEvent)).scalar_one()
    assert event.actor_kind == kind and event.customer_id == customer.id


def test_audit_details_hold_no_personal_values(db, customer):
    set_prohibitions(db.session, customer, {"catalogues"}, changed_by="customer")
    db.session.commit()
    details = db.session.execute(select(AuditEvent.details)).scalar_one()
    assert "@" not in details and "040" not in details and customer.last_name not in details


def test_two_saves_at_once_record_one_change(app, db, customer):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("row locks need PostgreSQL; SQLite has one writer at a time")
    set_prohibitions(db.session, customer, {"catalogues"}, changed_by="customer")  # not committed
    outcome = {}

    def second_save():
        with app.app_context():
            other = db.session.session_factory()
            try:
                same = other.get(Customer, customer.id)
                outcome["changes"] = set_prohibitions(other, same, {"catalogues"},
                                                      changed_by="customer")
                other.commit()
            except Exception as error:  # noqa: BLE001 - reported by the assertion below
                outcome["error"] = error
            finally:
                other.close()

    thread = threading.Thread(target=second_save)
    thread.start()
    time.sleep(0.5)  # the second save now waits for the first one's lock
    db.session.commit()
    thread.join(timeout=10)
    assert "error" not in outcome, outcome.get("error")
    assert outcome["changes"] == []
    assert count(db, MarketingChange) == 1 and count(db, MarketingProhibition) == 1


def test_no_suppression_without_a_prohibition(db, customer):
    assert suppress_before_erasure(db.session, customer, KEY) is None
    assert count(db, MarketingSuppression) == 0


def erase(db, customer) -> None:
    """What the erasure feature will do: suppress, then delete the person."""
    set_prohibitions(db.session, customer, {"direct_advertising", "catalogues"},
                     changed_by="customer")
    db.session.commit()
    suppress_before_erasure(db.session, customer, KEY)
    for model in (MarketingChange, MarketingProhibition):  # SQLite ignores ON DELETE CASCADE
        db.session.execute(delete(model).where(model.customer_id == customer.id))
    db.session.execute(delete(Customer).where(Customer.id == customer.id))
    db.session.commit()
    db.session.expunge_all()


def test_suppression_survives_deleting_the_customer(db, customer):
    erase(db, customer)
    assert count(db, Customer) == 0 and count(db, MarketingProhibition) == 0
    assert is_suppressed(db.session, KEY, email="sari.suoramainos@testi.example",
                         channel="direct_advertising")
    assert is_suppressed(db.session, KEY, phone="+358401234567", channel="catalogues")


def test_suppression_matches_normalised_email_and_phone(db, customer):
    erase(db, customer)
    assert is_suppressed(db.session, KEY, email="  SARI.suoramainos@testi.EXAMPLE ",
                         channel="catalogues")
    assert is_suppressed(db.session, KEY, phone="+358 40 123 4567", channel="catalogues")
    assert is_suppressed(db.session, KEY, phone="0401234567", channel="catalogues")
    assert not is_suppressed(db.session, KEY, email="someone.else@testi.example",
                             phone="040 765 4321", channel="catalogues")


def test_suppression_covers_only_the_prohibited_channels(db, customer):
    erase(db, customer)
    assert not is_suppressed(db.session, KEY, email=customer.email, channel="distance_selling")
    assert not is_suppressed(db.session, KEY, email=customer.email, channel="market_research")


def test_suppression_keeps_no_readable_contact_details(db, customer):
    erase(db, customer)
    row = db.session.execute(select(MarketingSuppression)).scalar_one()
    assert row.channels == "direct_advertising,catalogues"
    assert len(row.email_hash) == len(row.phone_hash) == 64
    stored = f"{row.email_hash}{row.phone_hash}{row.channels}"
    assert "sari" not in stored and "401234567" not in stored
    assert not is_suppressed(db.session, b"another-key", email=customer.email,
                             channel="catalogues")


def test_suppressing_twice_keeps_one_entry(db, customer):
    set_prohibitions(db.session, customer, {"catalogues"}, changed_by="customer")
    suppress_before_erasure(db.session, customer, KEY)
    set_prohibitions(db.session, customer, {"catalogues", "market_research"},
                     changed_by="customer")
    suppress_before_erasure(db.session, customer, KEY)
    db.session.commit()
    row = db.session.execute(select(MarketingSuppression)).scalar_one()
    assert row.channels == "market_research,catalogues"


def test_is_suppressed_refuses_unknown_channels_and_needs_a_contact(db):
    with pytest.raises(UnknownChannel):
        is_suppressed(db.session, KEY, email="a@testi.example", channel="telepathy")
    assert not is_suppressed(db.session, KEY, channel="catalogues")


def test_empty_key_is_refused(db, customer):
    set_prohibitions(db.session, customer, {"catalogues"}, changed_by="customer")
    with pytest.raises(ValueError):
        suppress_before_erasure(db.session, customer, b"")


@pytest.mark.parametrize(("raw", "normal"), [
    ("040 123 4567", "+358401234567"),
    ("+358-40-1234567", "+358401234567"),
    ("(09) 123 456", "+3589123456"),
    ("+46 8 123 456 78", "+46812345678"),
    ("12", "12"),
    ("tel: 1", "1"),
    ("", None),
    ("no digits", None),
])
def test_phone_normalisation(raw, normal):
    assert normalise_phone(raw) == normal


def test_email_normalisation():
    assert normalise_email("  Maija@Esimerkki.Example\n") == "maija@esimerkki.example"
    assert normalise_email("   ") is None
