"""Find personal values anywhere in the database: every text-like column of every table.

Used to prove an erasure left nothing behind: `find_values(session, values)` must come back empty.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from sqlalchemy import JSON, String, select
from sqlalchemy import column as sql_column
from sqlalchemy.orm import Session
from sqlalchemy.types import TypeDecorator

from portal.extensions import db


def _is_text(column) -> bool:
    """True for String/Text/JSON columns and type decorators stored as one (AsaList)."""
    kind = column.type
    if isinstance(kind, TypeDecorator):
        kind = kind.impl_instance
    return isinstance(kind, (String, JSON))


def _raw(column):
    """The column as stored: a type decorator (AsaList) read as its underlying text."""
    if isinstance(column.type, TypeDecorator):
        return sql_column(column.name, type_=column.type.impl_instance)
    return column


def _as_text(value) -> str:
    """A stored value as searchable text: JSON and lists serialised, both with and without escapes."""
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, ensure_ascii=False) + "\n" + json.dumps(value)
    return str(value)


def text_columns() -> dict[str, list[str]]:
    """The text-like columns of every table in the metadata, by table name."""
    found = {}
    for table in db.metadata.sorted_tables:
        columns = [column.name for column in table.columns if _is_text(column)]
        if columns:
            found[table.name] = columns
    return found


def find_values(session: Session, values: Iterable[str]) -> list[tuple[str, str, int | str]]:
    """Every (table, column, primary key) whose text contains one of `values` (case-insensitive).

    Blank values are ignored. A composite primary key is given as "a,b".
    """
    needles = {value.strip().casefold() for value in values if value and value.strip()}
    hits: list[tuple[str, str, int | str]] = []
    if not needles:
        return hits
    for table in db.metadata.sorted_tables:
        columns = [column for column in table.columns if _is_text(column)]
        if not columns:
            continue
        keys = list(table.primary_key.columns)
        query = select(*keys, *(_raw(column) for column in columns)).select_from(table)
        for row in session.execute(query):
            key = row[0] if len(keys) == 1 else ",".join(str(part) for part in row[:len(keys)])
            for column, value in zip(columns, row[len(keys):], strict=True):
                if value is None:
                    continue
                text = _as_text(value).casefold()
                if any(needle in text for needle in needles):
                    hits.append((table.name, column.name, key))
    return hits
