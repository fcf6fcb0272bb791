"""Request statistics for staff and the annual review: per kind and month of receipt (DESIGN §4.6).

Counts are SQL aggregates. The month is the Finnish calendar month a request was received in:
its bounds are computed here as UTC instants, so SQLite and PostgreSQL bucket alike. Days to a
decision are calendar days in Finland from receipt to decision; their medians are taken in
Python from one (kind, month, received, decided) row per decided request of the year. Denials
carry free-text reasons only (no reason code), so they are counted by kind. No personal data.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from portal.models import PrivacyRequest
from portal.models.requests import OPEN_STATUSES, REQUEST_KINDS
from portal.services.audit import record_audit
from portal.services.audit_search import csv_lines
from portal.services.export import BOM
from portal.services.requests import HELSINKI, helsinki_date

MONTHS = tuple(range(1, 13))
DECIDED_STATUSES = ("approved", "partially_approved", "denied")
EXPORTED = "report_exported"
SUMMED = ("received", "decided", "extended", "denied", "overdue")  # Figures that add up


@dataclass(frozen=True)
class Figures:
    """The figures of one kind in one month (or the whole year when `month` is None)."""

    kind: str
    month: int | None
    received: int = 0
    decided: int = 0
    median_days: float | None = None
    extended: int = 0
    denied: int = 0
    overdue: int = 0  # still open and past its deadline today


@dataclass(frozen=True)
class Report:
    """A year's figures: by month and kind, by kind for the year, and what is overdue right now."""

    year: int
    today: date
    cells: dict[tuple[int, str], Figures]  # (month, kind)
    kinds: tuple[Figures, ...]  # the whole year, one per kind
    total: Figures  # the whole year, all kinds (kind "all")
    overdue_now: int  # every open request past its deadline, whenever received

    def month_total(self, month: int) -> int:
        """Requests received in `month`, all kinds."""
        return sum(self.cells[month, kind].received for kind in REQUEST_KINDS)


def _month_start(year: int, month: int) -> datetime:
    """Midnight in Finland at the start of the month, as an aware datetime."""
    if month == 13:
        year, month = year + 1, 1
    return datetime.combine(date(year, month, 1), time.min, tzinfo=HELSINKI)


def _month_of_receipt(year: int):
    """SQL: the month (1-12) of `year` in which the request was received in Finland."""
    return case(*((PrivacyRequest.received_at < _month_start(year, month + 1), month) for month in MONTHS))


def _in_year(year: int):
    """SQL: the request was received in `year` in Finland."""
    return and_(PrivacyRequest.received_at >= _month_start(year, 1),
                PrivacyRequest.received_at < _month_start(year, 13))


def years_with_requests(session: Session, today: date) -> list[int]:
    """The years from the first request's to this one, newest first (no commit)."""
    first = session.execute(select(func.min(PrivacyRequest.received_at))).scalar_one_or_none()
    start = min(helsinki_date(first).year, today.year) if first is not None else today.year
    return list(range(today.year, start - 1, -1))


def _counts(session: Session, year: int, today: date) -> dict[tuple[int, str], tuple[int, ...]]:
    """(received, decided, extended, denied, overdue) per (month, kind): one grouped query."""
    rows = select(
        _month_of_receipt(year).label("month"), PrivacyRequest.kind.label("kind"),
        case((PrivacyRequest.status.in_(DECIDED_STATUSES), 1), else_=0).label("decided"),
        case((PrivacyRequest.extended_due_on.is_not(None), 1), else_=0).label("extended"),
        case((PrivacyRequest.status == "denied", 1), else_=0).label("denied"),
        case((and_(PrivacyRequest.status.in_(OPEN_STATUSES), PrivacyRequest.deadline < today), 1),
             else_=0).label("overdue"),
    ).where(_in_year(year)).subquery()
    grouped = select(rows.c.month, rows.c.kind, func.count(), func.sum(rows.c.decided),
                     func.sum(rows.c.extended), func.sum(rows.c.denied), func.sum(rows.c.overdue)
                     ).group_by(rows.c.month, rows.c.kind)
    return {(month, kind): tuple(int(n or 0) for n in numbers)
            for month, kind, *numbers in session.execute(grouped)}


def _days_to_decision(session: Session, year: int) -> dict[tuple[int, str], list[int]]:
    """Calendar days from receipt to decision of each decided request, per (month, kind)."""
    days: dict[tuple[int, str], list[int]] = {}
    for month, kind, received_at, decided_at in session.execute(
            select(_month_of_receipt(year), PrivacyRequest.kind, PrivacyRequest.received_at,
                   PrivacyRequest.decided_at)
            .where(_in_year(year), PrivacyRequest.status.in_(DECIDED_STATUSES),
                   PrivacyRequest.decided_at.is_not(None))):
        days.setdefault((month, kind), []).append(
            (helsinki_date(decided_at) - helsinki_date(received_at)).days)
    return days


def _median(values: list[int]) -> float | None:
    """The median of `values`, None for none."""
    return statistics.median(values) if values else None


def _sum(kind: str, parts: list[Figures], days: list[int]) -> Figures:
    """Figures adding up `parts`, with the median of all their `days`."""
    total = {name: sum(getattr(figures, name) for figures in parts) for name in SUMMED}
    return Figures(kind, None, median_days=_median(days), **total)


def annual_report(session: Session, year: int, today: date) -> Report:
    """Every figure of `year`, as of `today` for what is overdue (no commit)."""
    counts, days = _counts(session, year, today), _days_to_decision(session, year)
    cells = {}
    for month in MONTHS:
        for kind in REQUEST_KINDS:
            received, decided, extended, denied, overdue = counts.get((month, kind), (0, 0, 0, 0, 0))
            cells[month, kind] = Figures(kind, month, received, decided, _median(days.get((month, kind), [])),
                                         extended, denied, overdue)
    kinds = tuple(_sum(kind, [cells[m, kind] for m in MONTHS],
                       [d for m in MONTHS for d in days.get((m, kind), [])]) for kind in REQUEST_KINDS)
    total = _sum("all", list(kinds), [d for values in days.values() for d in values])
    overdue_now = session.execute(select(func.count()).select_from(PrivacyRequest).where(
        PrivacyRequest.status.in_(OPEN_STATUSES), PrivacyRequest.deadline < today)).scalar_one()
    return Report(year, today, cells, kinds, total, overdue_now)


def record_export(session: Session, actor, year: int) -> None:
    """Audit a CSV download of the year's report as it starts (commits)."""
    record_audit(session, EXPORTED, actor=actor, details={"year": year})
    session.commit()


def export_csv(report: Report, *, header: Sequence[str], month_name: Callable[[int], str],
               kind_name: Callable[[str], str], number: Callable[[float | None], str],
               whole_year: str) -> Iterator[bytes]:
    """The report as UTF-8 CSV with a BOM, written as the audit log's (`;`, CRLF, would-be formulas
    neutralised): a row per month and kind, then the year per kind and in total.

    Columns: year-month (or the year), month, kind code ("all" in the year's total), kind,
    received, decided, median days to decision, extended, denied, overdue now. `header` names
    them, the callables put them in words, `whole_year` is the month column of the year's rows.
    """
    def row(figures: Figures, period: str, month: str) -> tuple:
        """One CSV row of `figures`."""
        return (period, month, figures.kind, kind_name(figures.kind), figures.received, figures.decided,
                number(figures.median_days), figures.extended, figures.denied, figures.overdue)

    yield BOM + csv_lines([header])
    yield csv_lines([row(report.cells[month, kind], f"{report.year}-{month:02d}", month_name(month))
                     for month in MONTHS for kind in REQUEST_KINDS])
    yield csv_lines([row(figures, str(report.year), whole_year)
                     for figures in (*report.kinds, report.total)])
