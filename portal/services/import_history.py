"""Importing orders, quotes and invoices: each row keyed by its customer's number and its own.

An item's number is unique in the register, so a known number updates that item (only the
columns that changed) and a new one is inserted; a number that belongs to another customer's
item is refused. Items held now but missing from the file stay as they are. An erased person
gets nothing new; only the status of an invoice an erasure kept may still change, so a hold can
end (as in the sync API).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass, field

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from portal.models import Customer
from portal.services.customer_sync import HISTORY
from portal.services.import_columns import DEFAULT_STATUS, HISTORY_COLUMNS, history_row, map_header
from portal.services.import_files import Table

HISTORY_KINDS = ("orders", "quotes", "invoices")
CHUNK = 5000


@dataclass(frozen=True)
class LineError:
    """One problem: the file (by kind), its line, the column (None for the row) and a code.

    `other_line` is the earlier line a duplicate repeats. No values: they may be personal data.
    """

    kind: str
    line: int
    column: str | None
    code: str
    other_line: int | None = None


@dataclass
class Counts:
    """Rows of one file: inserted, updated, left unchanged, refused."""

    new: int = 0
    updated: int = 0
    unchanged: int = 0
    invalid: int = 0

    def as_dict(self) -> dict[str, int]:
        """The counts by name (for the audit entry)."""
        return asdict(self)


@dataclass
class _Item:
    """A checked order, quote or invoice row."""

    line: int
    values: dict
    customer_number: str = ""
    customer_id: int | None = None  # None: a customer this run inserts
    id: int | None = None
    changed: dict = field(default_factory=dict)


def chunks(items: list, size: int = CHUNK) -> Iterator[list]:
    """`items` in slices of at most `size`."""
    for start in range(0, len(items), size):
        yield items[start:start + size]


def rows_of(table: Table, names: list[str | None]) -> Iterator[tuple[int, dict[str, str], list]]:
    """Each row as (line, cells by column name, problems so far: cells beyond the header)."""
    width = len(names)
    for line, cells in table.rows:
        extra = [(None, "extra_cells")] if any(cell.strip() for cell in cells[width:]) else []
        yield line, {name: (cells[i] if i < len(cells) else "") for i, name in enumerate(names)
                     if name}, extra


def _read_rows(kind: str, table: Table, report, progress) -> list[_Item]:
    """The file's rows, each checked on its own and for a number repeated in the file."""
    names = map_header(table.header, HISTORY_COLUMNS[kind])
    report.headers[kind] = {n: h.strip() for n, h in zip(names, table.header, strict=False) if n}
    items, first_line = [], {}
    with progress(f"checking {kind}", table.total) as bar:
        for line, cells, problems in rows_of(table, names):
            values, more = history_row(kind, cells)
            problems += more
            number = values.get("number")
            if number and number in first_line:
                problems.append(("number", "duplicate", first_line[number]))
            elif number:
                first_line[number] = line
            for problem in problems:
                report.error(kind, line, *problem)
            if not problems:
                items.append(_Item(line, values, values.pop("customer_number")))
            bar.update()
    return items


def _customers(session: Session, numbers: set[str]) -> dict[str, tuple[int, bool]]:
    """Customers held now by number: (id, erased)."""
    found = {}
    for part in chunks(sorted(numbers)):
        query = select(Customer.customer_number, Customer.id, Customer.erased_at).where(
            Customer.customer_number.in_(part))
        found.update({number: (cid, erased is not None) for number, cid, erased in session.execute(query)})
    return found


def _held_items(session: Session, kind: str, items: list[_Item]) -> dict:
    """The items held now with the numbers in the file."""
    model = HISTORY[kind][0]
    columns = sorted({name for item in items for name in item.values})
    held = {}
    for part in chunks([item.values["number"] for item in items]):
        query = select(model.id, model.customer_id, *(getattr(model, n) for n in columns)).where(
            model.number.in_(part))
        held.update({row.number: row for row in session.execute(query)})
    return held


def _problem(kind: str, item: _Item, known: dict, held_customers: dict, now, refused: set) -> str | None:
    """Why the item cannot be stored for its customer, or None; sets the item's customer."""
    number = item.customer_number
    if number in known:  # a good row of this run's customers file (a refused repeat may follow it)
        item.customer_id, erased = known[number], False
    elif number in refused:
        return "customer_invalid"
    elif number in held_customers:
        item.customer_id, erased = held_customers[number]
    else:
        return "unknown_customer"
    if now is not None and now.customer_id != item.customer_id:
        return "number_taken"
    if erased and (now is None or kind != "invoices"):
        return "customer_erased"
    return None


def check(session: Session, kind: str, table: Table, known: dict[str, int | None], report,
          progress) -> list[_Item]:
    """The file's items that can be stored, each matched to its customer and to the item held now.

    `known` maps the customer numbers of this run's good customer rows to their ids (None for
    new ones); `report.refused` holds the numbers whose customer row was refused.
    """
    items = _read_rows(kind, table, report, progress)
    counts = report.counts[kind]
    counts.invalid = len({error.line for error in report.errors if error.kind == kind})
    held_customers = _customers(session, {item.customer_number for item in items} - known.keys())
    held = _held_items(session, kind, items)
    good = []
    for item in items:
        now = held.get(item.values["number"])
        code = _problem(kind, item, known, held_customers, now, report.refused)
        if code is not None:
            report.error(kind, item.line, "customer_number" if code != "number_taken" else "number", code)
            counts.invalid += 1
            continue
        if now is None:
            counts.new += 1
        else:
            item.id = now.id
            item.changed = {k: v for k, v in item.values.items() if getattr(now, k) != v}
            counts.updated += bool(item.changed)
            counts.unchanged += not item.changed
        good.append(item)
    return good


def write(session: Session, kind: str, items: list[_Item], new_ids: dict[str, int], progress) -> None:
    """Insert the new items and update the changed ones, in bulk (no commit)."""
    model, fields = HISTORY[kind]
    defaults = dict.fromkeys(fields)
    if kind in DEFAULT_STATUS:
        defaults["status"] = DEFAULT_STATUS[kind]
    new = [{**defaults, **item.values, "customer_id": item.customer_id or new_ids[item.customer_number]}
           for item in items if item.id is None]
    changed = [{"id": item.id, **item.changed} for item in items if item.id is not None and item.changed]
    with progress(f"writing {kind}", len(new) + len(changed)) as bar:
        for part in chunks(new):
            session.execute(insert(model.__table__), part)
            bar.update(len(part))
        for part in chunks(changed):
            session.execute(update(model), part)
            bar.update(len(part))
