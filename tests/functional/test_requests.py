"""My requests: erasure, restriction and objection end to end, following, cancelling, messages, emails.

Correction and its value checks are in test_correction.py.
"""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from portal.demo import DEMO_PASSWORD
from portal.extensions import db
from portal.models import AuditEvent, PrivacyRequest, RequestMessage, User
from portal.services import requests as service
from tests.conftest import AuthActions, csrf_token, post_form
from tests.functional.helpers import (
    LIISA,
    MAIJA,
    MATTI,
    PEKKA,
    assert_finnish,
    audit_actions,
    link_in,
    outbox_mail,
    page,
    sent_mail,
    switch_language,
)


def _finnish_date(day: date) -> str:
    return f"{day.day}.{day.month}.{day.year}"


def text_of(response) -> str:
    """The visible text of a page, tags removed and whitespace collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page(response))).strip()


def requests_of(app, email: str) -> list[PrivacyRequest]:
    """The requests of the customer with log-in `email`, oldest first, detached."""
    with app.app_context():
        user = db.session.execute(select(User).where(User.email == email)).scalar_one()
        rows = db.session.execute(select(PrivacyRequest).where(
            PrivacyRequest.customer_id == user.customer_id).order_by(PrivacyRequest.id)).scalars().all()
        for row in rows:
            _ = row.events, row.messages
        db.session.expunge_all()
        db.session.remove()
    return rows


def file_request(client, kind: str, **data):
    """Post the new-request form of `kind` with `data` (the page hands out the CSRF token)."""
    return post_form(client, f"/account/requests/new/{kind}", **data)


def log_in(client, auth, email: str, language: str | None = None):
    """Log in with the demo password, optionally switching (and saving) the language."""
    assert auth.login(email, DEMO_PASSWORD).status_code == 302
    if language:
        switch_language(client, language)


def change_request(app, reference: str, **values) -> None:
    """Change a request as staff would (the staff side is another issue)."""
    with app.app_context():
        row = db.session.execute(
            select(PrivacyRequest).where(PrivacyRequest.reference == reference)).scalar_one()
        for name, value in values.items():
            setattr(row, name, value)
        db.session.commit()
        db.session.remove()


def audit_details(app, action: str) -> list[dict]:
    """The details of every audit entry of `action`."""
    with app.app_context():
        rows = db.session.execute(select(AuditEvent.details).where(AuditEvent.action == action)).scalars()
        found = [json.loads(row) for row in rows]
        db.session.remove()
    return found


# --- the list and the kinds ---------------------------------------------------------------------

def test_list_offers_every_kind_in_finnish(app, client, auth, demo):
    log_in(client, auth, MAIJA)
    shown = text_of(client.get("/account/requests"))
    assert_finnish(app, shown, "My requests")
    assert_finnish(app, shown, "You have not made any requests.")
    for title in ("Ask us to correct your data", "Ask us to erase your data",
                  "Ask us to restrict the processing of your data", "Object to the processing of your data"):
        assert_finnish(app, shown, title)
    for kind in ("correction", "erasure", "restriction", "objection"):
        assert f'href="/account/requests/new/{kind}"' in page(client.get("/account/requests"))


def test_unknown_kind_is_not_found(client, auth, demo):
    log_in(client, auth, MAIJA)
    token = csrf_token(client, "/account/requests/new/erasure")
    assert client.get("/account/requests/new/portability").status_code == 404
    assert client.post("/account/requests/new/portability", data={"csrf_token": token}).status_code == 404


def test_anonymous_visitors_are_sent_to_log_in(client, demo):
    for path in ("/account/requests", "/account/requests/new/erasure", "/account/requests/PR-2026-000001"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


# --- erasure ------------------------------------------------------------------------------

def test_erasure_needs_a_log_in_from_the_last_ten_minutes(client, auth, demo):
    log_in(client, auth, MAIJA)
    with client.session_transaction() as session:
        session["fs_paa"] = time.time() - 11 * 60
    response = client.get("/account/requests/new/erasure")
    assert response.status_code == 302 and "/verify" in response.headers["Location"]
    # The other kinds do not ask again.
    assert client.get("/account/requests/new/restriction").status_code == 200
    token = csrf_token(client, "/verify")
    back = client.post(response.headers["Location"], data={"password": DEMO_PASSWORD, "csrf_token": token})
    assert back.headers["Location"].endswith("/account/requests/new/erasure")
    assert client.get("/account/requests/new/erasure").status_code == 200


def test_a_stale_log_in_cannot_post_an_erasure_either(app, client, auth, demo):
    log_in(client, auth, MAIJA)
    token = csrf_token(client, "/account/requests/new/erasure")
    with client.session_transaction() as session:
        session["fs_paa"] = time.time() - 11 * 60
    response = client.post("/account/requests/new/erasure",
                           data={"csrf_token": token, "reply_contact": MAIJA})
    assert "/verify" in response.headers["Location"]
    assert requests_of(app, MAIJA) == []


def test_erasure_form_shows_the_debt_collection_hold(app, client, auth, demo):
    log_in(client, auth, PEKKA, "en")
    shown = text_of(client.get("/account/requests/new/erasure"))
    assert "An invoice of yours is in debt collection" in shown
    assert "until the debt collection ends" in shown
    assert "L-2022-0312" in shown
    assert "Everything else can be erased now" in shown


def test_erasure_form_shows_what_accounting_keeps_in_finnish(app, client, auth, demo):
    log_in(client, auth, MAIJA)
    shown = text_of(client.get("/account/requests/new/erasure"))
    assert_finnish(app, shown, "The Accounting Act (Kirjanpitolaki 2:10) requires us to keep the books for "
                               "10 years from the end of the financial year.")
    assert "31.12.2035" in shown and "31.12.2031" in shown  # Maija's last invoice is from 2025
    assert "perinnässä" not in shown and "avoin lasku" not in shown.lower()


def test_erasure_form_shows_open_invoice_and_contact_person_holds(client, auth, demo, app):
    log_in(client, auth, LIISA, "en")
    shown = text_of(client.get("/account/requests/new/erasure"))
    assert "You have an open invoice" in shown and "until the invoice is paid" in shown
    auth.logout()
    log_in(client, auth, MATTI)
    shown = text_of(client.get("/account/requests/new/erasure"))
    assert "You are a contact person of a company" in shown
    assert "until your role as contact person ends" in shown


def test_erasure_request_is_filed_even_with_holds(app, client, auth, demo):
    log_in(client, auth, PEKKA)
    response = file_request(client, "erasure", reason="En ole enää asiakas", reply_contact=PEKKA)
    [filed] = requests_of(app, PEKKA)
    assert response.headers["Location"].endswith(f"/account/requests/{filed.reference}")
    assert re.fullmatch(r"PR-20[0-9]{2}-[0-9]{6}", filed.reference)
    assert (filed.kind, filed.status) == ("erasure", "pending")
    assert filed.details["reason"] == "En ole enää asiakas"
    assert filed.details["holds_shown"][0]["code"] == "debt_collection"
    shown = text_of(client.get(response.headers["Location"]))
    assert_finnish(app, shown, "We received your request %(reference)s. We will answer by %(due)s.",
                   reference=filed.reference, due=_finnish_date(filed.due_on))
    assert_finnish(app, shown, "waiting for handling")
    assert audit_details(app, "request_submitted") == [{"reference": filed.reference, "kind": "erasure"}]


def test_receipt_email_in_the_customers_language_with_link_and_due_date(app, client, auth, demo):
    log_in(client, auth, MATTI)  # Matti's saved language is English
    file_request(client, "erasure", reply_contact=MATTI)
    [filed] = requests_of(app, MATTI)
    [message] = sent_mail(app)
    assert message.to == [MATTI]
    assert message.subject == f"We received your request {filed.reference}"
    assert "Erasure of your data" in message.body
    due = filed.due_on
    assert f"{due.day} {due.strftime('%b')} {due.year}" in message.body  # English: day month year
    assert link_in(message, "/account/requests/") == f"/account/requests/{filed.reference}"
    html = message.alternatives[0][0]
    assert '<html lang="en">' in html and "Esimerkki Oy" in html and filed.reference in html


def test_receipt_email_in_finnish(app, client, auth, demo):
    log_in(client, auth, MAIJA)
    file_request(client, "restriction", scope="marketing", reason="Selvitän asiaa", reply_contact=MAIJA)
    [filed] = requests_of(app, MAIJA)
    [message] = sent_mail(app)
    assert_finnish(app, message.subject, "We received your request %(reference)s", reference=filed.reference)
    assert_finnish(app, message.body, "Restriction of processing")
    assert _finnish_date(filed.due_on) in message.body
    assert '<html lang="fi">' in message.alternatives[0][0]


def test_reply_goes_to_the_address_the_customer_gives(app, client, auth, demo):
    log_in(client, auth, MAIJA)
    file_request(client, "objection", scope="all", reason="Syy", reply_contact="maija.toinen@testi.example")
    [message] = sent_mail(app)
    assert message.to == ["maija.toinen@testi.example"]


def test_double_submit_files_one_request(app, client, auth, demo):
    log_in(client, auth, MAIJA)
    token = csrf_token(client, "/account/requests/new/objection")
    data = {"csrf_token": token, "scope": "marketing", "reason": "En halua", "reply_contact": MAIJA}
    first = client.post("/account/requests/new/objection", data=data)
    second = client.post("/account/requests/new/objection", data=data)
    assert first.status_code == 302
    assert second.status_code == 200
    [filed] = requests_of(app, MAIJA)
    shown = text_of(second)
    assert_finnish(app, shown, "You already have an open request of this kind (%(reference)s). We handle it "
                               "first: add to it with a message on its page.", reference=filed.reference)
    assert f'href="/account/requests/{filed.reference}"' in page(second)
    assert len(sent_mail(app)) == 1
    assert audit_actions(app).count("request_submitted") == 1


def test_a_new_request_is_possible_once_the_old_one_is_closed(app, client, auth, demo):
    log_in(client, auth, MAIJA)
    file_request(client, "objection", scope="marketing", reason="En halua", reply_contact=MAIJA)
    [filed] = requests_of(app, MAIJA)
    change_request(app, filed.reference, status="denied")
    again = file_request(client, "objection", scope="all", reason="Uusi", reply_contact=MAIJA)
    assert again.status_code == 302
    assert len(requests_of(app, MAIJA)) == 2


# --- restriction and objection -----------------------------------------------------------------

@pytest.mark.parametrize("kind", ["restriction", "objection"])
def test_restriction_and_objection_record_scope_purpose_and_reason(app, client, auth, demo, kind):
    log_in(client, auth, MATTI)
    response = file_request(client, kind, scope="purpose", purpose="Asiakaskyselyt ostohistoriasta",
                            reason="Particular situation", reply_contact=MATTI)
    assert response.status_code == 302
    [filed] = requests_of(app, MATTI)
    assert filed.details == {"scope": "purpose", "purpose": "Asiakaskyselyt ostohistoriasta",
                             "reason": "Particular situation"}
    shown = text_of(client.get(response.headers["Location"]))
    assert "Covers: a purpose described in the request" in shown and "Asiakaskyselyt ostohistoriasta" in shown


def test_missing_reason_and_purpose_are_shown_with_the_typed_values_kept(app, client, auth, demo):
    log_in(client, auth, MAIJA)
    response = file_request(client, "restriction", scope="purpose", purpose="", reason="",
                            reply_contact="maija.toinen@testi.example")
    assert response.status_code == 200
    shown = page(response)
    assert_finnish(app, shown, "Describe the purpose you mean.")
    assert_finnish(app, shown, "Tell us why.")
    assert 'value="maija.toinen@testi.example"' in shown
    assert re.search(r'<input checked[^>]*value="purpose"', shown)
    assert requests_of(app, MAIJA) == [] and sent_mail(app) == []


def test_scope_must_be_chosen_and_reply_address_valid(app, client, auth, demo):
    log_in(client, auth, MATTI)
    response = file_request(client, "objection", scope="everything", reason="Because", reply_contact="matti@")
    shown = page(response)
    assert "Choose what your request covers." in shown
    assert "Enter a valid email address, e.g. name@example.com." in shown
    assert "Because</textarea>" in shown and 'value="matti@"' in shown
    assert requests_of(app, MATTI) == []


def test_control_characters_are_refused_not_stored(app, client, auth, demo):
    log_in(client, auth, MATTI)
    response = file_request(client, "objection", scope="all", reason="Because\x00", reply_contact=MATTI)
    assert response.status_code == 200
    assert "Remove the special characters from this text." in page(response)
    assert requests_of(app, MATTI) == []


# --- following a request ------------------------------------------------------------------

def test_detail_shows_what_was_asked_status_history_and_due_date(app, client, auth, demo):
    log_in(client, auth, MATTI)
    file_request(client, "objection", scope="marketing", reason="No more calls", reply_contact=MATTI)
    [filed] = requests_of(app, MATTI)
    shown = text_of(client.get(f"/account/requests/{filed.reference}"))
    assert "Objection to processing: marketing" in shown
    assert "No more calls" in shown
    assert "Status history" in shown and ": waiting for handling" in shown
    due = filed.due_on
    assert f"We answer by {due.day} {due.strftime('%b')} {due.year}" in shown
    listed = text_of(client.get("/account/requests"))
    assert filed.reference in listed and "waiting for handling" in listed


def test_extended_due_date_is_shown_with_its_reason(app, client, auth, demo):
    log_in(client, auth, MAIJA)
    file_request(client, "erasure", reply_contact=MAIJA)
    [filed] = requests_of(app, MAIJA)
    change_request(app, filed.reference, status="in_review", extended_due_on=date(2027, 2, 22),
                   extension_reason="Tarvitsemme tiedot kolmesta järjestelmästä")
    for path in ("/account/requests", f"/account/requests/{filed.reference}"):
        shown = text_of(client.get(path))
        assert "22.2.2027" in shown
        assert "Tarvitsemme tiedot kolmesta järjestelmästä" in shown
        assert_finnish(app, shown, "in review")


def test_decision_with_reasons_and_the_ombudsman_when_denied(app, client, auth, demo):
    log_in(client, auth, MATTI)
    file_request(client, "erasure", reply_contact=MATTI)
    [filed] = requests_of(app, MATTI)
    change_request(app, filed.reference, status="denied", decided_at=datetime(2026, 12, 1, 10, tzinfo=UTC),
                   decision_reason="You are still the contact person of Testiyhtiö Oy.")
    shown = text_of(client.get(f"/account/requests/{filed.reference}"))
    assert "Decided on 1 Dec 2026: denied." in shown
    assert "You are still the contact person of Testiyhtiö Oy." in shown
    assert ("Data Protection Ombudsman (Office of the Data Protection Ombudsman, https://tietosuoja.fi)"
            in shown)
    assert "Open the decision letter · Download it as PDF" in shown


def test_another_customers_request_is_not_found(app, client, auth, demo):
    other = app.test_client()
    AuthActions(other).login(MATTI, DEMO_PASSWORD)
    file_request(other, "erasure", reply_contact=MATTI)
    [theirs] = requests_of(app, MATTI)
    log_in(client, auth, MAIJA)
    token = csrf_token(client, "/account/requests")
    assert client.get(f"/account/requests/{theirs.reference}").status_code == 404
    assert client.post(f"/account/requests/{theirs.reference}/cancel",
                       data={"csrf_token": token}).status_code == 404
    assert client.post(f"/account/requests/{theirs.reference}/messages",
                       data={"csrf_token": token, "body": "Hei"}).status_code == 404
    [still] = requests_of(app, MATTI)
    assert still.status == "pending" and still.messages == []
    for made_up in ("PR-2026-999999", "PR-2026-1", "x" * 500, "PR-2026-000001%00"):
        assert client.get(f"/account/requests/{made_up}").status_code == 404


# --- cancelling ---------------------------------------------------------------------------

def test_cancel_a_pending_request(app, client, auth, demo):
    log_in(client, auth, MATTI)
    file_request(client, "restriction", scope="all", reason="Checking", reply_contact=MATTI)
    [filed] = requests_of(app, MATTI)
    detail = page(client.get(f"/account/requests/{filed.reference}"))
    assert "Yes, cancel this request" in detail
    response = client.post(f"/account/requests/{filed.reference}/cancel",
                           data={"csrf_token": csrf_token(client, f"/account/requests/{filed.reference}")})
    assert response.headers["Location"].endswith(f"/account/requests/{filed.reference}")
    [cancelled] = requests_of(app, MATTI)
    assert cancelled.status == "cancelled"
    assert [e.status for e in cancelled.events] == ["pending", "cancelled"]
    assert "request_cancelled" in audit_actions(app)
    message = sent_mail(app)[-1]
    assert message.subject == f"Your request {filed.reference} is cancelled" and message.to == [MATTI]
    shown = text_of(client.get(response.headers["Location"]))
    assert f"Your request {filed.reference} is cancelled." in shown
    assert "Yes, cancel this request" not in shown


def test_cancel_needs_the_form_token(app, client, auth, demo):
    log_in(client, auth, MATTI)
    file_request(client, "restriction", scope="all", reason="Checking", reply_contact=MATTI)
    [filed] = requests_of(app, MATTI)
    assert client.post(f"/account/requests/{filed.reference}/cancel").status_code == 400
    assert client.get(f"/account/requests/{filed.reference}/cancel").status_code == 405
    assert requests_of(app, MATTI)[0].status == "pending"


def test_a_request_in_review_cannot_be_cancelled(app, client, auth, demo):
    log_in(client, auth, MAIJA)
    file_request(client, "erasure", reply_contact=MAIJA)
    [filed] = requests_of(app, MAIJA)
    detail = f"/account/requests/{filed.reference}"
    token = csrf_token(client, detail)
    change_request(app, filed.reference, status="in_review")
    response = client.post(f"{detail}/cancel", data={"csrf_token": token})
    shown = text_of(client.get(response.headers["Location"]))
    assert_finnish(app, shown, "This request is already being handled, so it can no longer be cancelled.")
    assert requests_of(app, MAIJA)[0].status == "in_review"
    assert "request_cancelled" not in audit_actions(app)


# --- messages -----------------------------------------------------------------------------

def test_customer_message_joins_the_thread(app, client, auth, demo):
    log_in(client, auth, MATTI)
    file_request(client, "erasure", reply_contact=MATTI)
    [filed] = requests_of(app, MATTI)
    detail = f"/account/requests/{filed.reference}"
    response = client.post(f"{detail}/messages", data={"csrf_token": csrf_token(client, detail),
                                                        "body": "Please also remove\nmy old address."})
    assert response.headers["Location"].endswith(f"{detail}#messages")
    shown = page(client.get(detail))
    assert "Please also remove<br>my old address." in shown
    assert "Your message has been sent." in shown
    assert audit_details(app, "request_message_added") == [
        {"reference": filed.reference, "author_kind": "customer"}]
    assert len(sent_mail(app)) == 1  # the receipt only: no email to oneself


def test_empty_message_is_refused_and_markup_is_shown_as_text(app, client, auth, demo):
    log_in(client, auth, MAIJA)
    file_request(client, "erasure", reply_contact=MAIJA)
    [filed] = requests_of(app, MAIJA)
    detail = f"/account/requests/{filed.reference}"
    response = client.post(f"{detail}/messages",
                           data={"csrf_token": csrf_token(client, detail), "body": "  "})
    assert response.status_code == 200
    assert_finnish(app, page(response), "Write your message.")
    client.post(f"{detail}/messages", data={"csrf_token": csrf_token(client, detail), "body": "<b>hei</b>"})
    assert "&lt;b&gt;hei&lt;/b&gt;" in client.get(detail).get_data(as_text=True)
    assert [m.body for m in requests_of(app, MAIJA)[0].messages] == ["<b>hei</b>"]


def test_staff_message_is_shown_and_a_closed_request_has_no_message_form(app, client, auth, demo):
    log_in(client, auth, MATTI)
    file_request(client, "erasure", reply_contact=MATTI)
    [filed] = requests_of(app, MATTI)
    with app.app_context():
        row = db.session.get(PrivacyRequest, filed.id)
        db.session.add(RequestMessage(request=row, author_kind="staff", body="Which address?"))
        db.session.commit()
        db.session.remove()
    detail = f"/account/requests/{filed.reference}"
    shown = text_of(client.get(detail))
    assert "Customer service" in shown and "Which address?" in shown
    token = csrf_token(client, detail)
    change_request(app, filed.reference, status="approved")
    assert "Send message" not in page(client.get(detail))
    response = client.post(f"{detail}/messages", data={"csrf_token": token, "body": "Late"})
    assert "This request is closed" in page(client.get(response.headers["Location"]))
    assert len(requests_of(app, MATTI)[0].messages) == 1


# --- emails the staff side sends through notify() ------------------------------------------

def _notify(app, reference: str, template: str, **values) -> None:
    with app.test_request_context(base_url=app.config["PORTAL_BASE_URL"]):
        row = db.session.execute(
            select(PrivacyRequest).where(PrivacyRequest.reference == reference)).scalar_one()
        for name, value in values.items():
            setattr(row, name, value)
        service.notify(db.session, row, template)
        db.session.commit()
        db.session.remove()


@pytest.mark.parametrize(("email", "language"), [(MAIJA, "fi"), (MATTI, "en")])
def test_denial_email_names_the_ombudsman_in_the_customers_language(app, client, auth, demo, email, language):
    log_in(client, auth, email)
    file_request(client, "erasure", reply_contact=email)
    [filed] = requests_of(app, email)
    _notify(app, filed.reference, "request_decided", status="denied", decision_reason="Laki estää / The law")
    [row] = [r for r in outbox_mail(app) if r.kind == "request_decided"]
    assert row.recipient == email
    authority = ("Tietosuojavaltuutetun toimisto" if language == "fi"
                 else "Office of the Data Protection Ombudsman")
    assert authority in row.body_text and "tietosuoja@om.fi" in row.body_text
    assert "Laki estää / The law" in row.body_text
    assert f"/account/requests/{filed.reference}" in row.body_text
    assert f'<html lang="{language}">' in row.body_html


def test_approval_email_has_no_complaint_paragraph(app, client, auth, demo):
    log_in(client, auth, MATTI)
    file_request(client, "erasure", reply_contact=MATTI)
    [filed] = requests_of(app, MATTI)
    _notify(app, filed.reference, "request_decided", status="approved")
    [row] = [r for r in outbox_mail(app) if r.kind == "request_decided"]
    assert "Decision: approved" in row.body_text
    assert "Ombudsman" not in row.body_text


def test_extension_and_clarification_emails(app, client, auth, demo):
    log_in(client, auth, MAIJA)
    file_request(client, "erasure", reply_contact=MAIJA)
    [filed] = requests_of(app, MAIJA)
    _notify(app, filed.reference, "request_extended", extended_due_on=date(2027, 2, 22),
            extension_reason="Kolme järjestelmää")
    _notify(app, filed.reference, "request_clarification")
    rows = {r.kind: r for r in outbox_mail(app)}
    assert "22.2.2027" in rows["request_extended"].body_text
    assert "Kolme järjestelmää" in rows["request_extended"].body_text
    assert_finnish(app, rows["request_clarification"].subject, "A question about your request %(reference)s",
                   reference=filed.reference)
    assert f"/account/requests/{filed.reference}#messages" in rows["request_clarification"].body_text


# --- the mail server is down ---------------------------------------------------------------

def test_filing_and_cancelling_work_while_the_mail_server_is_down(mail_down_app):
    app = mail_down_app
    client = app.test_client()
    AuthActions(client).login(MAIJA, DEMO_PASSWORD)
    response = file_request(client, "erasure", reply_contact=MAIJA)
    assert response.status_code == 302
    [filed] = requests_of(app, MAIJA)
    client.post(f"/account/requests/{filed.reference}/cancel",
                data={"csrf_token": csrf_token(client, f"/account/requests/{filed.reference}")})
    assert requests_of(app, MAIJA)[0].status == "cancelled"
    rows = outbox_mail(app)
    assert [(r.kind, r.recipient, r.status) for r in rows] == [
        ("request_received", MAIJA, "pending"), ("request_cancelled", MAIJA, "pending")]
    assert {"request_submitted", "request_cancelled"} <= set(audit_actions(app))
