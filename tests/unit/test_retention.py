"""Retention (`flask retention run`): whoever's relationship ended the retention period ago is erased
with the approved-request routine, holds keep what they must until a purge date, kept data is
purged once that date passes, open requests leave a person for staff, a dry run changes nothing,
every step is audited as the system, and the audit chain still verifies afterwards."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import func, select

from portal.extensions import db as _db
from portal.models import AuditEvent, Customer, Invoice, Order, PrivacyRequest, ProcessingFlag, User
from portal.services import retention
from portal.services.holds import HoldCode, Item
from tests.factories import CustomerFactory, InvoiceFactory, OrderFactory
from tests.functional.helpers import ANNA, PEKKA
from tests.scan import find_values

# Anna's relationship ended on 31 Dec 2018, so the ten years are over on 31 Dec 2028; Pekka's
# ended on 30 Jun 2022 and he has an invoice in debt collection (portal/demo.py).
ANNA_DUE, PEKKA_DUE = date(2028, 12, 31), date(2032, 6, 30)
ANNA_VALUES = ["Testinen", ANNA, "Kuusitie 4", "Kuopio", "Kirjahylly", "L-2018-0044"]


@pytest.fixture
def app_config(app_config, tmp_path):
    """Audit anchors go to a file of this test's own."""
    app_config.PORTAL_AUDIT_ANCHOR_FILE = str(tmp_path / "audit-anchors.jsonl")
    return app_config


def customer(app, email: str) -> Customer:
    """The register entry that had `email` before any erasure, detached with what tests read."""
    with app.app_context():
        found = _db.session.execute(select(Customer).where(Customer.email == email)).scalar_one()
        _db.session.expunge(found)
        _db.session.remove()
    return found


def fresh(app, customer_id: int) -> Customer:
    """The customer row as it is now, detached."""
    with app.app_context():
        found = _db.session.get(Customer, customer_id)
        _db.session.expunge(found)
        _db.session.remove()
    return found


def audit_entries(app, action: str) -> list[tuple]:
    """(customer_id, actor_kind, actor_id, details) of the entries of `action`, oldest first."""
    with app.app_context():
        rows = [(e.customer_id, e.actor_kind, e.actor_id, json.loads(e.details)) for e in _db.session.execute(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)).scalars()]
        _db.session.remove()
    return rows


def count(app, model, *where) -> int:
    """Rows of `model` matching `where`."""
    with app.app_context():
        found = _db.session.execute(select(func.count()).select_from(model).where(*where)).scalar_one()
        _db.session.remove()
    return found


def retention_run(runner, today: date, *extra: str):
    """`flask retention run --today TODAY [extra]`."""
    return runner.invoke(args=["retention", "run", "--today", today.isoformat(), *extra])


def left_behind(app, values: list[str]) -> list:
    """Where any of `values` is still stored."""
    with app.app_context():
        hits = find_values(_db.session, values)
        _db.session.remove()
    return hits


# --- the dry run ------------------------------------------------------------------------------

def test_dry_run_lists_the_ended_customer_from_the_retention_date_and_changes_nothing(app, runner, demo):
    anna = customer(app, ANNA)
    entries = count(app, AuditEvent)

    early = retention_run(runner, date(2028, 12, 30), "--dry-run")
    assert early.exit_code == 0, early.output
    assert "Due for erasure (0)" in early.output and "Would erase 0" in early.output

    due = retention_run(runner, ANNA_DUE, "--dry-run")
    assert due.exit_code == 0, due.output
    assert "Retention dry run for 2028-12-31: nothing is changed." in due.output
    assert "Due for erasure (1)" in due.output and "Would erase 1 (1 partly" in due.output
    [row] = [line for line in due.output.splitlines() if line.split()[:1] == [str(anna.id)]]
    # The books of 2018 are kept to the end of 2028: on the day itself they still hold.
    assert "contact, address, sources" in row and row.rstrip().endswith("accounting_books (2028-12-31)")

    after = retention_run(runner, date(2029, 1, 1), "--dry-run")
    [row] = [line for line in after.output.splitlines() if line.split()[:1] == [str(anna.id)]]
    assert "name, contact, address, orders, invoices, sources" in row and row.rstrip().endswith("-")

    assert count(app, AuditEvent) == entries
    assert fresh(app, anna.id).erased_at is None
    assert left_behind(app, ["Testinen", "Kirjahylly"])


def test_the_output_names_customers_by_id_and_number_only(app, runner, demo):
    with app.app_context():
        anna = _db.session.execute(select(Customer).where(Customer.email == ANNA)).scalar_one()
        anna.customer_number = "CRM-4711"
        _db.session.commit()
        _db.session.remove()
    for extra in (("--dry-run",), ()):
        result = retention_run(runner, date(2029, 1, 1), *extra)
        assert "CRM-4711" in result.output
        assert not any(value.casefold() in result.output.casefold() for value in ["Anna", *ANNA_VALUES])


# --- the real run -----------------------------------------------------------------------------

def test_a_run_erases_the_ended_customer_audits_it_and_the_chain_still_verifies(app, runner, demo):
    anna = customer(app, ANNA)
    assert runner.invoke(args=["audit", "anchor"]).exit_code == 0
    assert left_behind(app, ANNA_VALUES)

    result = retention_run(runner, date(2029, 1, 1))

    assert result.exit_code == 0, result.output
    assert "Erased 1 (0 partly, held data kept), skipped 0, purged 0, failed 0." in result.output
    erased = fresh(app, anna.id)
    assert erased.erased_at is not None and erased.purge_on is None
    assert left_behind(app, ANNA_VALUES) == []
    assert count(app, Order, Order.customer_id == anna.id) == 0
    assert audit_entries(app, "retention_erased") == [(anna.id, "system", None, {
        "reason": "retention", "years": 10, "as_of": "2029-01-01", "complete": True, "kept": []})]
    assert audit_entries(app, "customer_erased") == [
        (anna.id, "system", None, {"reference": None, "complete": True, "kept": []})]
    verified = runner.invoke(args=["audit", "verify"])
    assert verified.exit_code == 0, verified.output
    assert "Audit chain intact" in verified.output and "1 anchor(s)" in verified.output

    again = retention_run(runner, date(2029, 1, 2))
    assert "Erased 0 (0 partly, held data kept), skipped 0, purged 0, failed 0." in again.output
    assert len(audit_entries(app, "retention_erased")) == 1


def test_debt_collection_holds_what_it_needs_and_the_rest_goes(app, runner, demo):
    pekka = customer(app, PEKKA)

    result = retention_run(runner, PEKKA_DUE)

    assert result.exit_code == 0, result.output
    assert "Erased 2 (1 partly, held data kept)" in result.output  # Anna's ten years were over too
    kept = fresh(app, pekka.id)
    assert kept.erased_at is not None and kept.purge_on == date(2032, 12, 31)  # the books of 2022
    assert (kept.first_name, kept.street_address) == ("Pekka", "Mäkipolku 2")
    assert kept.email.startswith("pekka.mallinen")  # the collection needs contact details
    assert count(app, Invoice, Invoice.customer_id == pekka.id) == 1
    assert count(app, User, User.customer_id == pekka.id) == 0  # the account is closed
    assert count(app, ProcessingFlag, ProcessingFlag.customer_id == pekka.id,
                 ProcessingFlag.kind == "erasure_hold", ProcessingFlag.lifted_at.is_(None)) == 1
    [details] = [details for customer_id, _kind, _actor, details in audit_entries(app, "retention_erased")
                 if customer_id == pekka.id]
    assert details["complete"] is False
    assert details["kept"] == [HoldCode.DEBT_COLLECTION, HoldCode.ACCOUNTING_BOOKS]


def test_kept_data_is_purged_as_each_hold_ends_and_all_of_it_after_the_purge_date(app, runner, db):
    person = CustomerFactory(first_name="Pirjo", last_name="Purettava", relationship_start=date(2010, 1, 4),
                             relationship_end=date(2015, 6, 30), street_address="Purkutie 9")
    InvoiceFactory(customer=person, status="paid", issued_on=date(2020, 3, 2), due_on=date(2020, 3, 16),
                   paid_on=date(2020, 3, 10), number="L-PURGE-1")
    OrderFactory(customer=person, ordered_on=date(2020, 3, 2), number="T-PURGE-1")
    db.session.commit()
    values = ["Pirjo", "Purettava", "Purkutie 9", person.email, "L-PURGE-1", "T-PURGE-1"]

    done = retention.run(db.session, date(2026, 1, 1))
    assert (done.erased, done.erased_partly) == (1, 1)
    db.session.expire_all()
    # Vouchers of 2020 are kept to the end of 2026, the books to the end of 2030.
    assert (person.purge_on, person.first_name, person.street_address) == (date(2030, 12, 31), "Pirjo",
                                                                           "Purkutie 9")
    assert retention.plan(db.session, date(2026, 12, 31)).purges == ()
    db.session.rollback()

    first = retention_run(runner, date(2027, 1, 1))
    assert "purged 1, failed 0" in first.output, first.output
    db.session.expire_all()
    assert (person.first_name, person.street_address) == ("Pirjo", None)
    assert retention.plan(db.session, date(2030, 12, 31)).purges == ()
    [purge] = retention.plan(db.session, date(2031, 1, 1)).purges
    assert (purge.customer_id, purge.purge_on, purge.kept) == (person.id, date(2030, 12, 31), ())
    db.session.rollback()

    last = retention_run(runner, date(2031, 1, 1))
    assert last.exit_code == 0, last.output
    assert "purged 1, failed 0" in last.output
    db.session.expire_all()
    assert person.purge_on is None and find_values(db.session, values) == []
    assert count(app, ProcessingFlag, ProcessingFlag.customer_id == person.id,
                 ProcessingFlag.lifted_at.is_(None)) == 0
    assert audit_entries(app, "retention_purged") == [
        (person.id, "system", None, {"reason": "retention", "as_of": "2027-01-01", "complete": False,
                                     "kept": ["accounting_books"]}),
        (person.id, "system", None, {"reason": "retention", "as_of": "2031-01-01", "complete": True,
                                     "kept": []})]
    assert retention_run(runner, date(2031, 1, 2)).output.endswith("purged 0, failed 0.\n")


def test_an_open_invoice_keeps_billing_data_until_it_is_paid(db):
    person = CustomerFactory(relationship_start=date(2001, 1, 2), relationship_end=date(2010, 5, 31))
    InvoiceFactory(customer=person, status="open", issued_on=date(2010, 5, 1), due_on=date(2010, 5, 15),
                   number="L-OPEN-1")
    db.session.commit()

    [due] = retention.plan(db.session, date(2026, 1, 1)).due
    assert due.customer_id == person.id and not due.complete
    assert [(hold.code, hold.invoices) for hold in due.kept] == [(HoldCode.OPEN_INVOICES, ("L-OPEN-1",))]
    assert Item.CONTACT in due.erase and Item.INVOICES not in due.erase
    db.session.rollback()

    retention.run(db.session, date(2026, 1, 1))
    db.session.expire_all()
    assert person.erased_at is not None and person.email.endswith("@erased.invalid")
    assert [invoice.number for invoice in person.invoices] == ["L-OPEN-1"]


# --- left for staff, and failures -------------------------------------------------------------

def test_a_customer_with_an_open_request_is_skipped_with_the_reason(app, runner, demo_queue):
    anna, pekka = customer(app, ANNA), customer(app, PEKKA)
    with app.app_context():
        references = {row.customer_id: row.reference for row in _db.session.execute(
            select(PrivacyRequest.customer_id, PrivacyRequest.reference)
            .where(PrivacyRequest.status.in_(("pending", "in_review"))))}
        _db.session.remove()

    result = retention_run(runner, date(2033, 1, 1))

    assert result.exit_code == 0, result.output
    assert "Skipped (2)" in result.output
    for person in (anna, pekka):
        [row] = [line for line in result.output.splitlines() if line.split()[:1] == [str(person.id)]]
        assert f"open_request: {references[person.id]}" in row
        assert fresh(app, person.id).erased_at is None
    assert audit_entries(app, "retention_erased") == []


def test_one_customer_failing_does_not_stop_the_others(app, runner, db, monkeypatch):
    ended = dict(relationship_start=date(2001, 1, 2), relationship_end=date(2012, 3, 31))
    first, second = CustomerFactory(**ended), CustomerFactory(**ended)
    db.session.commit()
    first_id, second_id = first.id, second.id
    real = retention.erase_customer

    def failing(session, person, **kwargs):
        if person.id == first_id:
            raise RuntimeError("disk full")
        return real(session, person, **kwargs)

    monkeypatch.setattr(retention, "erase_customer", failing)
    result = retention_run(runner, date(2026, 1, 1))

    assert result.exit_code == 1
    assert "Erased 1 (0 partly, held data kept), skipped 0, purged 0, failed 1." in result.output
    assert f"Failed (rolled back, see the log): {first_id}" in result.output
    db.session.expire_all()
    assert db.session.get(Customer, first_id).erased_at is None
    assert db.session.get(Customer, second_id).erased_at is not None
    assert [row[0] for row in audit_entries(app, "retention_erased")] == [second_id]


def test_the_retention_period_comes_from_the_controller_settings(app, runner, demo):
    anna = customer(app, ANNA)
    with app.app_context():
        from portal.services.controller import get_settings

        get_settings(_db.session).retention_years = 12
        _db.session.commit()
        _db.session.remove()
    early = retention_run(runner, date(2029, 1, 1), "--dry-run")
    assert "Due for erasure (0): relationship ended 12 years ago or more" in early.output
    due = retention_run(runner, date(2030, 12, 31), "--dry-run")
    assert [line for line in due.output.splitlines() if line.split()[:1] == [str(anna.id)]]
