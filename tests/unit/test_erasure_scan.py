"""After an erasure, a scan of every text column of every table finds none of the person's values
(Sanna: nothing holds her data), or only what a hold keeps (Pekka: a debt in collection)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from portal.demo import DEMO_PASSWORD, STAFF_EMAIL
from portal.extensions import db
from portal.mailer import drain
from portal.models import (
    Customer,
    DataSource,
    Disclosure,
    MarketingSuppression,
    PrivacyRequest,
    User,
)
from portal.services.audit import verify_chain
from portal.services.erasure import erase_customer, suppression_key
from portal.services.holds import HoldCode, Item
from portal.services.marketing import is_suppressed
from portal.services.outbox import queue_email, queue_raw
from portal.services.requests import reply_address
from tests.conftest import csrf_token, post_form
from tests.factories import DataSourceFactory, DisclosureFactory
from tests.functional.helpers import PEKKA, SANNA, sent_mail
from tests.scan import find_values

TODAY = date(2026, 11, 22)
OTHER_ADDRESS = "sanna.vastaukset@posti.example"
PURPOSE = "Puhelinmyynti Sannan kotinumeroon"
REASON = "Minulle soitetaan iltaisin numeroon +358 50 999 0000."
MESSAGE = "Asun nykyään osoitteessa Rinnetie 9 C 21, Kauniainen."


def _customer(email: str) -> Customer:
    return db.session.execute(select(Customer).where(Customer.email == email)).scalar_one()


def _staff() -> User:
    return db.session.execute(select(User).where(User.email == STAFF_EMAIL)).scalar_one()


def _erasure_request(customer: Customer) -> PrivacyRequest:
    return db.session.execute(select(PrivacyRequest).where(
        PrivacyRequest.customer_id == customer.id, PrivacyRequest.kind == "erasure")).scalar_one()


def _give_sanna_a_history(app, client, auth) -> str:
    """Sanna logs in, prohibits marketing, objects, writes a message; staff add sources and a
    disclosure. Returns the objection's reference."""
    assert auth.login(SANNA, DEMO_PASSWORD).status_code == 302
    post_form(client, "/account/marketing", prohibited=["direct_marketing", "catalogues"])
    filed = post_form(client, "/account/requests/new/objection", scope="purpose", purpose=PURPOSE,
                      reason=REASON, reply_contact=OTHER_ADDRESS)
    path = filed.headers["Location"].split("localhost", 1)[-1]
    reference = path.rsplit("/", 1)[1]
    token = csrf_token(client, path)
    client.post(f"{path}/messages", data={"body": MESSAGE, "csrf_token": token})
    with app.app_context():
        sanna = _customer(SANNA)
        sanna.street_address, sanna.postal_code, sanna.city = "Rinnetie 9 C 21", "02700", "Kauniainen"
        sanna.technical_data, sanna.website = "Uutiskirjeen tilaajanumero UK-77881", "https://salminen.example"
        DataSourceFactory(customer=sanna, kind="registration", detail="Uutiskirje, Sanna Salminen")
        DisclosureFactory(customer=sanna, recipient="Postitus Esimerkki Oy",
                          recipient_category="service_provider", data_disclosed="Nimi ja sähköposti",
                          recipient_email="postitus@postitus.example")
        db.session.commit()
        db.session.remove()
    return reference


def test_nothing_of_sanna_is_left_anywhere(app, client, auth, demo_queue):
    reference = _give_sanna_a_history(app, client, auth)
    with app.app_context():
        sanna = _customer(SANNA)
        values = [sanna.first_name, sanna.last_name, SANNA, OTHER_ADDRESS, sanna.phone, "+358509990000",
                  sanna.street_address, sanna.city, sanna.ip_address, sanna.technical_data, sanna.website,
                  PURPOSE, REASON, MESSAGE, "UK-77881"]  # the postal code alone is too short to scan for
        assert len(find_values(db.session, values)) > 10  # the scan does see her data
        assert db.session.execute(select(PrivacyRequest.id).where(
            PrivacyRequest.reference == reference)).scalar_one()
        # Mail not yet sent: one to her, one naming her to a third party.
        queue_raw(db.session, recipient=OTHER_ADDRESS, subject="Muistutus", body_text="Hei", body_html=None,
                  kind="test")
        queue_raw(db.session, recipient="postitus@postitus.example", subject="Tilaaja",
                  body_text="Poista Sanna Salminen listalta", body_html=None, kind="test")
        request = _erasure_request(sanna)
        address = reply_address(request)  # as the decision does, before erasing

        result = erase_customer(db.session, sanna, actor=_staff(), today=TODAY, request=request)
        with app.test_request_context(base_url=app.config["PORTAL_BASE_URL"]):
            queue_email(db.session, recipient=address, template="request_decided", locale="fi",
                        privacy_request=request, customer=None)
        db.session.commit()
        db.session.remove()
    sent_before = len(sent_mail(app))
    assert drain(app) == 1  # the decision: the two pending mails above were deleted
    assert [m.to for m in sent_mail(app)[sent_before:]] == [[SANNA]]

    with app.app_context():
        assert result.complete and result.kept == () and result.purge_on is None
        assert find_values(db.session, values) == []
        [suppression] = db.session.execute(select(MarketingSuppression)).scalars()
        assert suppression.channels == "direct_marketing,catalogues"
        key = suppression_key(db.session)
        assert is_suppressed(db.session, key, email=SANNA, channel="catalogues")
        assert is_suppressed(db.session, key, phone="050 999 0000", channel="direct_marketing")
        assert verify_chain(db.session).ok
        db.session.remove()


def test_pekka_keeps_only_what_the_debt_and_the_books_need(app, demo_queue):
    with app.app_context():
        pekka = _customer(PEKKA)
        pekka_id = pekka.id
        request = _erasure_request(pekka)
        result = erase_customer(db.session, pekka, actor=_staff(), today=TODAY, request=request)
        db.session.commit()

        assert not result.complete
        assert [hold.code for hold in result.kept] == [
            HoldCode.DEBT_COLLECTION, HoldCode.ACCOUNTING_BOOKS, HoldCode.ACCOUNTING_VOUCHERS]
        assert result.erased == (Item.SOURCES,)  # only what he had: no organisation, quote or IP
        assert result.purge_on == date(2032, 12, 31)
        pekka = db.session.get(Customer, pekka_id)
        # Kept: who owes what, and where to reach him.
        assert (pekka.first_name, pekka.last_name, pekka.email, pekka.phone) == (
            "Pekka", "Mallinen", PEKKA, "+358 45 777 8888")
        assert (pekka.street_address, pekka.postal_code, pekka.city) == ("Mäkipolku 2", "40100", "Jyväskylä")
        assert [i.number for i in pekka.invoices] == ["L-2022-0312"]
        assert [o.number for o in pekka.orders] == ["T-2022-0312"]
        # Restricted and dated.
        assert pekka.erased_at is not None and pekka.purge_on == date(2032, 12, 31)
        assert [(f.kind, f.scope, f.request_id) for f in pekka.active_flags] == [
            ("erasure_hold", "all", request.id)]
        # Gone: the account, the sources, the disclosures, his own words.
        assert pekka.account is None
        for model in (DataSource, Disclosure):
            assert db.session.execute(select(model).where(model.customer_id == pekka_id)).first() is None
        assert find_values(db.session, ["En ole enää asiakas", "Kotiinkuljetus"]) == []
        # What stays is in his register entry and accounting rows only.
        assert find_values(db.session, [PEKKA]) == [("customer", "email", pekka_id)]
        assert set(find_values(db.session, ["Mallinen"])) == {
            ("customer", "last_name", pekka_id), ("customer", "email", pekka_id)}
        assert [(i.status, i.total_cents) for i in pekka.invoices] == [("collection", 79900)]
        assert [o.description for o in pekka.orders] == ["Kuntopyörä"]
        assert verify_chain(db.session).ok
        db.session.remove()
