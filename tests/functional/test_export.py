"""Download my data: complete JSON and CSV-in-ZIP, no secrets, no one else's data, safe in a
spreadsheet, streamed in batches, only after a recent log-in, and every download audited."""

from __future__ import annotations

import csv
import io
import json
import re
import time
import uuid
import zipfile
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask import request_finished
from sqlalchemy import event, select

from portal.demo import DEMO_PASSWORD, STAFF_EMAIL
from portal.extensions import db
from portal.models import (
    AuditEvent,
    Customer,
    Disclosure,
    Invoice,
    Order,
    PrivacyRequest,
    RequestEvent,
    RequestMessage,
    User,
    UserSession,
)
from portal.services import export as exporter
from portal.services.audit import record_audit
from portal.services.lookups import record_lookup
from tests.conftest import AuthActions, post_form
from tests.factories import PASSWORD, OrderFactory, UserFactory
from tests.functional.helpers import MAIJA, MATTI, page

BOM = b"\xef\xbb\xbf"
HYPERLINK = '=HYPERLINK("http://evil.example/steal","Avaa lasku")'


def _download(client, path: str):
    response = client.get(path)
    assert response.status_code == 200, response.headers.get("Location")
    return response


def _json(client) -> dict:
    return json.loads(_download(client, "/account/export.json").get_data())


def _zip(client) -> dict[str, bytes]:
    archive = zipfile.ZipFile(io.BytesIO(_download(client, "/account/export.zip").get_data()))
    assert archive.testzip() is None
    return {name: archive.read(name) for name in archive.namelist()}


def _csv(files: dict[str, bytes], name: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(files[name].decode("utf-8-sig")), delimiter=";"))


def _staff_id(app) -> int:
    with app.app_context():
        staff = db.session.execute(select(User.id).where(User.email == STAFF_EMAIL)).scalar_one()
        db.session.remove()
    return staff


def _add(app, build) -> None:
    """Add the rows `build(customers_by_email, staff_id)` returns, and commit."""
    with app.app_context():
        people = {c.email: c for c in db.session.execute(select(Customer)).scalars()}
        staff = db.session.execute(select(User).where(User.email == STAFF_EMAIL)).scalar_one()
        db.session.add_all(build(people, staff))
        db.session.commit()
        db.session.remove()


def _requests(people, staff) -> list:
    """A decided correction request for Maija and a pending erasure for Matti."""
    maija, matti = people[MAIJA], people[MATTI]
    decided = PrivacyRequest(
        reference="PR-2026-0007", customer=maija, kind="correction", status="denied",
        received_at=datetime(2026, 10, 1, 8, 30, tzinfo=UTC), due_on=date(2026, 11, 1),
        details={"fields": {"city": "Tampere → Espoo"}, "reason": "Muutin"},
        reply_contact=MAIJA, decided_at=datetime(2026, 10, 20, 12, 0, tzinfo=UTC),
        decided_by_id=staff.id, decision_reason="Osoite on jo oikein väestötiedoissa.",
        events=[RequestEvent(status="pending", actor_kind="customer",
                             at=datetime(2026, 10, 1, 8, 30, tzinfo=UTC)),
                RequestEvent(status="denied", actor_kind="staff", actor_id=staff.id,
                             at=datetime(2026, 10, 20, 12, 0, tzinfo=UTC), note="Tarkistettu")],
        messages=[RequestMessage(author_kind="staff", author_id=staff.id, body="Voitko lähettää todisteen?",
                                 at=datetime(2026, 10, 5, 9, 0, tzinfo=UTC))])
    other = PrivacyRequest(reference="PR-2026-0099", customer=matti, kind="erasure",
                           due_on=date(2026, 12, 1), details={"reason": "Matin oma syy"})
    return [decided, other]  # Maija's 2024 marketing change comes with the demo


def _staff_lookups(app) -> None:
    """A reviewer looked at Maija's and at Matti's data, and decided something of Maija's."""
    with app.app_context():
        people = {c.email: c.id for c in db.session.execute(select(Customer)).scalars()}
        staff = db.session.execute(select(User).where(User.email == STAFF_EMAIL)).scalar_one()
        record_lookup(db.session, staff, people[MAIJA], reason="billing", note="Laskun L-2025-0877 kopio")
        record_lookup(db.session, staff, people[MATTI], reason="other", note="Matin laskun selvitys")
        record_audit(db.session, "request_decided", actor=staff, customer_id=people[MAIJA],
                     details={"reviewer": STAFF_EMAIL})  # an action, not a look-up
        db.session.commit()
        db.session.remove()


@pytest.fixture
def maija(client, auth, demo):
    """Maija logged in just now."""
    auth.login(MAIJA, DEMO_PASSWORD)
    return client


# --- Content ---------------------------------------------------------------------------------

def test_json_holds_maija_s_history_with_iso_dates(maija):
    doc = _json(maija)
    assert (doc["schema"], doc["schema_version"]) == ("portal-export", 1)
    assert doc["controller"]["name"] == "Esimerkki Oy" and doc["controller"]["business_id"] == "1234567-1"
    assert doc["person"]["last_name"] == "Meikäläinen" and doc["person"]["email"] == MAIJA
    assert doc["person"]["relationship_start"] == "2019-03-14"
    assert {o["number"]: (o["ordered_on"], o["total_cents"], o["currency"]) for o in doc["orders"]} == {
        "T-2024-0101": ("2024-03-02", 48900, "EUR"), "T-2025-0877": ("2025-08-15", 12950, "EUR")}
    [invoice] = doc["invoices"]
    assert (invoice["number"], invoice["status"], invoice["paid_on"]) == ("L-2025-0877", "paid", "2025-08-20")
    assert {s["kind"] for s in doc["sources"]} == {"registration", "webshop_purchase", "address_service"}
    [disclosure] = doc["disclosures"]
    assert disclosure["recipient"] == "Laskutuspalvelu Esimerkki Oy"
    assert disclosure["recipient_category"] == "billing"
    assert disclosure["disclosed_at"] == "2025-08-15T10:00:00+00:00"
    assert doc["marketing"]["prohibitions"] == [
        {"channel": "distance_selling", "since": "2024-03-02T10:00:00+00:00"}]
    assert doc["quotes"] == [] and doc["requests"] == [] and doc["staff_lookups"] == []
    assert doc["account"]["email"] == MAIJA and len(doc["logins"]) == 1


def _every_value(node, key=""):
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _every_value(v, k)
    elif isinstance(node, list):
        for v in node:
            yield from _every_value(v, key)
    else:
        yield key, node


def test_every_date_and_time_is_iso_8601_and_times_carry_their_offset(maija, app):
    _add(app, _requests)
    doc = _json(maija)
    checked = 0
    for key, value in _every_value(doc):
        if value is None:
            continue
        if key.endswith("_on") or key in ("relationship_start", "relationship_end", "valid_until", "date"):
            assert date.fromisoformat(value).isoformat() == value, (key, value)
            checked += 1
        elif key.endswith("_at") or key in ("since", "at"):
            parsed = datetime.fromisoformat(value)
            assert parsed.utcoffset() == timedelta(0), (key, value)
            checked += 1
    assert checked > 20


def test_requests_carry_their_status_history_messages_and_decision(maija, app):
    _add(app, _requests)
    doc = _json(maija)
    [request] = doc["requests"]
    assert (request["reference"], request["kind"], request["status"]) == (
        "PR-2026-0007", "correction", "denied")
    assert request["details"] == {"fields": {"city": "Tampere → Espoo"}, "reason": "Muutin"}
    assert request["decided_at"] == "2026-10-20T12:00:00+00:00"
    assert request["decision_reason"] == "Osoite on jo oikein väestötiedoissa."
    assert [(e["status"], e["actor_kind"], e["note"]) for e in request["status_history"]] == [
        ("pending", "customer", None), ("denied", "staff", "Tarkistettu")]
    assert [m["body"] for m in request["messages"]] == ["Voitko lähettää todisteen?"]
    assert doc["marketing"]["history"] == [{"changed_at": "2024-03-02T10:00:00+00:00",
                                            "channel": "distance_selling", "prohibited": True,
                                            "changed_by": "customer"}]


def test_staff_look_ups_show_date_and_purpose_never_the_employee(maija, app):
    _staff_lookups(app)
    with app.app_context():  # Maija reads the portal in English: the purpose comes in her words
        db.session.execute(select(User).where(User.email == MAIJA)).scalar_one().locale = "en"
        db.session.commit()
        db.session.remove()
    doc = _json(maija)
    today = datetime.now(ZoneInfo("Europe/Helsinki")).date()
    assert doc["staff_lookups"] == [{
        "date": today.isoformat(), "reason": "billing", "reference": None,
        "purpose": "A question about billing or an invoice: Laskun L-2025-0877 kopio"}]
    body = _download(maija, "/account/export.json").get_data() + b"".join(_zip(maija).values())
    assert STAFF_EMAIL.encode() not in body


def _secrets(app) -> dict[str, str]:
    """Every secret stored for Maija's account, and every audit hash."""
    with app.app_context():
        user = db.session.execute(select(User).where(User.email == MAIJA)).scalar_one()
        found = {"password hash": user.password, "uniquifier": user.fs_uniquifier,
                 "TOTP secret": user.tf_totp_secret}
        for number, key_hash in enumerate(db.session.execute(
                select(UserSession.key_hash).where(UserSession.user_id == user.id)).scalars()):
            found[f"session key hash {number}"] = key_hash
        for event_id, prev_hash, own_hash in db.session.execute(
                select(AuditEvent.id, AuditEvent.prev_hash, AuditEvent.hash)):
            found[f"audit {event_id} hash"] = own_hash
            found[f"audit {event_id} prev_hash"] = prev_hash
        db.session.remove()
    return found


def test_no_secret_is_in_either_download(maija, app):
    with app.app_context():
        user = db.session.execute(select(User).where(User.email == MAIJA)).scalar_one()
        user.tf_totp_secret = "JBSWY3DPEHPK3PXPSECRETTOTPKEY234"
        db.session.commit()
        db.session.remove()
    _staff_lookups(app)
    downloads = {"export.json": _download(maija, "/account/export.json").get_data(),
                 **{f"export.zip/{n}": data for n, data in _zip(maija).items()}}
    secrets = _secrets(app)
    assert secrets["TOTP secret"] and secrets["password hash"].startswith("$argon2")
    assert len(secrets) > 6
    for what, secret in secrets.items():
        for name, data in downloads.items():
            assert secret.encode() not in data, f"{what} is in {name}"
    assert not re.search(rb'"(password|fs_uniquifier|tf_totp_secret|key_hash|hash|prev_hash)"',
                         downloads["export.json"])


def _other_people_s_values(app) -> set[str]:
    """Values that identify someone other than Maija, or their history."""
    with app.app_context():
        session = db.session
        maija_id = session.execute(select(Customer.id).where(Customer.email == MAIJA)).scalar_one()
        values = set()
        for customer in session.execute(select(Customer).where(Customer.id != maija_id)).scalars():
            values |= {customer.email, customer.phone, customer.street_address}
        for model, column in ((Order, Order.number), (Invoice, Invoice.number),
                              (Disclosure, Disclosure.recipient), (PrivacyRequest, PrivacyRequest.reference)):
            values |= set(session.execute(select(column).where(model.customer_id != maija_id)).scalars())
        values |= {"Matin laskun selvitys", "Matin oma syy"}
        session.remove()
    return {v for v in values if v}


def test_another_customer_s_data_is_never_in_maija_s_downloads(maija, app):
    _add(app, _requests)
    _staff_lookups(app)
    others = _other_people_s_values(app)
    assert {MATTI, "Teollisuustie 12", "T-2026-0456", "PR-2026-0099", "Perintä Esimerkki Oy"} <= others
    json_body = _download(maija, "/account/export.json").get_data().decode()
    zip_text = "".join(data.decode("utf-8-sig") for data in _zip(maija).values())
    for value in others:
        assert value not in json_body, value
        assert value not in zip_text, value
    assert "T-2025-0877" in json_body and "T-2025-0877" in zip_text  # hers are there


# --- The ZIP of CSV files --------------------------------------------------------------------

def test_zip_has_one_csv_per_list_each_with_a_bom(maija):
    files = _zip(maija)
    expected = {"README.txt", "controller.csv", "person.csv", "account.csv",
                *(section.file for section in exporter.LISTS)}
    assert set(files) == expected
    assert "orders.csv" in files and "staff_lookups.csv" in files
    for name, data in files.items():
        assert data.startswith(BOM), name
        data.decode("utf-8")


def test_umlauts_survive_in_csv(maija):
    files = _zip(maija)
    person = dict(_csv(files, "person.csv"))
    assert person["last_name"] == "Meikäläinen"
    assert "Meikäläinen".encode() in files["person.csv"]
    assert _csv(files, "person.csv")[0] == ["field", "value"]
    orders = _csv(files, "orders.csv")
    assert orders[0] == ["number", "ordered_on", "description", "total_cents", "currency", "channel"]
    assert ["T-2024-0101", "2024-03-02", "Puutarhakalusteet", "48900", "EUR", "webshop"] in orders


def test_csv_rows_match_the_json_lists(maija, app):
    _add(app, _requests)
    doc, files = _json(maija), _zip(maija)
    for section in exporter.LISTS:
        rows = _csv(files, section.file)
        assert rows[0] == [f.key for f in section.fields], section.file
        if section is exporter.STATUS_HISTORY or section is exporter.MESSAGES:
            expected = sum(len(r[section.key]) for r in doc["requests"])
        elif section in (exporter.PROHIBITIONS, exporter.MARKETING_HISTORY):
            expected = len(doc["marketing"][section.key])
        else:
            expected = len(doc[section.key])
        assert len(rows) - 1 == expected, section.file


def _readme_halves(files) -> tuple[str, str]:
    readme = files["README.txt"].decode("utf-8-sig")
    finnish, english = readme.split("README – your data", 1)
    return finnish, english


def test_readme_explains_every_file_and_column_in_finnish_and_english(maija):
    files = _zip(maija)
    finnish, english = _readme_halves(files)
    assert "LUEMINUT" in finnish and "Tämä paketti sisältää kaikki tiedot" in finnish
    assert "This archive holds all the data" in english
    for name in files:
        if name == "README.txt":
            continue
        header = _csv(files, name)[0]
        columns = [row[0] for row in _csv(files, name)[1:]] if header == ["field", "value"] else header
        for half, text in (("Finnish", finnish), ("English", english)):
            assert re.search(rf"^{re.escape(name)} – ", text, re.M), f"{name} not in the {half} README"
            part = text.split(f"{name} – ", 1)[1].split(".csv – ", 1)[0]
            for column in columns:
                assert re.search(rf"^  {re.escape(column)}\s", part, re.M), f"{name}: {column} ({half})"


@pytest.mark.parametrize("cell", ["=1+2", "+358 40 111", "-2+3", "@SUM(A1)", "\tx", "\rx"])
def test_cells_a_spreadsheet_would_run_get_a_quote_in_front(cell):
    assert exporter.neutralise(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["Maija", "2024-03-02", "48900", "'quoted", " =x", ""])
def test_other_cells_are_left_alone(cell):
    assert exporter.neutralise(cell) == cell


def test_a_formula_planted_in_a_description_comes_out_neutralised(maija, app):
    with app.app_context():
        order = db.session.execute(select(Order).where(Order.number == "T-2025-0877")).scalar_one()
        order.description = HYPERLINK
        db.session.commit()
        db.session.remove()
    orders = _csv(_zip(maija), "orders.csv")
    [row] = [r for r in orders if r[0] == "T-2025-0877"]
    assert row[2] == "'" + HYPERLINK
    assert not [cell for r in orders for cell in r if cell.startswith(("=", "+", "-", "@"))]
    person = dict(_csv(_zip(maija), "person.csv"))
    assert person["phone"] == "'+358 40 111 2222"
    [order] = [o for o in _json(maija)["orders"] if o["number"] == "T-2025-0877"]
    assert order["description"] == HYPERLINK  # JSON is data, not a spreadsheet: kept as it is


# --- Response headers ------------------------------------------------------------------------

@pytest.mark.parametrize(("path", "content_type", "extension"), [
    ("/account/export.json", "application/json", "json"),
    ("/account/export.zip", "application/zip", "zip"),
])
def test_downloads_are_dated_attachments_never_stored(maija, path, content_type, extension):
    response = _download(maija, path)
    assert response.headers["Content-Type"] == content_type
    assert re.fullmatch(rf'attachment; filename="[a-z-]+-\d{{4}}-\d{{2}}-\d{{2}}\.{extension}"',
                        response.headers["Content-Disposition"])
    today = datetime.now(UTC).date()
    assert any(str(today + timedelta(days=d)) in response.headers["Content-Disposition"] for d in (0, 1))
    assert response.headers["Cache-Control"] == "no-store"


# --- Fresh log-in and audit ------------------------------------------------------------------

def _logged_in_minutes_ago(client, minutes: float) -> None:
    with client.session_transaction() as session:
        session["fs_paa"] = time.time() - minutes * 60
        session.pop("fs_gexp", None)


def _exports(app) -> list[tuple]:
    with app.app_context():
        rows = db.session.execute(
            select(AuditEvent.actor_kind, AuditEvent.customer_id, AuditEvent.details)
            .where(AuditEvent.action == "data_exported").order_by(AuditEvent.id)).all()
        maija_id = db.session.execute(select(Customer.id).where(Customer.email == MAIJA)).scalar_one()
        db.session.remove()
    return [(kind, customer_id == maija_id, json.loads(details)) for kind, customer_id, details in rows]


@pytest.mark.parametrize("path", ["/account/export.json", "/account/export.zip"])
def test_a_log_in_older_than_ten_minutes_must_enter_the_password_again_then_comes_back(maija, app, path):
    _logged_in_minutes_ago(maija, 11)
    response = maija.get(path)
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith("/verify?") and "next=" in location
    assert _exports(app) == []
    back = post_form(maija, location, password=DEMO_PASSWORD)
    assert back.status_code == 302 and back.headers["Location"] == path
    assert _download(maija, path).headers["Content-Disposition"].startswith("attachment")
    assert len(_exports(app)) == 1


def test_a_wrong_password_on_the_way_gets_no_download(maija, app):
    _logged_in_minutes_ago(maija, 30)
    location = maija.get("/account/export.json").headers["Location"]
    response = post_form(maija, location, password="Vaara-salasana-123")
    assert response.status_code == 200
    assert maija.get("/account/export.json").status_code == 302
    assert _exports(app) == []


def test_a_log_in_nine_minutes_ago_downloads_at_once(maija, app):
    _logged_in_minutes_ago(maija, 9)
    _download(maija, "/account/export.json")
    _logged_in_minutes_ago(maija, 9)
    _download(maija, "/account/export.zip")
    assert len(_exports(app)) == 2


def test_each_download_is_audited_with_its_format(maija, app):
    _download(maija, "/account/export.json")
    _download(maija, "/account/export.zip")
    _download(maija, "/account/export.json")
    assert _exports(app) == [("customer", True, {"format": "json"}), ("customer", True, {"format": "zip"}),
                             ("customer", True, {"format": "json"})]


def test_the_export_page_is_not_a_download_and_is_not_audited(maija, app):
    _logged_in_minutes_ago(maija, 30)
    assert maija.get("/account/export").status_code == 200
    assert _exports(app) == []


# --- The page --------------------------------------------------------------------------------

def test_the_page_explains_both_formats_and_links_to_them(client, auth, demo):
    auth.login(MATTI, DEMO_PASSWORD)  # Matti reads English
    shown = page(client.get("/account/export"))
    assert "Download your data" in shown
    assert "move your data to another service" in shown
    assert "open in Excel" in shown
    assert 'href="/account/export.json"' in shown and 'href="/account/export.zip"' in shown
    assert "more than 10 minutes ago" in shown


# --- Streaming -------------------------------------------------------------------------------

@pytest.fixture
def many_orders(app, client, monkeypatch):
    """A customer with 250 orders, logged in; batches of 100 rows.

    The descriptions are random, so even compressed every batch is big enough to leave zlib.
    """
    monkeypatch.setattr(exporter, "BATCH_SIZE", 100)
    with app.app_context():
        user = UserFactory()
        for _ in range(250):
            OrderFactory(customer=user.customer, description="Tuote ä " + uuid.uuid4().hex * 8)
        email = user.email
        db.session.commit()
        db.session.remove()
    AuthActions(client).login(email, PASSWORD)
    return client


def _stream(app, client, path: str) -> tuple[object, list[tuple[bytes, int]]]:
    """Read `path` chunk by chunk: the response the app made, and each chunk with the number
    of order queries run before it arrived."""
    with app.app_context():
        engine = db.engine
    queries: list[str] = []
    made: list = []

    def on_sql(conn, cursor, statement, parameters, context, executemany):
        queries.append(statement)

    def on_finished(sender, response, **extra):
        made.append(response)

    event.listen(engine, "before_cursor_execute", on_sql)
    request_finished.connect(on_finished, app)
    try:
        response = client.get(path, buffered=False)
        assert response.status_code == 200
        chunks = []
        for chunk in response.response:
            chunks.append((chunk, sum("FROM customer_order" in q for q in queries)))
        response.close()
    finally:
        request_finished.disconnect(on_finished, app)
        event.remove(engine, "before_cursor_execute", on_sql)
    return made[0], chunks


def test_json_streams_while_the_orders_are_still_being_read(app, many_orders):
    made, chunks = _stream(app, many_orders, "/account/export.json")
    assert made.is_streamed
    assert chunks[0][1] == 0, "the first chunk waited for the orders"
    with_orders = [(chunk, reads) for chunk, reads in chunks if b'"T-TEST-' in chunk]
    assert [reads for _, reads in with_orders] == [1, 2, 3]  # each batch sent before the next read
    assert [chunk.count(b'"T-TEST-') for chunk, _ in with_orders] == [100, 100, 50]
    doc = json.loads(b"".join(chunk for chunk, _ in chunks))
    assert len(doc["orders"]) == 250 and doc["orders"][0]["description"].startswith("Tuote ä ")


def test_zip_streams_while_the_orders_are_still_being_read(app, many_orders):
    made, chunks = _stream(app, many_orders, "/account/export.zip")
    assert made.is_streamed
    assert chunks[0][1] == 0, "the first chunk waited for the orders"
    reads_when_sent = {reads for _, reads in chunks}
    assert {1, 2} <= reads_when_sent, "nothing went out between the batches of orders"
    files = zipfile.ZipFile(io.BytesIO(b"".join(chunk for chunk, _ in chunks)))
    orders = list(csv.reader(io.StringIO(files.read("orders.csv").decode("utf-8-sig")), delimiter=";"))
    assert len(orders) == 1 + 250 and orders[1][2].startswith("Tuote ä ")
