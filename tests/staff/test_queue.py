"""The request queue: order by deadline, days left in colour and words, filters, search, keyset pages,
claim and assign with their history and audit, stale pages refused, and a constant number of queries."""

from __future__ import annotations

import json
import re
import threading
import time
from datetime import date, timedelta

import pytest
from bs4 import BeautifulSoup
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import event, select, update
from werkzeug.datastructures import MultiDict

from portal.demo import ADMIN_EMAIL, STAFF_EMAIL
from portal.extensions import db
from portal.models import AuditEvent, PrivacyRequest, User
from portal.models.types import utcnow
from portal.services import queue as service
from portal.services.audit import use_audit_key
from portal.services.refusals import RequestChanged
from portal.services.requests import helsinki_date
from tests.conftest import AuthActions, csrf_token
from tests.factories import CustomerFactory
from tests.functional.helpers import MAIJA, PEKKA, page, switch_language
from tests.security.test_fuzz_forms import KNOWN, MARKUP, texts

# The demo's open requests, earliest deadline first: Anna's objection (by letter, 40 days old) is overdue.
DEMO_OPEN = 6


def today() -> date:
    return helsinki_date(utcnow())


def rows_of(response) -> list[dict]:
    """The queue table's rows as {column header: cell text}, plus the reference's link and badge class."""
    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    table = soup.find("table", class_="queue")
    if table is None:
        return []
    headers = [th.get_text(strip=True) for th in table.thead.find_all("th")]
    rows = []
    for tr in table.tbody.find_all("tr"):
        cells = [re.sub(r"\s+", " ", td.get_text(" ", strip=True)) for td in tr.find_all("td")]
        row = dict(zip(headers, cells, strict=True))
        badge = tr.find("span", class_=re.compile("badge-(overdue|soon|near|later)"))
        row["badge"] = next((c for c in badge["class"] if c != "badge"), None) if badge else None
        row["link"] = tr.find("a")["href"]
        rows.append(row)
    return rows


def refs(response) -> list[str]:
    return [row["Reference"] for row in rows_of(response)]


def english(client):
    switch_language(client, "en", "/staff/")
    return client


def _account(email: str) -> User:
    return db.session.execute(select(User).where(User.email == email)).scalar_one()


def _by_ref(reference: str) -> PrivacyRequest:
    query = select(PrivacyRequest).where(PrivacyRequest.reference == reference)
    return db.session.execute(query).scalar_one()


def add_requests(app, deadlines, *, kind="erasure", status="pending", assignee=None, customer=None):
    """Requests of one customer (a new one unless `customer` names a log-in) due on `deadlines`;
    returns their references."""
    with app.app_context():
        owner = _account(customer).customer if customer else CustomerFactory()
        handler = _account(assignee) if assignee else None
        made = []
        for deadline in deadlines:
            row = PrivacyRequest(customer=owner, kind=kind, status=status, due_on=deadline, details={},
                                 assignee_id=getattr(handler, "id", None))
            db.session.add(row)
            db.session.flush()
            row.reference = f"PR-{deadline.year}-{row.id:06d}"
            made.append(row.reference)
        db.session.commit()
        db.session.remove()
    return made


def stored(app, reference: str) -> PrivacyRequest:
    with app.app_context():
        row = _by_ref(reference)
        _ = row.events, row.assignee
        db.session.expunge_all()
        db.session.remove()
    return row


def audit_details(app, action: str) -> list[dict]:
    with app.app_context():
        found = db.session.execute(select(AuditEvent.details).where(AuditEvent.action == action)).scalars()
        details = [json.loads(d) for d in found]
        db.session.remove()
    return details


def account_id(app, email: str) -> int:
    with app.app_context():
        found = db.session.execute(select(User.id).where(User.email == email)).scalar_one()
        db.session.remove()
    return found


def demo_ref(app, kind: str, status: str) -> str:
    with app.app_context():
        query = select(PrivacyRequest.reference).where(PrivacyRequest.kind == kind,
                                                       PrivacyRequest.status == status)
        found = db.session.execute(query.order_by(PrivacyRequest.id)).scalars().first()
        db.session.remove()
    return found


def post_action(client, reference: str, action: str, **data):
    """Press the queue's Claim or Assign button of `reference`, as the page shows it."""
    html = client.get("/staff/").get_data(as_text=True)
    form = BeautifulSoup(html, "html.parser").find("form", action=f"/staff/requests/{reference}/{action}")
    fields = {tag["name"]: tag.get("value", "") for tag in form.find_all("input")}
    return client.post(form["action"], data={**fields, **data})


# --- the page ---------------------------------------------------------------------------------------

def test_open_requests_come_earliest_deadline_first(app, reviewer_client):
    response = english(reviewer_client).get("/staff/")
    rows = rows_of(response)
    assert len(rows) == DEMO_OPEN
    assert rows[0]["Kind of request"] == "Objection to processing" and rows[0]["badge"] == "badge-overdue"
    assert rows[0]["Time left"].startswith("Overdue by ")
    assert rows[0]["link"] == f"/staff/requests/{rows[0]['Reference']}"
    deadlines = [stored(app, row["Reference"]).deadline for row in rows]
    assert deadlines == sorted(deadlines)
    assert demo_ref(app, "correction", "approved") not in refs(response)
    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    assert soup.find("table", class_="queue").caption.get_text(strip=True)
    assert all(th.get("scope") == "col" for th in soup.find("table", class_="queue").thead.find_all("th"))


def test_days_left_are_coloured_and_said_in_words(app, reviewer_client):
    day = today()
    made = add_requests(app, [day - timedelta(days=n) for n in (3, 1)] +
                        [day + timedelta(days=n) for n in (0, 4, 5, 9, 10)])
    rows = {row["Reference"]: row for row in rows_of(english(reviewer_client).get("/staff/"))}
    shown = [(rows[ref]["Time left"], rows[ref]["badge"]) for ref in made]
    assert shown == [("Overdue by 3 days", "badge-overdue"), ("Overdue by 1 day", "badge-overdue"),
                     ("0 days left", "badge-soon"), ("4 days left", "badge-soon"),
                     ("5 days left", "badge-near"), ("9 days left", "badge-near"),
                     ("10 days left", "badge-later")]


def test_the_header_counts_overdue_and_nearly_due_requests(app, db):
    day = date(2026, 3, 10)
    add_requests(app, [day - timedelta(days=1), day, day + timedelta(days=4), day + timedelta(days=5)])
    add_requests(app, [day - timedelta(days=9)], status="approved")
    assert service.queue_counts(db.session, day) == service.QueueCounts(overdue=1, due_soon=2)
    assert [service.urgency(n) for n in (-1, 0, 4, 5, 9, 10)] == [
        "overdue", "under5", "under5", "under10", "under10", "later"]


def test_an_empty_queue_says_so(app, client, demo):
    from tests.conftest import log_in_staff

    english(log_in_staff(client, demo, ADMIN_EMAIL))
    shown = page(client.get("/staff/"))
    assert "The queue is empty: there are no open requests." in shown
    assert "No requests match these filters." in page(client.get("/staff/?kind=erasure"))


# --- filters and search -----------------------------------------------------------------------------

def test_each_filter_narrows_the_queue(app, reviewer_client):
    client = english(reviewer_client)
    kinds = {row["Kind of request"] for row in rows_of(client.get("/staff/?kind=erasure&kind=objection"))}
    assert kinds == {"Erasure", "Objection to processing"}
    statuses = {f: {row["Status"] for row in rows_of(client.get(f"/staff/?status={f}"))}
                for f in ("in_review", "pending")}
    assert statuses == {"in_review": {"in review"}, "pending": {"waiting for handling"}}
    closed = rows_of(client.get("/staff/?status=closed"))
    assert {row["Status"] for row in closed} == {"approved", "denied", "cancelled"}
    assert {row["Time left"] for row in closed} == {"Closed"}
    assert {row["Handler"] for row in rows_of(client.get("/staff/?assignee=none"))} == {"nobody yet"}
    mine = rows_of(client.get("/staff/?assignee=me"))
    assert len(mine) == 2 and {row["Handler"] for row in mine} == {STAFF_EMAIL}
    admin = account_id(app, ADMIN_EMAIL)
    nothing = client.get(f"/staff/?assignee={admin}&kind=correction")
    assert rows_of(nothing) == [] and "No requests match these filters." in page(nothing)


def test_invalid_filter_values_get_a_message_not_an_error(app, reviewer_client):
    client = english(reviewer_client)
    response = client.get("/staff/?kind=bogus&status=all&assignee=99999999999&after=2026-13-01_5&q=%00")
    assert response.status_code == 200
    shown = page(response)
    assert shown.count("Choose one of the options shown.") == 3
    assert "This page link is not valid. The list starts from the first page." in shown
    assert "Remove the special characters from the search text." in shown
    assert len(rows_of(response)) == DEMO_OPEN  # the invalid filters are left out


def test_search_by_reference_email_and_name(app, reviewer_client):
    client = english(reviewer_client)
    pekka = demo_ref(app, "erasure", "pending")
    assert refs(client.get(f"/staff/?q={pekka.lower()}")) == [pekka]
    token = csrf_token(client, "/staff/")

    def customers_found(term: str) -> set[str]:
        response = client.post("/staff/", data={"csrf_token": token, "q": term})
        assert response.status_code == 200 and response.request.path == "/staff/"
        return {row["Customer"] for row in rows_of(response)}

    for term in (MAIJA.upper(), "maija", "Meik", "MAIJA MEIKÄ"):
        assert customers_found(term) == {"Maija Meikäläinen"}, term
    assert customers_found("mallinen") == {"Pekka Mallinen"}
    assert customers_found("maija%") == customers_found(PEKKA[:-2]) == set()  # no wildcards; a whole address


def test_a_searched_name_never_goes_into_a_link(app, reviewer_client):
    add_requests(app, [today() + timedelta(days=n) for n in range(30)], customer=MAIJA)
    client = english(reviewer_client)
    found = client.post("/staff/", data={"csrf_token": csrf_token(client, "/staff/"), "q": "Meikäläinen"})
    html = found.get_data(as_text=True)
    assert len(rows_of(found)) == 25
    soup = BeautifulSoup(html, "html.parser")
    assert not [a["href"] for a in soup.find_all("a", href=True) if "Meik" in a["href"] or "q=" in a["href"]]
    next_form = soup.find("nav", class_="queue-pages").form
    assert next_form["method"] == "post"
    data = {tag["name"]: tag["value"] for tag in next_form.find_all("input")}
    rest = client.post("/staff/", data=data)
    assert len(rows_of(rest)) == 30 + 1 - 25  # Maija's demo request too


# --- pages --------------------------------------------------------------------------------------------

def test_keyset_pages_with_limit_two_cover_the_demo_once_in_order(app, demo_queue):
    with app.app_context():
        everything = service.open_requests(db.session, today=today(), limit=50).rows
        seen, after = [], None
        while True:
            page_ = service.open_requests(db.session, today=today(), limit=2, after=after)
            assert len(page_.rows) <= 2
            seen += [row.request.reference for row in page_.rows]
            if page_.next_after is None:
                break
            after = page_.next_after
        db.session.remove()
    assert seen == [row.request.reference for row in everything] and len(seen) == DEMO_OPEN


def test_next_page_link_continues_after_the_last_row_even_on_equal_deadlines(app, reviewer_client):
    same_day = today() + timedelta(days=3)
    made = add_requests(app, [same_day] * 30)
    client = english(reviewer_client)
    first = client.get("/staff/?kind=erasure")
    link = BeautifulSoup(first.get_data(as_text=True), "html.parser").find("a", string="Next page")["href"]
    assert "kind=erasure" in link and "after=" in link
    second = client.get(link)
    both = refs(first) + refs(second)
    assert len(refs(first)) == 25 and len(both) == len(set(both)) == 30 + 2
    assert [ref for ref in both if ref in made] == made
    assert "Next page" not in page(second)


# --- claim and assign ---------------------------------------------------------------------------------

def test_claiming_puts_the_request_in_review_with_history_and_audit(app, reviewer_client):
    reference = demo_ref(app, "erasure", "pending")
    response = post_action(english(reviewer_client), reference, "claim")
    assert response.status_code == 302 and response.headers["Location"] == "/staff/"
    assert f"You took on request {reference}." in page(reviewer_client.get("/staff/"))
    claimed, reviewer = stored(app, reference), account_id(app, STAFF_EMAIL)
    assert claimed.assignee_id == reviewer and claimed.status == "in_review"
    assert (claimed.events[-1].status, claimed.events[-1].actor_kind, claimed.events[-1].actor_id) == (
        "in_review", "staff", reviewer)
    assert audit_details(app, "request_claimed") == [{"reference": reference, "assignee_id": reviewer}]


def test_assigning_to_a_colleague_and_back_to_the_filters_in_use(app, admin_client):
    reference = demo_ref(app, "erasure", "pending")
    reviewer = account_id(app, STAFF_EMAIL)
    english(admin_client).get("/staff/?kind=erasure&assignee=none")
    html = admin_client.get("/staff/?kind=erasure&assignee=none").get_data(as_text=True)
    form = BeautifulSoup(html, "html.parser").find("form", action=f"/staff/requests/{reference}/assign")
    data = {tag["name"]: tag["value"] for tag in form.find_all("input")}
    response = admin_client.post(form["action"], data={**data, "assignee": reviewer})
    assert response.headers["Location"] == "/staff/?kind=erasure&assignee=none"
    assert f"Request {reference} is assigned to {STAFF_EMAIL}." in page(admin_client.get("/staff/"))
    assigned = stored(app, reference)
    assert (assigned.assignee_id, assigned.status) == (reviewer, "in_review")
    assert assigned.events[-1].status == "in_review"
    assert audit_details(app, "request_assigned") == [{"reference": reference, "assignee_id": reviewer}]


def test_a_stale_page_changes_nothing(app, reviewer_client):
    reference = demo_ref(app, "erasure", "pending")
    client = english(reviewer_client)
    html = client.get("/staff/").get_data(as_text=True)
    form = BeautifulSoup(html, "html.parser").find("form", action=f"/staff/requests/{reference}/claim")
    data = {tag["name"]: tag["value"] for tag in form.find_all("input")}
    admin = account_id(app, ADMIN_EMAIL)
    with app.app_context():  # a colleague takes it meanwhile
        row = _by_ref(reference)
        service.assign(db.session, row, db.session.get(User, admin), admin, version=row.version)
        db.session.remove()
    response = client.post(form["action"], data=data)
    assert response.status_code == 302
    assert ("Someone else changed this request at the same time. Check it and try again."
            in page(client.get("/staff/")))
    assert stored(app, reference).assignee_id == admin
    assert audit_details(app, "request_claimed") == []


def test_a_decided_request_cannot_be_claimed_nor_given_to_a_customer(app, reviewer_client):
    client = english(reviewer_client)
    decided = stored(app, demo_ref(app, "correction", "approved"))
    token = csrf_token(client, "/staff/")

    def press(reference: str, action: str, **data):
        return client.post(f"/staff/requests/{reference}/{action}", data={"csrf_token": token, **data})

    press(decided.reference, "claim", version=decided.version)
    assert "This request has already been decided or cancelled." in page(client.get("/staff/"))
    assert stored(app, decided.reference).version == decided.version
    waiting = stored(app, demo_ref(app, "erasure", "pending"))
    press(waiting.reference, "assign", version=waiting.version, assignee=account_id(app, MAIJA))
    assert ("A request can be assigned only to a staff member whose account is in use."
            in page(client.get("/staff/")))
    assert stored(app, waiting.reference).assignee_id is None
    assert press(waiting.reference, "claim").status_code == 400  # no version: not from our page
    assert press("PR-2026-999999", "claim", version=1).status_code == 404
    assert audit_details(app, "request_claimed") == audit_details(app, "request_assigned") == []


def test_a_write_between_read_and_update_is_refused(app, demo_queue):
    """Without row locks (SQLite) the version column catches a concurrent update."""
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            pytest.skip("PostgreSQL locks the row: the other writer waits instead")
        row = _by_ref(demo_ref(app, "erasure", "pending"))
        reviewer = _account(STAFF_EMAIL)

        written = []

        def meanwhile(conn, cursor, statement, *args):
            if statement.startswith("UPDATE privacy_request") and not written:
                written.append(statement)
                with db.engine.begin() as other:
                    other.execute(update(PrivacyRequest).where(PrivacyRequest.id == row.id)
                                  .values(version=PrivacyRequest.version + 1))

        event.listen(db.engine, "before_cursor_execute", meanwhile)
        try:
            with pytest.raises(RequestChanged):
                service.claim(db.session, row, reviewer, version=row.version)
        finally:
            event.remove(db.engine, "before_cursor_execute", meanwhile)
        assert written
        assert db.session.get(PrivacyRequest, row.id).assignee_id is None
        db.session.remove()


def test_two_claims_at_once_one_wins(app, demo_queue, monkeypatch):
    """PostgreSQL: A holds the row lock mid-claim; B's claim waits for it, then is refused."""
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("row locks need PostgreSQL; the version column covers SQLite (test above)")
        make = db.session.session_factory
        first, second = make(), make()
        for session in (first, second):
            use_audit_key(session, app.config["PORTAL_AUDIT_KEY"])
        reference = demo_ref(app, "erasure", "pending")
        seen_a, seen_b = (s.execute(select(PrivacyRequest).where(PrivacyRequest.reference == reference))
                          .scalar_one() for s in (first, second))
        a_locked, outcome, original = threading.Event(), {}, service._locked

        def lock_and_pause(session, request, version):
            locked = original(session, request, version)
            if session is first:
                a_locked.set()
                time.sleep(0.5)  # B starts now and must wait for A's lock
            return locked

        def colleague():
            a_locked.wait(5)
            with app.app_context():
                admin = second.execute(select(User).where(User.email == ADMIN_EMAIL)).scalar_one()
                try:
                    service.claim(second, seen_b, admin, version=seen_b.version)
                    outcome["b"] = "claimed"
                except RequestChanged:
                    outcome["b"] = "changed"
                except Exception as error:  # noqa: BLE001 - reported by the assertion below
                    outcome["b"] = repr(error)

        monkeypatch.setattr(service, "_locked", lock_and_pause)
        thread = threading.Thread(target=colleague)
        thread.start()
        reviewer = first.execute(select(User).where(User.email == STAFF_EMAIL)).scalar_one()
        service.claim(first, seen_a, reviewer, version=seen_a.version)
        thread.join(10)
        first.close()
        second.close()
    assert outcome == {"b": "changed"}
    assert stored(app, reference).assignee_id == account_id(app, STAFF_EMAIL)
    assert len(audit_details(app, "request_claimed")) == 1


def test_customers_get_403(app, client, demo_queue):
    from portal.demo import DEMO_PASSWORD

    AuthActions(client).login(MAIJA, DEMO_PASSWORD)
    reference = demo_ref(app, "correction", "pending")
    token = csrf_token(client, "/account")
    assert client.get("/staff/").status_code == 403
    for action in ("claim", "assign"):
        response = client.post(f"/staff/requests/{reference}/{action}",
                               data={"csrf_token": token, "version": 1, "assignee": 1})
        assert response.status_code == 403
    assert stored(app, reference).assignee_id is None


# --- scale ---------------------------------------------------------------------------------------------

def test_the_number_of_queries_does_not_grow_with_the_queue(app, reviewer_client):
    def statements_for(path: str) -> int:
        count = 0

        def counter(*_args):
            nonlocal count
            count += 1

        with app.app_context():
            engine = db.engine
        event.listen(engine, "before_cursor_execute", counter)
        try:
            assert reviewer_client.get(path).status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", counter)
        return count

    english(reviewer_client).get("/staff/")  # caches warmed as on any later visit
    small = statements_for("/staff/")
    day = today()
    handlers = (STAFF_EMAIL, ADMIN_EMAIL, None, ADMIN_EMAIL)
    for batch in range(8):  # 8 customers; assigned to either staff member or nobody; mixed on every page
        handler = handlers[batch % 4]
        add_requests(app, [day + timedelta(days=k % 7 - 1) for k in range(25)],
                     kind=("erasure", "correction")[batch % 2], status="in_review" if handler else "pending",
                     assignee=handler)
    first = rows_of(reviewer_client.get("/staff/"))
    assert {row["Handler"] for row in first} == {STAFF_EMAIL, ADMIN_EMAIL, "nobody yet"}
    assert len(first) == 25 and len({row["Customer"] for row in first}) > 2
    assert statements_for("/staff/") == small, small


# --- hostile input ---------------------------------------------------------------------------------------

def test_hostile_filter_search_and_button_values_never_break_the_page(app, reviewer_client):
    client = reviewer_client
    reference = demo_ref(app, "erasure", "pending")
    token = csrf_token(client, "/staff/")

    def check(response, sent) -> None:
        assert response.status_code < 500, (response.status_code, sent)
        body = response.get_data(as_text=True)
        assert "Traceback" not in body
        assert not any(markup in body for markup in MARKUP if markup in str(sent))

    names = ("kind", "status", "assignee", "q", "after")
    for value in KNOWN + ["9" * 30, "-1", "2026-01-01_99999999999", "2026-02-30_1"]:
        check(client.get("/staff/", query_string={name: value for name in names}), value)
        check(client.post("/staff/", data={"csrf_token": token, **{name: value for name in names}}), value)
        for action, fields in (("claim", ("version", "back")), ("assign", ("version", "assignee", "back"))):
            check(client.post(f"/staff/requests/{reference}/{action}",
                              data={"csrf_token": token, **{name: value for name in fields}}), value)

    @settings(max_examples=30, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
    @given(query=st.lists(st.tuples(st.sampled_from(names), texts), max_size=8))
    def get(query):
        check(client.get("/staff/", query_string=MultiDict(query)), query)

    get()
