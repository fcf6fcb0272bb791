"""Download my data (GDPR Art 15(3), Art 20): one JSON document, or a ZIP of CSV files.

Both come out as a stream. Each list is read in batches of `BATCH_SIZE` rows by keyset
pagination on the primary key (every batch is one short, bounded query: the same on SQLite
and PostgreSQL, and no database cursor stays open while a slow client downloads) and written
out before the next batch is read, so memory does not grow with the customer's history.

What is exported is declared once, column by column, in portal/services/export_sections.py;
every column left out is in `EXCLUDED` there with the reason. The format, key by key, is in
docs/EXPORT.md. tests/unit/test_export_completeness.py fails when a model gains a column that
is in neither, or when docs/EXPORT.md does not explain a key.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, tzinfo
from itertools import chain

from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from portal.models import ControllerSettings, User
from portal.models.settings import PLAIN_FIELDS
from portal.services.audit import record_audit
from portal.services.export_sections import (  # noqa: F401 (the sections are read from here too)
    ACCOUNT,
    CURRENCY,
    EXCLUDED,
    LAYOUT,
    LISTS,
    MARKETING_HISTORY,
    MESSAGES,
    PERSON,
    PROCESSING_FLAGS,
    PROHIBITIONS,
    RECIPIENT_NOTICES,
    REQUEST_PARTS,
    REQUESTS,
    SECTIONS,
    STAFF_LOOKUPS,
    STATUS_HISTORY,
    Field,
    Owner,
    Section,
    exported_columns,
)

SCHEMA = "portal-export"
SCHEMA_VERSION = 1
BATCH_SIZE = 500
FORMATS = ("json", "zip")
DATA_EXPORTED = "data_exported"
BOM = "\ufeff".encode()
CSV_DELIMITER = ";"  # what Excel expects in a Finnish locale, where the decimal mark is a comma
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_FORMULA_FIRST = frozenset(FORMULA_STARTS)


def record_export(session: Session, user, fmt: str) -> None:
    """Audit a download of the user's own data as it starts (commits)."""
    if fmt not in FORMATS:
        raise ValueError(fmt)
    record_audit(session, DATA_EXPORTED, actor=user, customer_id=user.customer_id,
                 details={"format": fmt})
    session.commit()


def neutralise(text: str) -> str:
    """Prefix a cell that a spreadsheet would run as a formula with a single quote."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _value(field: Field, raw, tz: tzinfo):
    """A column's value as JSON has it: ISO 8601 dates and times, stored codes as they are.

    Called for every cell of every row, so the common types are told apart by `type() is`.
    """
    if field.column is None:
        return field.value
    kind = type(raw)
    if kind is datetime:
        if field.local_date:
            return raw.astimezone(tz).date().isoformat()
        return raw.astimezone(UTC).isoformat(timespec="seconds")
    return raw.isoformat() if kind is date else raw


def _read(section: Section) -> dict[str, object]:
    """The columns a section reads, by name, with the SQL that reads each."""
    model, read = section.model, {}
    for f in section.fields:
        if f.column and f.column not in read:
            read[f.column] = f.expr() if f.expr else getattr(model, f.column)
    for column in section.reads:
        read.setdefault(column, getattr(model, column))
    return read


def _batches(session: Session, section: Section, where, tz: tzinfo) -> Iterator[list[list]]:
    """The section's rows, each a list of values in field order, oldest first, one bounded query per
    batch (no commit). Every owner column is indexed with id, (owner, id), so each batch is an index
    range on both databases (migration 0007)."""
    model = section.model
    read = _read(section)
    values = _shaper(section, list(read), tz)
    base = select(model.id, *read.values()).where(where)
    last = None
    while True:
        query = base if last is None else base.where(model.id > last)
        rows = session.execute(query.order_by(model.id).limit(BATCH_SIZE)).all()
        if rows:
            yield [values(row) for row in rows]
            last = rows[-1][0]
        if len(rows) < BATCH_SIZE:
            return


def _shaper(section: Section, names: list[str], tz: tzinfo) -> Callable[[Row], list]:
    """A function from a result row (the id, then the columns `names`) to the exported values."""
    if any(f.derive for f in section.fields):
        def derived(row: Row) -> list:
            raw = dict(zip(names, row[1:], strict=True))
            return [f.derive(raw) if f.derive else _value(f, raw.get(f.column), tz) for f in section.fields]
        return derived
    # No derived field: each value straight from its place in the row (most sections, all long ones).
    places = [(f, names.index(f.column) + 1 if f.column else 0) for f in section.fields]
    return lambda row: [_value(f, row[place], tz) for f, place in places]


def _dicts(section: Section, batches: Iterator[list[list]]) -> Iterator[list[dict]]:
    """Batches of rows as dicts keyed by the fields' keys (for the JSON document)."""
    keys = [f.key for f in section.fields]
    for batch in batches:
        yield [dict(zip(keys, row, strict=True)) for row in batch]


def _rows(session: Session, section: Section, owner: Owner, tz: tzinfo) -> Iterator[list[dict]]:
    return _dicts(section, _batches(session, section, section.where(owner), tz))


def _single(session: Session, section: Section, owner: Owner, tz: tzinfo) -> dict | None:
    return next((batch[0] for batch in _rows(session, section, owner, tz)), None)


def _controller(session: Session) -> dict | None:
    settings = session.get(ControllerSettings, 1)
    return {name: getattr(settings, name) for name in PLAIN_FIELDS} if settings else None


def _owner(session: Session, customer_id: int) -> Owner:
    account_id = session.execute(
        select(User.id).where(User.customer_id == customer_id)).scalar_one_or_none()
    return Owner(customer_id, account_id)


def _with_parts(session: Session, batch: list[dict], tz: tzinfo) -> list[dict]:
    """Nest each request's status history and messages in it."""
    by_id = {item["id"]: item for item in batch}
    for part in REQUEST_PARTS:
        for item in batch:
            item[part.key] = []
        for rows in _dicts(part, _batches(session, part, part.model.request_id.in_(list(by_id)), tz)):
            for row in rows:
                by_id[row["request_id"]][part.key].append(row)
    return batch


_ENCODER = json.JSONEncoder(ensure_ascii=False)  # one encoder: json.dumps() with options builds one a call


def _dumps(value) -> str:
    return _ENCODER.encode(value)


def _json_list(session, section: Section, owner: Owner, tz, indent: str) -> Iterator[str]:
    yield "["
    separator = "\n"
    for batch in _rows(session, section, owner, tz):
        if section is REQUESTS:
            batch = _with_parts(session, batch, tz)
        yield separator + ",\n".join(indent + "  " + _dumps(item) for item in batch)
        separator = ",\n"
    yield "]" if separator == "\n" else "\n" + indent + "]"


def export_json(session: Session, customer_id: int, *, now: datetime, tz: tzinfo) -> Iterator[str]:
    """The person's data as one JSON document, yielded piece by piece (no commit)."""
    owner = _owner(session, customer_id)
    head = {"schema": SCHEMA, "schema_version": SCHEMA_VERSION,
            "generated_at": now.astimezone(UTC).isoformat(timespec="seconds"),
            "controller": _controller(session), "person": _single(session, PERSON, owner, tz),
            "account": _single(session, ACCOUNT, owner, tz)}
    yield "{\n" + ",\n".join(f"  {_dumps(key)}: {_dumps(value)}" for key, value in head.items())
    for part in LAYOUT:
        if isinstance(part, Section):
            yield f",\n  {_dumps(part.key)}: "
            yield from _json_list(session, part, owner, tz, "  ")
            continue
        key, sections = part
        yield f",\n  {_dumps(key)}: {{"
        for number, section in enumerate(sections):
            yield ("" if number == 0 else ",") + f"\n    {_dumps(section.key)}: "
            yield from _json_list(session, section, owner, tz, "    ")
        yield "\n  }"
    yield "\n}\n"


def _cell(value) -> str:
    """One CSV cell: empty for none, JSON for structures, formulas neutralised."""
    if type(value) is str:  # most cells: a quick way past the checks below
        return "'" + value if value[:1] in _FORMULA_FIRST else value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        value = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return neutralise(str(value))


def _csv(rows) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=CSV_DELIMITER, lineterminator="\r\n")
    writer.writerows([_cell(value) for value in row] for row in rows)
    return buffer.getvalue().encode("utf-8")


class _Sink:
    """A write-only, unseekable buffer the archive writes into and the stream drains."""

    def __init__(self) -> None:
        self._chunks: list[bytes] = []

    def write(self, data: bytes) -> int:
        self._chunks.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        """Nothing to flush: the stream drains the chunks."""

    def drain(self) -> Iterator[bytes]:
        if self._chunks:
            data = b"".join(self._chunks)
            self._chunks.clear()
            yield data


def _tables(session: Session, owner: Owner, tz: tzinfo) -> Iterator[tuple[str, Iterator[list]]]:
    """Each CSV file's name and its rows in batches, the header row first."""
    controller = _controller(session) or {}
    for name, values in (("controller.csv", controller),
                         (PERSON.file, _single(session, PERSON, owner, tz) or {}),
                         (ACCOUNT.file, _single(session, ACCOUNT, owner, tz) or {})):
        yield name, iter([[["field", "value"], *values.items()]])
    for section in LISTS:
        header = [f.key for f in section.fields]
        yield section.file, chain([[header]], _batches(session, section, section.where(owner), tz))


def export_zip(session: Session, customer_id: int, *, now: datetime, tz: tzinfo,
               readme: str) -> Iterator[bytes]:
    """The person's data as a ZIP of UTF-8 CSV files and `readme`, yielded as built (no commit)."""
    owner = _owner(session, customer_id)
    stamp = now.astimezone(tz).timetuple()[:6]
    sink = _Sink()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as archive:

        def entry(name: str):
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            return archive.open(info, "w")

        with entry("README.txt") as out:
            out.write(BOM + readme.replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-8"))
        yield from sink.drain()
        for name, batches in _tables(session, owner, tz):
            with entry(name) as out:
                out.write(BOM)
                for rows in batches:
                    out.write(_csv(rows))
                    yield from sink.drain()
            yield from sink.drain()
    yield from sink.drain()
