"""The staff request queue: requests by due date, a page at a time, and claiming or assigning them.

Pages are read by keyset on (deadline, id), never by OFFSET, and each status is read from its own
slice of the index (status, deadline, id) [or (assignee_id, status, deadline, id)]: a page reads at
most `limit + 1` index entries per status, however many requests the table holds. The customer's
name and the assignee's address come in the same statement, so a page is one SQL statement
whatever its length.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import and_, case, func, or_, select, union_all
from sqlalchemy.orm import Session, aliased
from sqlalchemy.orm.exc import StaleDataError

from portal.models import Customer, PrivacyRequest, Role, User
from portal.models.requests import OPEN_STATUSES, REQUEST_KINDS, REQUEST_STATUSES
from portal.services.audit import record_audit
from portal.services.refusals import RequestChanged, RequestClosed, RequestRefused
from portal.services.requests import set_status
from portal.services.values import clean_text

CLOSED_STATUSES = tuple(s for s in REQUEST_STATUSES if s not in OPEN_STATUSES)
UNASSIGNED = "none"
STAFF_ROLES = ("reviewer", "admin")
SEARCH_MAX = 100
PAGE_MAX = 100
REFERENCE = re.compile(r"PR-[0-9]{4}-[0-9]{6,12}", re.IGNORECASE)
# Days left below which a request is highlighted, most urgent first; "later" otherwise.
URGENCY_LIMITS = (("overdue", 0), ("under5", 5), ("under10", 10))
Cursor = tuple[date, int]


class NotAssignable(RequestRefused):
    """Requests go only to active staff members."""

    code = "not_assignable"


@dataclass(frozen=True)
class QueueRow:
    """One request as the queue shows it; `days_left` and `urgency` are None once it is closed."""

    request: PrivacyRequest
    customer_name: str | None = field(repr=False)
    assignee_email: str | None = field(repr=False)
    days_left: int | None
    urgency: str | None


@dataclass(frozen=True)
class QueuePage:
    """A page of the queue and where the next one starts (None on the last page)."""

    rows: tuple[QueueRow, ...]
    next_after: Cursor | None


@dataclass(frozen=True)
class QueueCounts:
    """Open requests past their deadline, and due within five days (today included)."""

    overdue: int
    due_soon: int


@dataclass(frozen=True)
class StaffMember:
    """Someone a request can be assigned to."""

    id: int
    email: str


def urgency(days_left: int) -> str:
    """"overdue", "under5", "under10" or "later" for a request due in `days_left` days."""
    for name, limit in URGENCY_LIMITS:
        if days_left < limit:
            return name
    return "later"


def _keyset(after: Cursor):
    """(deadline, id) > after, portably (SQLite and PostgreSQL alike).

    `deadline >= d` comes first so that both databases seek straight to the cursor in the index;
    only the rows due on the cursor's own day are read and skipped.
    """
    deadline, request_id = after
    return and_(PrivacyRequest.deadline >= deadline,
                or_(PrivacyRequest.deadline > deadline, PrivacyRequest.id > request_id))


def _name_matches(word: str):
    """First or last name starting with `word`, ignoring case.

    Not index-friendly: there is no index on lower(first_name)/lower(last_name), so this scans
    the customer table (a functional index would need a migration). SQLite's lower() folds only
    ASCII, so a capitalised spelling is tried as well ("äijälä" finds "Äijälä" on both databases).
    """
    lowered, capitalised = word.lower(), word[:1].upper() + word[1:].lower()
    return or_(*(condition for column in (Customer.first_name, Customer.last_name) for condition in (
        func.lower(column).startswith(lowered, autoescape=True),
        column.startswith(capitalised, autoescape=True))))


def search_condition(term: str):
    """What a search term matches: a reference exactly, else the customer's email or names.

    A reference and an email address are looked up through unique indexes. Raises InvalidValue
    ("too_long", "control_characters") for a term no person would type.
    """
    term = clean_text(term, required=False, max_length=SEARCH_MAX, field_name="q")
    if not term:
        return None
    if REFERENCE.fullmatch(term):
        return PrivacyRequest.reference == term.upper()
    if "@" in term:
        # Addresses are stored as typed at import; the typed and lower-case forms both use the index.
        customers = select(Customer.id).where(Customer.email.in_({term, term.lower()}))
    else:
        customers = select(Customer.id).where(and_(*(_name_matches(w) for w in term.split())))
    return PrivacyRequest.customer_id.in_(customers)


def _filters(kinds, assignee, search: str, after: Cursor | None) -> list:
    unknown = set(kinds) - set(REQUEST_KINDS)
    if unknown:
        raise ValueError(f"unknown request kinds {sorted(unknown)}")
    conditions = []
    if kinds:
        # Not in the index: the status slice is read in deadline order and other kinds skipped.
        conditions.append(PrivacyRequest.kind.in_(sorted(kinds)))
    if assignee == UNASSIGNED:
        conditions.append(PrivacyRequest.assignee_id.is_(None))
    elif assignee is not None:
        conditions.append(PrivacyRequest.assignee_id == int(assignee))
    found = search_condition(search)
    if found is not None:
        conditions.append(found)
    if after is not None:
        conditions.append(_keyset(after))
    return conditions


def open_requests(session: Session, *, kinds=(), statuses=OPEN_STATUSES, assignee: int | str | None = None,
                  search: str = "", after: Cursor | None = None, limit: int = 25,
                  today: date) -> QueuePage:
    """A page of requests in `statuses`, the earliest deadline first (no commit).

    `assignee`: None for anyone, UNASSIGNED ("none"), or an account id. `after` is the cursor
    of the previous page (its `next_after`).
    """
    unknown = set(statuses) - set(REQUEST_STATUSES)
    if unknown or not statuses:
        raise ValueError(f"unknown or no statuses {sorted(unknown)}")
    limit = max(1, min(limit, PAGE_MAX))
    conditions = _filters(kinds, assignee, search, after)
    order = (PrivacyRequest.deadline, PrivacyRequest.id)
    # One index range per status, merged: an IN over statuses would sort every open request.
    slices = [select(PrivacyRequest.id).where(PrivacyRequest.status == status, *conditions)
              .order_by(*order).limit(limit + 1).subquery() for status in sorted(set(statuses))]
    ids = union_all(*(select(part.c.id) for part in slices)).subquery("page_ids")
    assignee_account = aliased(User)
    rows = session.execute(
        select(PrivacyRequest, Customer.first_name, Customer.last_name, assignee_account.email)
        .join(ids, ids.c.id == PrivacyRequest.id)
        .outerjoin(Customer, Customer.id == PrivacyRequest.customer_id)
        .outerjoin(assignee_account, assignee_account.id == PrivacyRequest.assignee_id)
        .order_by(*order).limit(limit + 1)).all()
    shown = [_row(request, first, last, email, today) for request, first, last, email in rows[:limit]]
    last = shown[-1].request if len(rows) > limit else None
    return QueuePage(tuple(shown), (last.deadline, last.id) if last is not None else None)


def _row(request: PrivacyRequest, first: str | None, last: str | None, email: str | None,
         today: date) -> QueueRow:
    name = f"{first} {last}" if first is not None else None
    if not request.is_open:
        return QueueRow(request, name, email, None, None)
    days_left = (request.deadline - today).days
    return QueueRow(request, name, email, days_left, urgency(days_left))


def queue_counts(session: Session, today: date) -> QueueCounts:
    """How many open requests are overdue and due within five days: one statement (no commit)."""
    soon = today + timedelta(days=URGENCY_LIMITS[1][1])
    overdue, due_soon = session.execute(
        select(func.count(case((PrivacyRequest.deadline < today, 1))),
               func.count(case((PrivacyRequest.deadline >= today, 1))))
        .where(PrivacyRequest.status.in_(OPEN_STATUSES), PrivacyRequest.deadline < soon)).one()
    return QueueCounts(overdue, due_soon)


def staff_members(session: Session) -> list[StaffMember]:
    """Active staff (reviewers and administrators), by email address (no commit)."""
    rows = session.execute(
        select(User.id, User.email).where(
            User.active.is_(True), User.roles.any(Role.name.in_(STAFF_ROLES)))
        .order_by(User.email)).all()
    return [StaffMember(row.id, row.email) for row in rows]


def claim(session: Session, request: PrivacyRequest, staff: User, *, version: int) -> PrivacyRequest:
    """`staff` takes the request on; see `assign`. Commits."""
    return _assign(session, request, staff, staff, version, "request_claimed")


def assign(session: Session, request: PrivacyRequest, staff: User, assignee: User | int, *,
           version: int) -> PrivacyRequest:
    """`staff` gives the request to `assignee`; a pending request goes into review. Commits.

    `version` is the request version the staff member's page showed. Raises RequestChanged
    (someone changed the request since), RequestClosed (decided or cancelled) or NotAssignable
    (not an active staff member); each leaves everything as it was.
    """
    if isinstance(assignee, int):
        assignee = session.get(User, assignee)
    return _assign(session, request, staff, assignee, version, "request_assigned")


def _locked(session: Session, request: PrivacyRequest, version: int) -> PrivacyRequest:
    """The request re-read under a row lock (PostgreSQL); refused if it changed since it was shown."""
    fresh = session.execute(
        select(PrivacyRequest).where(PrivacyRequest.id == request.id).with_for_update()
        .execution_options(populate_existing=True)).scalar_one()
    if fresh.version != version:
        raise RequestChanged()
    if not fresh.is_open:
        raise RequestClosed()
    return fresh


def _assign(session: Session, request: PrivacyRequest, staff: User, assignee: User | None,
            version: int, action: str) -> PrivacyRequest:
    try:
        if assignee is None or not (assignee.active and assignee.is_staff):
            raise NotAssignable()
        request = _locked(session, request, version)
        request.assignee_id = assignee.id
        if request.status == "pending":
            set_status(request, "in_review", staff)
        record_audit(session, action, actor=staff, customer_id=request.customer_id,
                     details={"reference": request.reference, "assignee_id": assignee.id})
        session.commit()
    except StaleDataError:  # updated between our read and our write (SQLite has no row lock)
        session.rollback()
        raise RequestChanged() from None
    except RequestRefused:
        session.rollback()
        raise
    return request

