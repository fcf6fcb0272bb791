"""The data export is complete: every column of every model that holds data on a person is either
exported or excluded with a reason, what is declared exported really comes out, and
docs/EXPORT.md explains every key."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Column, Integer, MetaData

from portal.extensions import db as _db
from portal.models import (
    AuditEvent,
    Customer,
    DataSource,
    Disclosure,
    Handoff,
    Invoice,
    MarketingChange,
    MarketingProhibition,
    Order,
    PrivacyRequest,
    ProcessingFlag,
    Quote,
    RecipientNotice,
    RequestEvent,
    RequestMessage,
    User,
    UserSession,
)
from portal.models.settings import PLAIN_FIELDS
from portal.models.types import utcnow
from portal.services import export as exporter
from portal.services.lookups import record_lookup
from tests.factories import RoleFactory

DOCS = Path(__file__).resolve().parents[2] / "docs" / "EXPORT.md"
MODELS = (Customer, User, Order, Quote, Invoice, DataSource, Disclosure, MarketingProhibition,
          MarketingChange, PrivacyRequest, RequestEvent, RequestMessage, RecipientNotice, ProcessingFlag,
          UserSession, AuditEvent, Handoff)
# Tables whose rows belong to a person: a model pointing at one of them holds their data.
PERSON_TABLES = {"customer", "privacy_request"}


def uncovered(table, exported: set[str], excluded: dict[str, str]) -> dict[str, list[str]]:
    """What is wrong with a table's coverage: columns in neither list, in both, or unknown."""
    columns = {column.name for column in table.columns}
    return {
        "neither exported nor excluded": sorted(columns - exported - set(excluded)),
        "both exported and excluded": sorted(exported & set(excluded)),
        "not a column (stale)": sorted((exported | set(excluded)) - columns),
        "excluded without a reason": sorted(name for name, why in excluded.items() if len(why) < 12),
    }


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_every_column_is_exported_or_excluded_with_a_reason(model):
    problems = uncovered(model.__table__, exporter.exported_columns().get(model, set()),
                         exporter.EXCLUDED.get(model, {}))
    assert not any(problems.values()), (
        f"{model.__name__}: {problems}. Export each new column in portal/services/export.py "
        "(and docs/EXPORT.md, the README templates) or add it to EXCLUDED with the reason")


def test_a_column_added_to_a_model_and_left_out_is_caught():
    # A copy of the order table with one more column, as a migration adding it would leave it:
    # the same check as above must name the column, without touching the real model.
    table = Order.__table__.to_metadata(MetaData())
    table.append_column(Column("loyalty_points", Integer))
    problems = uncovered(table, exporter.exported_columns()[Order], exporter.EXCLUDED[Order])
    assert problems["neither exported nor excluded"] == ["loyalty_points"]
    assert not uncovered(Order.__table__, exporter.exported_columns()[Order],
                         exporter.EXCLUDED[Order])["neither exported nor excluded"]


def test_every_model_holding_a_person_s_data_is_covered():
    holding = {mapper.class_ for mapper in _db.Model.registry.mappers
               if any(fk.column.table.name in PERSON_TABLES
                      for fk in mapper.class_.__table__.foreign_keys)}
    holding |= {Customer, UserSession}  # the entry itself; log-ins hang off the account
    assert holding <= set(MODELS), f"not covered by the export: {holding - set(MODELS)}"
    assert set(exporter.EXCLUDED) == set(MODELS)
    assert set(exporter.exported_columns()) == set(MODELS)


def test_no_secret_is_declared_for_export():
    exported = exporter.exported_columns()
    for model, column in ((User, "password"), (User, "fs_uniquifier"), (User, "tf_totp_secret"),
                          (User, "mf_recovery_codes"), (UserSession, "key_hash"), (AuditEvent, "hash"),
                          (AuditEvent, "prev_hash"),
                          (AuditEvent, "actor_id"), (PrivacyRequest, "decided_by_id")):
        assert column not in exported[model], f"{model.__name__}.{column} must never be exported"
        assert column in exporter.EXCLUDED[model]


@pytest.fixture
def everything(db, monkeypatch):
    """One person with every column of every covered model filled in."""
    at = datetime(2026, 5, 4, 21, 30, tzinfo=UTC)  # 5 May in Finland
    monkeypatch.setattr("portal.services.audit.utcnow", lambda: at)
    person = Customer(
        customer_number="AS-10042",
        first_name="Äijä", last_name="Öörni", organisation="Örkki Oy", position="Johtaja",
        business_id="2345678-0", email="aija@testi.example", phone="+358 40 1", street_address="Tie 1",
        postal_code="00100", city="Espoo", country="FI", website="https://orkki.example",
        ip_address="192.0.2.1", billing_address="PL 1", e_invoice_address="0037", e_invoice_operator="Op",
        technical_data="tekninen", language="fi", relationship_start=date(2020, 1, 1),
        relationship_end=date(2026, 1, 1), is_contact_person=True, demo=False, erased_at=at,
        purge_on=date(2032, 12, 31))
    staff = User(email="staff@testi.example", password="x", fs_uniquifier="staff-uniq", locale="fi")
    account = User(customer=person, email=person.email, password="$argon2id$secret-hash",
                   fs_uniquifier="secret-uniquifier", locale="fi", confirmed_at=at, activated_at=at,
                   tf_primary_method="authenticator", tf_totp_secret="SECRETTOTP",
                   tf_phone_number="+358 40 2", tf_totp_last_counter=42, mf_recovery_codes=["hashed"],
                   confidentiality_signed_at=at, roles=[RoleFactory(name="customer")])
    request = PrivacyRequest(
        customer=person, reference="PR-1", kind="erasure", status="denied", channel="letter",
        received_at=at, due_on=date(2026, 6, 4), extended_due_on=date(2026, 8, 4), deadline=date(2026, 8, 4),
        extension_reason="laaja", details={"scope": "all"}, reply_contact="aija@testi.example",
        decided_at=at, decision_reason="avoin lasku", decision_details={"kept": ["invoices"]})
    _db.session.add_all([
        person, staff, account, request,
        Order(customer=person, number="T1", ordered_on=date(2026, 1, 2), description="d",
              total_cents=100, channel="shop"),
        Quote(customer=person, number="Q1", issued_on=date(2026, 1, 2), valid_until=date(2026, 2, 2),
              description="d", total_cents=100, status="accepted"),
        Invoice(customer=person, number="L1", issued_on=date(2026, 1, 2), due_on=date(2026, 1, 16),
                total_cents=100, status="paid", paid_on=date(2026, 1, 10)),
        DataSource(customer=person, kind="reseller", detail="d", received_on=date(2026, 1, 2)),
        Disclosure(customer=person, recipient="R", recipient_category="billing", data_disclosed="d",
                   disclosed_at=at, recipient_email="r@testi.example"),
        MarketingProhibition(customer=person, channel="catalogues", since=at),
        MarketingChange(customer=person, channel="catalogues", prohibited=True, changed_at=at,
                        changed_by="customer"),
        RequestEvent(request=request, at=at, status="denied", actor_kind="staff", note="n"),
        RequestMessage(request=request, at=at, author_kind="staff", internal=True, body="b"),
        RecipientNotice(request=request, recipient="R", method="manual", created_at=at, done_at=at),
        Handoff(kind="correction", customer_id=0, customer_number="AS-10042", request_reference="PR-1",
                payload={"changes": [{"field": "city"}]}, created_at=at, acknowledged_at=at,
                outcome="failed", note="CRM-5521"),
    ])
    _db.session.flush()
    _db.session.execute(_db.update(Handoff).values(customer_id=person.id))
    _db.session.add(ProcessingFlag(customer=person, kind="restriction", scope="purpose", purpose="kyselyt",
                                   request_id=request.id, since=at, lifted_at=at))
    _db.session.add(UserSession(key_hash="f" * 64, user_id=account.id, created_at=at, last_seen_at=at,
                                revoked_at=at, revoked_reason="logout"))
    request.filed_by_id = request.assignee_id = request.decided_by_id = staff.id
    staff.roles = [RoleFactory(name="reviewer")]
    record_lookup(_db.session, staff, person.id, reason="request", request_reference="PR-1", note="puhelu")
    _db.session.commit()
    return person.id


def _document(customer_id: int) -> dict:
    chunks = exporter.export_json(_db.session, customer_id, now=utcnow(), tz=ZoneInfo("Europe/Helsinki"))
    return json.loads("".join(chunks))


def _items(doc: dict, section) -> list[dict]:
    if section in (exporter.PERSON, exporter.ACCOUNT):
        return [doc[section.key]]
    if section in (exporter.PROHIBITIONS, exporter.MARKETING_HISTORY):
        return doc["marketing"][section.key]
    if section in exporter.REQUEST_PARTS:
        return [part for request in doc["requests"] for part in request[section.key]]
    return doc[section.key]


def test_every_declared_column_comes_out_with_its_value(everything):
    doc = _document(everything)
    for section in exporter.SECTIONS:
        items = _items(doc, section)
        assert len(items) == 1, section.key
        [item] = items
        nested = {part.key for part in exporter.REQUEST_PARTS} if section is exporter.REQUESTS else set()
        assert set(item) - nested == {f.key for f in section.fields}, section.key
        empty = [key for key, value in item.items() if value in (None, "", [], {})]
        assert not empty, f"{section.key}: {empty} came out empty though the column is filled"
    [lookup] = doc["staff_lookups"]
    # The date in Finnish time; the purpose in the customer's words.
    assert (lookup["date"], lookup["reason"], lookup["reference"]) == ("2026-05-05", "request", "PR-1")
    assert "PR-1" in lookup["purpose"] and lookup["purpose"].endswith(": puhelu")
    assert doc["orders"][0]["total_cents"] == 100 and doc["orders"][0]["currency"] == "EUR"


def test_a_person_without_an_account_exports_with_account_null(db):
    person = Customer(first_name="A", last_name="B", email="ab@testi.example",
                      relationship_start=date(2020, 1, 1))
    _db.session.add(person)
    _db.session.commit()
    doc = _document(person.id)
    assert doc["account"] is None and doc["logins"] == [] and doc["person"]["email"] == "ab@testi.example"


def _documented() -> set[str]:
    return set(re.findall(r"`([a-z_]+)`", DOCS.read_text(encoding="utf-8")))


def test_docs_explain_every_key_of_the_document(everything):
    doc = _document(everything)
    keys = set(doc) | set(doc["marketing"]) | set(PLAIN_FIELDS)
    for section in exporter.SECTIONS:
        keys |= {f.key for f in section.fields} | {section.key}
    missing = sorted(keys - _documented())
    assert not missing, f"docs/EXPORT.md does not explain {missing}"
    files = {section.file for section in exporter.SECTIONS}
    assert all(f"`{name}`" in DOCS.read_text(encoding="utf-8") for name in files)
