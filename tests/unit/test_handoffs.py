"""Handoffs keep no more of a person than the company's systems need, for no longer than needed:
values go once a system has carried the decision out, and all of them go when the person is erased."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import Customer, Handoff, PrivacyRequest
from portal.services import api_keys, handoffs
from portal.services.erasure import erase_customer
from tests.functional.helpers import ANNA, MAIJA
from tests.scan import find_values

TODAY = date(2026, 11, 22)


def _customer(email: str) -> Customer:
    return db.session.execute(select(Customer).where(Customer.email == email)).scalar_one()


def _request(customer: Customer, kind: str) -> PrivacyRequest:
    return db.session.execute(select(PrivacyRequest).where(
        PrivacyRequest.customer_id == customer.id, PrivacyRequest.kind == kind)).scalars().first()


def test_a_pending_correction_loses_its_values_when_the_person_is_erased(db, demo_queue):
    maija = _customer(MAIJA)
    changes = [{"field": "phone", "new": "+358401112233"}, {"field": "email", "new": "uusi@testi.example"}]
    request = _request(maija, "correction")
    correction = handoffs.record_handoff(db.session, "correction", maija, request=request,
                                         payload={"changes": changes})
    db.session.commit()
    erase_customer(db.session, maija, actor=None, today=TODAY, request=_request(maija, "erasure"))
    db.session.commit()
    db.session.refresh(correction)
    assert correction.payload == {"changes": [{"field": "phone"}, {"field": "email"}]}
    assert correction.acknowledged_at is None  # the system still closes it; the erasure follows
    [erasure] = db.session.execute(select(Handoff).where(Handoff.kind == "erasure")).scalars()
    assert erasure.id > correction.id and erasure.customer_id == maija.id
    assert [hit for hit in find_values(db.session, ["+358401112233", "uusi@testi.example", "Meikäläinen"])
            if hit[0] == "handoff"] == []


def test_a_purpose_is_kept_until_a_system_has_acted_on_it(db, demo_queue):
    anna = _customer(ANNA)
    objection = handoffs.record_handoff(db.session, "objection", anna, request=_request(anna, "objection"),
                                        payload={"scope": "purpose", "purpose": "Puhelinkyselyt Annalle"})
    key = api_keys.create_api_key(db.session, "CRM", ["handoffs:ack"]).row
    assert handoffs.pending(db.session) == [objection]
    handoffs.acknowledge(db.session, objection.id, key, outcome="done", note=None)
    assert objection.payload == {"scope": "purpose"} and handoffs.pending(db.session) == []
    with pytest.raises(handoffs.AlreadyAcknowledged):
        handoffs.acknowledge(db.session, objection.id, key, outcome="failed", note=None)
    db.session.refresh(objection)
    assert objection.outcome == "done"


def test_the_page_state_follows_the_slowest_system(db, demo_queue):
    maija = _customer(MAIJA)
    request = _request(maija, "correction")
    assert handoffs.request_state(db.session, request.reference) is None  # no system connected
    key = api_keys.create_api_key(db.session, "CRM", ["handoffs:ack"]).row
    assert handoffs.request_state(db.session, request.reference) is None  # nothing handed over
    scoped = {"scope": "all"}
    first, second = (handoffs.record_handoff(db.session, kind, maija, request=request, payload=scoped)
                     for kind in ("restriction", "objection"))
    db.session.commit()
    handoffs.acknowledge(db.session, first.id, key, outcome="done", note=None)
    assert handoffs.request_state(db.session, request.reference).status == "waiting"
    handoffs.acknowledge(db.session, second.id, key, outcome="done", note=None)
    state = handoffs.request_state(db.session, request.reference)
    assert state.status == "done" and state.at == second.acknowledged_at
    api_keys.revoke_api_key(db.session, "CRM")
    assert handoffs.request_state(db.session, request.reference) is None


def test_an_unknown_kind_is_refused(db, demo):
    with pytest.raises(ValueError):
        handoffs.record_handoff(db.session, "deletion", _customer(MAIJA), payload={})
