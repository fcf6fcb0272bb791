"""The audit log page (/staff/audit): administrators search, page, check and download it; nobody
else opens it, and nothing in the app changes or deletes an entry."""

from __future__ import annotations

import ast
import codecs
import csv
import io
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from bs4 import BeautifulSoup
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, event, select, text

from portal.demo import ADMIN_EMAIL, DEMO_PASSWORD, STAFF_EMAIL
from portal.extensions import db
from portal.models import AuditEvent, Customer, User
from portal.models.audit import AppendOnlyViolation
from portal.services.audit import record_audit
from portal.staff.audit_forms import ACTION_LABELS
from tests.conftest import AuthActions, csrf_token
from tests.functional.helpers import MAIJA, MATTI, page, switch_language, translated

PORTAL = Path(__file__).resolve().parents[2] / "portal"


# --- helpers ---------------------------------------------------------------------------------

def _record(app, action: str, *, count: int = 1, staff: str | None = None, at: datetime | None = None,
            **kwargs) -> None:
    """Append `count` entries; `staff` names the acting staff member, `at` fixes the time."""
    with pytest.MonkeyPatch.context() as patch, app.app_context():
        if at is not None:
            patch.setattr("portal.services.audit.utcnow", lambda: at)
        actor = _user(staff) if staff else None
        for _ in range(count):
            record_audit(db.session, action, actor=actor, **kwargs)
        db.session.commit()
        db.session.remove()


def _user(email: str) -> User:
    """The account with `email`, in the current app context."""
    return db.session.execute(select(User).where(User.email == email)).scalar_one()


def _id_of(app, model, email: str) -> int:
    """The id of the `model` row (Customer or User) with `email`."""
    with app.app_context():
        found = db.session.execute(select(model.id).where(model.email == email)).scalar_one()
        db.session.remove()
    return found


def _last_entry(app) -> AuditEvent:
    """The newest audit entry, detached."""
    with app.app_context():
        found = db.session.execute(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)).scalar_one()
        db.session.expunge(found)
        db.session.remove()
    return found


def _rows(response) -> list[list[str]]:
    """The results table's cells, row by row (empty when the page shows no table)."""
    table = BeautifulSoup(response.get_data(as_text=True), "html.parser").select_one("#results table")
    if table is None:
        return []
    return [[cell.get_text(" ", strip=True) for cell in tr.find_all("td")] for tr in table.select("tbody tr")]


def _error_of(response, field: str) -> str:
    """The message shown next to form field `field`."""
    found = BeautifulSoup(response.get_data(as_text=True), "html.parser").select_one(f"#{field}-error")
    return found.get_text(strip=True) if found else ""


def _next_link(response) -> str:
    """The address of the "Next page" link."""
    return BeautifulSoup(response.get_data(as_text=True), "html.parser").find("a", rel="next")["href"]


def _english(client):
    """Switch `client` to English and return it."""
    switch_language(client, "en", "/staff/audit")
    return client


@pytest.fixture
def admin(admin_client):
    """The demo administrator, logged in, reading English."""
    return _english(admin_client)


# --- who may open it -----------------------------------------------------------------------------

def test_reviewers_get_403_on_the_page_and_the_download(reviewer_client):
    assert reviewer_client.get("/staff/audit").status_code == 403
    assert reviewer_client.get("/staff/audit.csv").status_code == 403
    token = csrf_token(reviewer_client, "/staff/")
    assert reviewer_client.post("/staff/audit", data={"csrf_token": token}).status_code == 403


def test_customers_get_403(client, demo_queue):
    AuthActions(client).login(MAIJA, DEMO_PASSWORD)
    assert client.get("/staff/audit").status_code == 403
    assert client.get("/staff/audit.csv").status_code == 403


def test_administrators_find_it_in_the_staff_menu(admin):
    menu = page(admin.get("/staff/"))
    assert 'href="/staff/audit"' in menu and "Audit log" in menu
    assert admin.get("/staff/audit").status_code == 200


# --- what a row shows ---------------------------------------------------------------------------

def test_rows_are_newest_first_with_words_for_codes_and_actors(app, admin):
    maija = _id_of(app, Customer, MAIJA)
    _record(app, "request_submitted", actor_kind="customer", customer_id=maija,
            details={"reference": "PR-2026-000042", "kind": "erasure"})
    _record(app, "customer_viewed", staff=STAFF_EMAIL, customer_id=maija, purpose="Puhelinsoitto")
    _record(app, "something_new", actor_kind="system")
    rows = _rows(admin.get("/staff/audit"))
    newest, viewed, submitted = rows[0], rows[1], rows[2]
    assert newest[2:4] == ["something_new", "system"]  # an unknown code is shown as it is
    assert viewed[2:6] == ["Customer's data viewed", STAFF_EMAIL, str(maija), "Puhelinsoitto"]
    assert submitted[2:4] == ["Request sent", "customer"]
    assert "kind: erasure" in submitted[6] and "reference: PR-2026-000042" in submitted[6]
    assert int(newest[0]) > int(viewed[0]) > int(submitted[0])


def _name(func) -> str | None:
    """The name a call calls: f(...) or x.f(...)."""
    return func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)


def _argument(call: ast.Call, position: int, keyword: str):
    """The call's argument at `position`, or given as `keyword`."""
    if len(call.args) > position:
        return call.args[position]
    return next((k.value for k in call.keywords if k.arg == keyword), None)


def _recorded_actions() -> set[str]:
    """Every action code passed to record_audit in portal/, followed through constants and through
    one level of helper functions that take the code as a parameter."""
    trees = [ast.parse(path.read_text(encoding="utf-8")) for path in PORTAL.rglob("*.py")]

    def constants_of(tree) -> dict[str, str]:
        return {target.id: node.value.value for node in tree.body
                if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
                and isinstance(node.value.value, str)
                for target in node.targets if isinstance(target, ast.Name)}

    imported = {name: code for tree in trees for name, code in constants_of(tree).items()}

    def value(node) -> str | None:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        return constants.get(node.id, imported.get(node.id)) if isinstance(node, ast.Name) else None

    codes: set[str] = set()
    for tree in trees:
        constants = constants_of(tree)
        calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call)]
        for function in (n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)):
            for call in (n for n in ast.walk(function) if isinstance(n, ast.Call)):
                if _name(call.func) != "record_audit" or function.name == "record_audit":
                    continue
                action = _argument(call, 1, "action")
                if value(action) is not None:
                    codes.add(value(action))
                    continue
                params = [a.arg for a in function.args.args]
                assert isinstance(action, ast.Name) and action.id in params, ast.unparse(call)
                for outer in (c for c in calls if _name(c.func) == function.name):
                    code = value(_argument(outer, params.index(action.id), action.id))
                    assert code is not None, ast.unparse(outer)
                    codes.add(code)
    return codes


def test_every_recorded_action_has_words():
    codes = _recorded_actions()
    assert {"login", "data_exported", "marketing_changed", "audit_log_exported"} <= codes
    assert codes <= ACTION_LABELS.keys(), f"no label for {sorted(codes - ACTION_LABELS.keys())}"


# --- searching ------------------------------------------------------------------------------------

def test_search_by_customer_number(app, admin):
    maija, matti = _id_of(app, Customer, MAIJA), _id_of(app, Customer, MATTI)
    _record(app, "customer_viewed", staff=STAFF_EMAIL, customer_id=maija, purpose="maija")
    _record(app, "customer_viewed", staff=STAFF_EMAIL, customer_id=matti, purpose="matti")
    rows = _rows(admin.get(f"/staff/audit?customer={maija}"))
    assert [row[5] for row in rows] == ["maija"]


def test_search_by_email_redirects_to_the_customer_number(app, admin):
    maija = _id_of(app, Customer, MAIJA)
    _record(app, "customer_viewed", staff=STAFF_EMAIL, customer_id=maija, purpose="maija")
    _record(app, "customer_viewed", staff=STAFF_EMAIL, customer_id=maija + 1, purpose="other")
    token = csrf_token(admin, "/staff/audit")
    response = admin.post("/staff/audit", data={"csrf_token": token, "customer": MAIJA.upper()})
    assert response.status_code == 303
    location = response.headers["Location"]
    assert "@" not in location and "%40" not in location  # no personal data in the address
    assert parse_qs(urlsplit(location).query) == {"customer": [str(maija)]}
    assert [row[5] for row in _rows(admin.get(location))] == ["maija"]


def test_an_unknown_email_gets_a_message_and_no_results(app, admin):
    _record(app, "customer_viewed", staff=STAFF_EMAIL, customer_id=1, purpose="x")
    token = csrf_token(admin, "/staff/audit")
    response = admin.post("/staff/audit", data={"csrf_token": token, "customer": "nobody@example.fi"})
    assert response.status_code == 200
    assert _error_of(response, "customer") == "No customer with that address."
    assert _rows(response) == [] and "Correct the search above" in page(response)


def test_search_by_request_reference(app, admin):
    _record(app, "request_submitted", actor_kind="customer", details={"reference": "PR-2026-000042"})
    _record(app, "request_decided", staff=ADMIN_EMAIL,
            details={"reference": "PR-2026-000042", "status": "denied"})
    _record(app, "request_submitted", actor_kind="customer", details={"reference": "PR-2026-0000421"})
    _record(app, "request_submitted", actor_kind="customer", details={"reference": "PR-2026-000043"})
    rows = _rows(admin.get("/staff/audit?reference=pr-2026-000042"))
    assert [row[2] for row in rows] == ["Request decided", "Request sent"]


def test_search_by_staff_member(app, admin):
    reviewer = _id_of(app, User, STAFF_EMAIL)
    _record(app, "customer_viewed", staff=STAFF_EMAIL, purpose="by reviewer")
    _record(app, "customer_viewed", staff=ADMIN_EMAIL, purpose="by admin")
    shown = page(admin.get("/staff/audit"))
    assert f'<option value="{reviewer}">{STAFF_EMAIL}</option>' in shown  # chosen by email
    assert MAIJA not in shown  # customers are not offered
    rows = _rows(admin.get(f"/staff/audit?staff={reviewer}"))
    assert {row[3] for row in rows} == {STAFF_EMAIL} and "by reviewer" in {row[5] for row in rows}


def test_search_by_action_offers_the_actions_present_by_name(app, admin):
    _record(app, "customer_viewed", staff=STAFF_EMAIL, purpose="viewed")
    _record(app, "request_decided", staff=STAFF_EMAIL)
    shown = page(admin.get("/staff/audit"))
    assert '<option value="customer_viewed">Customer\'s data viewed</option>' in shown
    assert 'value="customer_erased"' not in shown  # not in the log, not offered
    rows = _rows(admin.get("/staff/audit?action=customer_viewed"))
    assert [row[2] for row in rows] == ["Customer's data viewed"]


def test_search_by_helsinki_dates(app, admin):
    # 22.30 UTC on 9 March is 00.30 on 10 March in Helsinki; 21.30 UTC is still the 9th there.
    _record(app, "login_failed", actor_kind="anonymous", purpose="9th",
            at=datetime(2026, 3, 9, 21, 30, tzinfo=UTC))
    _record(app, "login_failed", actor_kind="anonymous", purpose="10th",
            at=datetime(2026, 3, 9, 22, 30, tzinfo=UTC))
    _record(app, "login_failed", actor_kind="anonymous", purpose="11th",
            at=datetime(2026, 3, 11, 9, 0, tzinfo=UTC))

    def shown(query):
        return [row[5] for row in _rows(admin.get("/staff/audit?action=login_failed&" + query))]

    assert shown("date_from=2026-03-10&date_to=2026-03-10") == ["10th"]
    assert shown("date_from=2026-03-10") == ["11th", "10th"]
    assert shown("date_to=2026-03-09") == ["9th"]


@pytest.mark.parametrize(("query", "field", "message"), [
    ("date_from=2026-02-30", "date_from", "Enter a date like 2026-11-21."),
    ("date_to=yesterday", "date_to", "Enter a date like 2026-11-21."),
    ("date_from=2026-03-10&date_to=2026-03-09", "date_to", "The end date is before the start date."),
    ("reference=PR-26-42", "reference", "Enter a request reference like PR-2026-000042."),
    ("customer=Maija", "customer", "Enter a customer number or an email address."),
    ("customer=99999999999", "customer", "No customer has that number."),
    ("action=no_such_action", "action", "Choose an action from the list."),
    ("staff=999999", "staff", "Choose a staff member from the list."),
])
def test_bad_input_gets_a_message_next_to_the_field_and_no_results(app, admin, query, field, message):
    _record(app, "customer_viewed", staff=STAFF_EMAIL)
    response = admin.get("/staff/audit?" + query)
    assert response.status_code == 200
    assert _error_of(response, field) == message
    assert _rows(response) == []
    assert "Download these entries" not in page(response)
    assert admin.get("/staff/audit.csv?" + query).headers["Location"].startswith("/staff/audit?")


def test_nul_and_markup_in_the_search_are_refused_quietly(admin):
    for value in ("a\x00@example.fi", '"><script>alert(1)</script>@x.fi', "x" * 5000 + "@example.fi"):
        response = admin.get("/staff/audit", query_string={"customer": value, "reference": value})
        assert response.status_code == 200
        assert "<script>alert(1)" not in response.get_data(as_text=True)
        assert _error_of(response, "customer") == "No customer with that address."


def test_any_text_in_the_search_gives_a_page_never_an_error(admin):
    fields = ("customer", "reference", "staff", "action", "date_from", "date_to", "before", "verify")

    @settings(max_examples=40, deadline=None, database=None)
    @given(query=st.dictionaries(st.sampled_from(fields), st.text(max_size=40), max_size=4))
    def search(query):
        for path in ("/staff/audit", "/staff/audit.csv"):
            response = admin.get(path, query_string=query)
            assert response.status_code in (200, 302), (path, query, response.status_code)

    search()


# --- pages --------------------------------------------------------------------------------------

def test_pages_of_fifty_continue_with_a_next_page_link(app, admin):
    for number in range(120):
        _record(app, "customer_viewed", staff=STAFF_EMAIL, purpose=f"look-up {number:03d}")
    first = admin.get("/staff/audit?action=customer_viewed")
    rows = _rows(first)
    assert len(rows) == 50 and rows[0][5] == "look-up 119" and rows[-1][5] == "look-up 070"
    link = _next_link(first)
    query = parse_qs(urlsplit(link).query)
    assert query["action"] == ["customer_viewed"] and query["before"] == [rows[-1][0]]
    second = _rows(admin.get(link))
    assert second[0][5] == "look-up 069" and len(second) == 50
    last = admin.get(_next_link(admin.get(link)))
    assert [row[5] for row in _rows(last)] == [f"look-up {n:03d}" for n in range(19, -1, -1)]
    assert 'rel="next"' not in page(last) and "Newest entries" in page(last)


def test_page_queries_do_not_grow_with_the_page_size(app, admin):
    def queries_for(path):
        statements = []

        def count(conn, cursor, statement, *args):
            statements.append(statement)

        with app.app_context():
            engine = db.engine
        event.listen(engine, "before_cursor_execute", count)
        try:
            response = admin.get(path)
        finally:
            event.remove(engine, "before_cursor_execute", count)
        return response, len(statements)

    path = "/staff/audit?action=customer_viewed"
    queries_for(path)  # warm up: the session record and caches settle
    for number in range(5):
        _record(app, "customer_viewed", staff=(STAFF_EMAIL, ADMIN_EMAIL)[number % 2])
    small, few = queries_for(path)
    for number in range(45):
        _record(app, "customer_viewed", staff=(STAFF_EMAIL, ADMIN_EMAIL)[number % 2])
    large, many = queries_for(path)
    assert (len(_rows(small)), len(_rows(large))) == (5, 50)
    assert many == few, f"{few} queries for 5 rows, {many} for 50"


# --- the chain check -------------------------------------------------------------------------

@pytest.fixture
def anchored_admin(app_config, tmp_path, request):
    """The administrator, with the anchor file in a temporary directory."""
    app_config.PORTAL_AUDIT_ANCHOR_FILE = str(tmp_path / "anchors.jsonl")
    return request.getfixturevalue("admin")


def test_the_chain_check_reports_an_intact_log(app, anchored_admin):
    _record(app, "customer_viewed", staff=STAFF_EMAIL, count=3)
    with app.app_context():
        total = db.session.execute(select(db.func.count()).select_from(AuditEvent)).scalar_one()
        db.session.remove()
    shown = page(anchored_admin.get("/staff/audit"))
    assert "Check that the audit log is intact" in shown and "is intact:" not in shown
    checked = page(anchored_admin.get("/staff/audit?verify=1"))
    assert f"The audit log is intact: {total} entries checked." in checked
    assert "No anchor has been saved yet" in checked


def test_the_chain_check_names_the_entry_that_was_changed(app, anchored_admin):
    _record(app, "customer_viewed", staff=STAFF_EMAIL, count=3, purpose="original")
    target = _last_entry(app).id - 1
    with app.app_context(), db.engine.begin() as conn:  # a forger with database access
        conn.execute(text("UPDATE audit_event SET purpose = 'forged' WHERE id = :id"), {"id": target})
    checked = page(anchored_admin.get("/staff/audit?verify=1"))
    assert (f"The audit log is not intact: the chain breaks at entry {target}, so that entry or the "
            "one before it was changed or deleted.") in checked


# --- CSV ----------------------------------------------------------------------------------------

def _csv(response) -> list[list[str]]:
    """The downloaded CSV's rows; it must start with a UTF-8 BOM."""
    body = response.get_data()
    assert body.startswith(codecs.BOM_UTF8)
    return list(csv.reader(io.StringIO(body[len(codecs.BOM_UTF8):].decode("utf-8"), newline=""),
                           delimiter=";"))


def test_csv_download_holds_every_match_with_formulas_neutralised(app, admin):
    maija = _id_of(app, Customer, MAIJA)
    _record(app, "customer_viewed", staff=STAFF_EMAIL, customer_id=maija,
            purpose='=HYPERLINK("http://x.example")')
    _record(app, "customer_viewed", staff=STAFF_EMAIL, customer_id=maija, count=60,
            purpose="Asiakaspalvelu; soitto")
    _record(app, "customer_viewed", staff=STAFF_EMAIL, customer_id=maija + 1)
    response = admin.get(f"/staff/audit.csv?customer={maija}&action=customer_viewed")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="audit-log-')
    rows = _csv(response)
    assert rows[0] == ["ID", "Time", "Action code", "Action", "Actor kind", "Staff member's email",
                       "Customer number", "Purpose", "Details", "Hash"]
    assert len(rows) == 1 + 61  # all matches, not one page
    first = rows[1]
    assert first[2:8] == ["customer_viewed", "Customer's data viewed", "staff", STAFF_EMAIL, str(maija),
                          "'=HYPERLINK(\"http://x.example\")"]
    assert datetime.fromisoformat(first[1]).utcoffset() is not None
    assert rows[2][7] == "Asiakaspalvelu; soitto"  # the separator inside a cell is quoted
    assert re.fullmatch("[0-9a-f]{64}", first[9]) and json.loads(first[8]) == {}
    assert int(rows[1][0]) < int(rows[-1][0])  # oldest first, as the chain runs


def test_csv_download_is_audited_with_the_criteria_but_no_email(app, admin):
    maija = _id_of(app, Customer, MAIJA)
    reviewer = _id_of(app, User, STAFF_EMAIL)
    _record(app, "customer_viewed", staff=STAFF_EMAIL, customer_id=maija)
    response = admin.get(f"/staff/audit.csv?customer={maija}&staff={reviewer}&date_from=2026-01-01")
    assert response.status_code == 200
    entry = _last_entry(app)
    assert entry.action == "audit_log_exported"
    assert entry.actor_kind == "staff" and entry.actor_id == _id_of(app, User, ADMIN_EMAIL)
    assert json.loads(entry.details) == {"customer": maija, "staff": reviewer, "date_from": "2026-01-01"}
    assert "@" not in entry.details
    listed = _rows(admin.get("/staff/audit?action=audit_log_exported"))
    assert [row[2] for row in listed] == ["Audit log downloaded"]


def test_csv_header_follows_the_users_language(app, admin_client):
    finnish = _csv(admin_client.get("/staff/audit.csv"))[0]  # the demo administrator reads Finnish
    english = _csv(_english(admin_client).get("/staff/audit.csv"))[0]
    assert english[:4] == ["ID", "Time", "Action code", "Action"]
    assert finnish == [translated(app, heading) for heading in english]


# --- append-only ------------------------------------------------------------------------------

WRITES_TO_AUDIT = re.compile(
    r"(?:delete|update)\(\s*AuditEvent\b"
    r"|AuditEvent\.__table__\.(?:delete|update)\("
    r"|query\(\s*AuditEvent\b[^\n]*\.(?:delete|update)\("
    r"|(?:UPDATE|DELETE\s+FROM|TRUNCATE)\s+[\"']?audit_event\b",
    re.I)


def test_no_code_in_the_app_updates_or_deletes_audit_entries():
    assert WRITES_TO_AUDIT.search("session.execute(delete(AuditEvent).where(x))")  # the check bites
    assert WRITES_TO_AUDIT.search('text("UPDATE audit_event SET purpose = 1")')
    offenders = [f"{path.relative_to(PORTAL.parent)}: {match.group(0)}"
                 for path in PORTAL.rglob("*.py")
                 for match in WRITES_TO_AUDIT.finditer(path.read_text(encoding="utf-8"))]
    assert offenders == []


def _statements_of_every_route(app, client) -> list[str]:
    """Send GET and POST (with a CSRF token) to every rule; return the SQL the app ran."""
    statements = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    token = csrf_token(client, "/privacy")
    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        for rule in app.url_map.iter_rules():
            if rule.endpoint == "static" or rule.rule == "/logout":
                continue
            path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", lambda m: "en" if m.group(1) == "code" else "1",
                          rule.rule)
            for method in sorted(rule.methods & {"GET", "POST"}):
                client.open(path, method=method, data=None if method == "GET" else {"csrf_token": token})
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return statements


def test_no_route_updates_or_deletes_audit_entries(app, admin):
    customer = AuthActions(app.test_client())
    customer.login(MAIJA, DEMO_PASSWORD)
    statements = (_statements_of_every_route(app, admin)
                  + _statements_of_every_route(app, customer._client))
    assert any(re.match(r"\s*INSERT INTO audit_event", s) for s in statements)  # the sweep did audit
    changes = [s for s in statements if re.match(r"\s*(UPDATE|DELETE FROM)\s+\"?audit_event", s, re.I)]
    assert changes == []


def test_a_flush_that_changes_or_deletes_an_entry_is_refused(db):
    entry = record_audit(db.session, "login", actor_kind="system")
    db.session.commit()
    entry.purpose = "rewritten"
    with pytest.raises(AppendOnlyViolation):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.get(AuditEvent, entry.id))
    with pytest.raises(AppendOnlyViolation):
        db.session.flush()
    db.session.rollback()
    with pytest.raises(AppendOnlyViolation):
        db.session.execute(delete(AuditEvent).where(AuditEvent.id == entry.id))
