"""Reports (/staff/reports): requests per kind and month of receipt in Finland, median days to a
decision, overdue now, extensions and denials, a server-drawn SVG chart and a CSV for the annual
review, in both languages; staff only."""

from __future__ import annotations

import codecs
import csv
import io
import json
from datetime import UTC, date, datetime

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select

from portal.demo import ADMIN_EMAIL, DEMO_PASSWORD
from portal.extensions import db as _db
from portal.models import AuditEvent, Customer, PrivacyRequest, RequestEvent, User
from portal.models.types import utcnow
from portal.services.reports import Figures, annual_report
from portal.services.requests import helsinki_date
from tests.conftest import AuthActions, log_in_staff
from tests.functional.helpers import MAIJA, page, switch_language, translated

TODAY = date(2026, 11, 22)
CHART_TITLE = "Requests received per month in %(year)d"


def _at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


# (kind, received, status, decided, due, extended until): times in UTC. The first is received on
# 1 February and decided on 11 February in Finland although both are a day earlier in UTC.
REQUESTS = [
    ("correction", _at(2025, 1, 31, 23, 30), "approved", _at(2025, 2, 10, 22, 30), date(2025, 3, 1), None),
    ("correction", _at(2025, 2, 10, 9), "approved", _at(2025, 2, 15, 9), date(2025, 3, 10), None),
    ("correction", _at(2025, 3, 3, 8), "denied", _at(2025, 3, 31, 10), date(2025, 4, 3), date(2025, 5, 3)),
    ("erasure", _at(2025, 3, 5, 8), "partially_approved", _at(2025, 3, 6, 12), date(2025, 4, 5), None),
    ("erasure", _at(2025, 3, 10, 8), "pending", None, date(2025, 4, 10), None),
    ("objection", _at(2025, 6, 15, 8), "cancelled", None, date(2025, 7, 15), None),
    # 1 January 2026 at 00.30 in Finland: next year's.
    ("restriction", _at(2025, 12, 31, 22, 30), "in_review", None, date(2026, 2, 1), None),
]


@pytest.fixture
def known_requests(app, demo):
    """The REQUESTS above, all Maija's, over the demo register without its own requests."""
    with app.app_context():
        maija = _db.session.execute(select(Customer).where(Customer.email == MAIJA)).scalar_one()
        for kind, received, status, decided, due, extended in REQUESTS:
            request = PrivacyRequest(customer=maija, kind=kind, status=status, received_at=received,
                                     due_on=due, decided_at=decided, details={})
            if extended:
                request.extend(extended, "Odotamme selvitystä.")
            request.events.append(RequestEvent(status=status, actor_kind="system", at=received))
            _db.session.add(request)
            _db.session.flush()
            request.reference = f"PR-{received.year}-{request.id:06d}"
        _db.session.commit()
        _db.session.remove()
    return demo


@pytest.fixture
def admin(app, client, known_requests):
    """The demo administrator, logged in, over the known requests (reads Finnish)."""
    return log_in_staff(client, known_requests, ADMIN_EMAIL)


def _english(client):
    switch_language(client, "en")
    return client


def _table(html: str, section: str) -> dict[str, list[str]]:
    """The rows of the table in section `section`: row heading -> cell texts."""
    soup = BeautifulSoup(html, "html.parser")
    rows = soup.select(f"#{section} table tbody tr") + soup.select(f"#{section} table tfoot tr")
    return {row.th.get_text(strip=True): [td.get_text(strip=True) for td in row.find_all("td")]
            for row in rows}


def _csv(response) -> list[list[str]]:
    """The downloaded CSV's rows; it must start with a UTF-8 BOM and use `;`."""
    body = response.data
    assert body.startswith(codecs.BOM_UTF8)
    text = body[len(codecs.BOM_UTF8):].decode("utf-8")
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))


# --- the figures ------------------------------------------------------------------------------

def test_figures_per_month_and_kind_count_finnish_months(app, known_requests):
    with app.app_context():
        report = annual_report(_db.session, 2025, TODAY)
        _db.session.remove()
    assert report.cells[1, "correction"] == Figures("correction", 1)  # 31 Jan in UTC is February here
    assert report.cells[2, "correction"] == Figures("correction", 2, received=2, decided=2, median_days=7.5)
    assert report.cells[3, "correction"] == Figures("correction", 3, received=1, decided=1, median_days=28,
                                                    extended=1, denied=1)
    assert report.cells[3, "erasure"] == Figures("erasure", 3, received=2, decided=1, median_days=1,
                                                 overdue=1)
    assert report.cells[6, "objection"] == Figures("objection", 6, received=1)
    assert [report.month_total(month) for month in range(1, 13)] == [0, 2, 3, 0, 0, 1, 0, 0, 0, 0, 0, 0]
    assert report.kinds == (
        Figures("correction", None, received=3, decided=3, median_days=10, extended=1, denied=1),
        Figures("erasure", None, received=2, decided=1, median_days=1, overdue=1),
        Figures("restriction", None),
        Figures("objection", None, received=1))
    assert report.total == Figures("all", None, received=6, decided=4, median_days=7.5, extended=1, denied=1,
                                   overdue=1)
    assert report.overdue_now == 2  # next year's restriction is late too


def test_next_years_request_counts_in_january_of_next_year(app, known_requests):
    with app.app_context():
        report = annual_report(_db.session, 2026, TODAY)
        _db.session.remove()
    assert report.cells[1, "restriction"] == Figures("restriction", 1, received=1, overdue=1)
    assert report.total.received == 1


# --- the page ---------------------------------------------------------------------------------

def test_the_page_shows_the_years_tables_and_an_svg_chart(app, admin):
    html = page(_english(admin).get("/staff/reports?year=2025"))

    assert _table(html, "by-kind") == {
        "Correction": ["3", "3", "10", "1", "1", "0"],
        "Erasure": ["2", "1", "1", "0", "0", "1"],
        "Restriction of processing": ["0", "0", "–", "0", "0", "0"],
        "Objection to processing": ["1", "0", "–", "0", "0", "0"],
        "All kinds": ["6", "4", "7.5", "1", "1", "1"]}
    assert _table(html, "by-month")["February"] == ["2", "0", "0", "0", "2"]
    assert _table(html, "by-month")["March"] == ["1", "2", "0", "0", "3"]
    assert "2 open requests are overdue" in html

    soup = BeautifulSoup(html, "html.parser")
    svg = soup.select_one("#by-month figure > svg")
    assert svg["role"] == "img" and svg["aria-labelledby"] == "chart-title chart-desc"
    assert svg.find("title", id="chart-title").get_text() == "Requests received per month in 2025"
    assert "The table below gives the same figures." in svg.find("desc", id="chart-desc").get_text()
    bars = {rect.title.get_text(): rect["class"] for rect in svg.select("rect")}
    assert bars == {"February, Correction: 2": ["kind-correction"],
                    "March, Correction: 1": ["kind-correction"], "March, Erasure: 2": ["kind-erasure"],
                    "June, Objection to processing: 1": ["kind-objection"]}
    heights = {rect.title.get_text(): float(rect["height"]) for rect in svg.select("rect")}
    assert heights["March, Erasure: 2"] == pytest.approx(2 * heights["March, Correction: 1"])
    assert [t.get_text() for t in svg.select("text.month")][:3] == ["Jan", "Feb", "Mar"]
    assert not soup.find("script")
    assert 'href="/staff/reports.csv?year=2025"' in html


def test_the_page_in_finnish_has_finnish_months_numbers_and_chart_title(app, admin):
    html = page(admin.get("/staff/reports?year=2025"))  # the demo administrator reads Finnish

    assert '<html lang="fi"' in html
    assert _table(html, "by-kind")[translated(app, "All kinds")] == ["6", "4", "7,5", "1", "1", "1"]
    assert _table(html, "by-month")["helmikuu"] == ["2", "0", "0", "0", "2"]
    svg = BeautifulSoup(html, "html.parser").select_one("#by-month figure > svg")
    assert svg.find("title", id="chart-title").get_text() == translated(app, CHART_TITLE, year=2025)
    assert [t.get_text() for t in svg.select("text.month")][:3] == ["tammi", "helmi", "maalis"]


def test_this_year_is_shown_by_default_and_a_bad_year_gets_a_message(app, admin):
    this_year = helsinki_date(utcnow()).year
    english = _english(admin)
    html = page(english.get("/staff/reports"))
    assert f"Requests in {this_year} by kind" in html
    options = [o["value"] for o in BeautifulSoup(html, "html.parser").select("#year option")]
    assert options == [str(year) for year in range(this_year, 2024, -1)]

    for bad in ("1999", "abc", "2025'"):
        html = page(english.get(f"/staff/reports?year={bad}"))
        assert "Choose one of the options shown." in html and 'aria-invalid="true"' in html
        assert "by-kind" not in html
        assert english.get(f"/staff/reports.csv?year={bad}").status_code == 302


def test_reports_are_in_the_staff_menu(admin):
    menu = BeautifulSoup(page(_english(admin).get("/staff/")), "html.parser").select_one(".staff-nav")
    assert menu.find("a", href="/staff/reports").get_text() == "Reports"


# --- the CSV ----------------------------------------------------------------------------------

def test_csv_has_a_row_per_month_and_kind_and_the_years_totals(app, admin):
    response = _english(admin).get("/staff/reports.csv?year=2025")

    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == 'attachment; filename="requests-report-2025.csv"'
    rows = _csv(response)
    assert rows[0] == ["Period", "Month", "Kind code", "Kind of request", "Received", "Decided",
                       "Median days to decision", "Extended", "Denied", "Overdue now"]
    assert len(rows) == 1 + 12 * 4 + 5
    by_key = {(row[0], row[2]): row for row in rows[1:]}
    assert by_key["2025-02", "correction"] == ["2025-02", "February", "correction", "Correction",
                                               "2", "2", "7.5", "0", "0", "0"]
    assert by_key["2025-03", "erasure"][4:] == ["2", "1", "1", "0", "0", "1"]
    assert by_key["2025-01", "correction"][4:] == ["0", "0", "", "0", "0", "0"]
    assert by_key["2025", "all"] == ["2025", "Whole year", "all", "All kinds", "6", "4", "7.5", "1", "1", "1"]


def test_csv_follows_the_users_language_and_the_download_is_audited(app, admin):
    rows = _csv(admin.get("/staff/reports.csv?year=2025"))
    by_key = {(row[0], row[2]): row for row in rows[1:]}
    assert by_key["2025-02", "correction"][1] == "helmikuu"
    assert by_key["2025", "all"][6] == "7,5"
    with app.app_context():
        [entry] = _db.session.execute(
            select(AuditEvent).where(AuditEvent.action == "report_exported")).scalars()
        admin_id = _db.session.execute(select(User.id).where(User.email == ADMIN_EMAIL)).scalar_one()
        assert (entry.actor_kind, entry.actor_id) == ("staff", admin_id)
        assert json.loads(entry.details) == {"year": 2025}
        _db.session.remove()


# --- who may see them -------------------------------------------------------------------------

def test_reviewers_see_the_reports_too(reviewer_client):
    assert reviewer_client.get("/staff/reports").status_code == 200
    assert reviewer_client.get("/staff/reports.csv").status_code == 200


def test_customers_get_403_and_anonymous_visitors_are_sent_to_log_in(client, known_requests):
    for path in ("/staff/reports", "/staff/reports.csv?year=2025"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    AuthActions(client).login(MAIJA, DEMO_PASSWORD)
    for path in ("/staff/reports", "/staff/reports.csv?year=2025"):
        assert client.get(path).status_code == 403
