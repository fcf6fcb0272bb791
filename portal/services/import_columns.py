"""The import files' columns (English and Finnish headers) and the checking of one row.

Customer values are checked with the rules the correction form and the sync API use
(portal/services/values.py through portal/services/customer_sync.py): a value the portal would
refuse from the customer or from a company system is refused from a file too. A problem is a
(column, code) pair; portal/import_words.py puts codes into words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from portal.services.customer_sync import CUSTOMER_NUMBER, HISTORY, person_value
from portal.services.import_files import ImportFileError
from portal.services.refusals import InvalidValue
from portal.services.values import clean_text


@dataclass(frozen=True)
class Column:
    """A column: its name (the English header, a Customer or history field) and other headers."""

    name: str
    finnish: str
    aliases: tuple[str, ...] = ()
    required: bool = False


NUMBER = Column("customer_number", "asiakasnumero", ("asiakasnro", "customer_no"), True)
CUSTOMER_COLUMNS = (
    NUMBER,
    Column("first_name", "etunimi", (), True),
    Column("last_name", "sukunimi", (), True),
    Column("email", "sähköposti", ("sähköpostiosoite", "e_mail"), True),
    Column("phone", "puhelin", ("puhelinnumero", "phone_number")),
    Column("organisation", "organisaatio", ("yritys", "organization", "company")),
    Column("position", "tehtävänimike", ("asema", "title")),
    Column("business_id", "y_tunnus", ("ytunnus",)),
    Column("street_address", "katuosoite", ("osoite", "address")),
    Column("postal_code", "postinumero", ("postcode", "zip")),
    Column("city", "postitoimipaikka", ("kaupunki",)),
    Column("country", "maa"),
    Column("website", "verkkosivusto", ("verkkosivut", "www")),
    Column("billing_address", "laskutusosoite"),
    Column("e_invoice_address", "verkkolaskuosoite"),
    Column("e_invoice_operator", "verkkolaskuoperaattori", ("välittäjä",)),
    Column("ip_address", "ip_osoite"),
    Column("technical_data", "muut_tekniset_tiedot", ("tekniset_tiedot",)),
    Column("language", "kieli", ("asiointikieli",)),
    Column("relationship_start", "asiakassuhde_alkoi", ("asiakkuus_alkoi",)),
    Column("relationship_end", "asiakassuhde_päättyi", ("asiakkuus_päättyi",)),
    Column("is_contact_person", "yhteyshenkilö", ("contact_person",)),
)
_TOTAL = Column("total", "summa", ("yhteensä", "total_eur", "summa_eur"), True)
HISTORY_COLUMNS = {
    "orders": (NUMBER, Column("number", "tilausnumero", ("numero", "order_number"), True),
               Column("ordered_on", "tilauspäivä", ("päivämäärä", "date"), True),
               Column("description", "kuvaus", (), True), _TOTAL,
               Column("channel", "kanava", ("myyntikanava",))),
    "quotes": (NUMBER, Column("number", "tarjousnumero", ("numero", "quote_number"), True),
               Column("issued_on", "tarjouspäivä", ("päivämäärä", "date"), True),
               Column("valid_until", "voimassa", ("voimassa_asti",), True),
               Column("description", "kuvaus", (), True), _TOTAL, Column("status", "tila")),
    "invoices": (NUMBER, Column("number", "laskunumero", ("numero", "invoice_number"), True),
                 Column("issued_on", "laskupäivä", ("päivämäärä", "date"), True),
                 Column("due_on", "eräpäivä", (), True), _TOTAL, Column("status", "tila"),
                 Column("paid_on", "maksupäivä", ("maksettu",))),
}
# Statuses as a Finnish file may write them; the English codes are taken as they are.
STATUS_WORDS = {
    "quotes": {"lähetetty": "sent", "hyväksytty": "accepted", "hylätty": "declined",
               "vanhentunut": "expired"},
    "invoices": {"avoin": "open", "maksettu": "paid", "perinnässä": "collection", "perintä": "collection"},
}
# A new item without a status column gets this one; an existing item keeps its own.
DEFAULT_STATUS = {"quotes": "sent", "invoices": "open"}
YES = {"kyllä", "k", "yes", "y", "true", "1", "x"}
NO = {"ei", "e", "no", "n", "false", "0", ""}
LANGUAGES = {"fi": "fi", "suomi": "fi", "finnish": "fi", "en": "en", "english": "en", "englanti": "en"}
COUNTRIES = {"suomi": "FI", "finland": "FI"}
# Left out when the cell is empty: a new customer gets the default, an existing one keeps its value.
KEEP_WHEN_EMPTY = {"country": "FI", "language": "fi", "relationship_start": None}
_FI_DATE = re.compile(r"([0-9]{1,2})\.([0-9]{1,2})\.([0-9]{4})")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_AMOUNT = re.compile(r"-?[0-9]+(\.[0-9]{1,2})?")


def header_key(text: str) -> str:
    """A header compared without case, spaces, hyphens or punctuation: 'Y-tunnus' is 'y_tunnus'."""
    return re.sub(r"[^\w]+", "_", text.strip().lstrip("\ufeff").casefold()).strip("_")


def map_header(header: list[str], columns: tuple[Column, ...]) -> list[str | None]:
    """The column name of each header cell (None for a blank one); unknown, twice or missing refused."""
    known = {header_key(key): column.name for column in columns
             for key in (column.name, column.finnish, *column.aliases)}
    names: list[str | None] = []
    for text in header:
        if not text.strip():
            names.append(None)
            continue
        name = known.get(header_key(text))
        if name is None:
            raise ImportFileError("unknown_column", text.strip())
        if name in names:
            raise ImportFileError("duplicate_column", text.strip())
        names.append(name)
    for column in columns:
        if column.required and column.name not in names:
            raise ImportFileError("missing_column", column.name)
    return names


def parse_date(text: str, name: str) -> date | None:
    """A date written 2025-08-15 or 15.8.2025; None for an empty cell."""
    text = text.strip()
    if not text:
        return None
    try:
        if _ISO_DATE.fullmatch(text):
            return date.fromisoformat(text)
        if match := _FI_DATE.fullmatch(text):
            day, month, year = (int(part) for part in match.groups())
            return date(year, month, day)
    except ValueError:
        pass
    raise InvalidValue("date", name)


def parse_cents(text: str, name: str) -> int:
    """Euros as cents: '1 234,50', '1234.50', '-12,5 €' and '1.234,50' are all accepted."""
    compact = re.sub(r"[\s\u00a0\u202f€]|EUR", "", text, flags=re.IGNORECASE)
    if not compact:
        raise InvalidValue("required", name)
    if "," in compact and "." in compact:
        compact = compact.replace(".", "")
    compact = compact.replace(",", ".")
    if not _AMOUNT.fullmatch(compact):
        raise InvalidValue("amount", name)
    try:
        return int(Decimal(compact) * 100)
    except InvalidOperation:
        raise InvalidValue("amount", name) from None


def _boolean(text: str, name: str) -> bool:
    """Yes or no, in Finnish or English ('kyllä', 'x', '1'; 'ei', '0', empty)."""
    word = text.strip().casefold()
    if word in YES:
        return True
    if word in NO:
        return False
    raise InvalidValue("boolean", name)


def _customer_value(name: str, text: str, country: str):
    """One customer cell as stored (raises InvalidValue)."""
    if name == "customer_number":
        text = text.strip()
        if not text:
            raise InvalidValue("required", name)
        if not CUSTOMER_NUMBER.fullmatch(text):
            raise InvalidValue("customer_number", name)
        return text
    if name in ("relationship_start", "relationship_end"):
        return parse_date(text, name)
    if name == "is_contact_person":
        return _boolean(text, name)
    if name == "postal_code" and country == "FI" and re.fullmatch(r"[0-9]{1,4}", text.strip()):
        text = text.strip().zfill(5)  # Excel drops the leading zeros of 00100 in a number cell
    if name == "language":
        text = LANGUAGES.get(text.strip().casefold(), text)
    elif name == "country":
        text = COUNTRIES.get(text.strip().casefold(), text.strip())
    try:
        return person_value(name, text, country)
    except InvalidValue as problem:
        raise InvalidValue(name if problem.code == "format" else problem.code, name) from None


def customer_row(cells: dict[str, str]) -> tuple[dict, list[tuple[str, str]]]:
    """A customer row's values as stored, and its problems as (column, code)."""
    values, problems = {}, []
    raw_country = cells.get("country", "").strip()
    country = COUNTRIES.get(raw_country.casefold(), raw_country).upper() or "FI"
    for name, text in cells.items():
        if name in KEEP_WHEN_EMPTY and not text.strip():
            continue
        try:
            values[name] = _customer_value(name, text, country)
        except InvalidValue as problem:
            problems.append((name, problem.code))
    start, end = values.get("relationship_start"), values.get("relationship_end")
    if start and end and end < start:
        problems.append(("relationship_end", "before_start"))
    return values, problems


def _history_value(kind: str, name: str, text: str):
    """One history cell as stored (raises InvalidValue)."""
    if name == "customer_number":
        return _customer_value(name, text, "FI")
    if name == "total":
        return parse_cents(text, name)
    rule_kind, rule, required = HISTORY[kind][1][name]
    if rule_kind == "date":
        value = parse_date(text, name)
        if value is None and required:
            raise InvalidValue("required", name)
        return value
    if rule_kind == "choice":
        word = text.strip().casefold()
        status = STATUS_WORDS[kind].get(word, word)
        if status not in rule:
            raise InvalidValue(f"{kind}_status", name)
        return status
    return clean_text(text, required=required, max_length=rule, field_name=name) or None


def history_row(kind: str, cells: dict[str, str]) -> tuple[dict, list[tuple[str, str]]]:
    """An order, quote or invoice row's values as stored, and its problems as (column, code)."""
    values, problems = {}, []
    for name, text in cells.items():
        if name == "status" and not text.strip():
            continue  # a new item gets DEFAULT_STATUS, an existing one keeps its own
        try:
            values[name] = _history_value(kind, name, text)
        except InvalidValue as problem:
            problems.append((name, problem.code))
    if "total" in values:
        values["total_cents"] = values.pop("total")
    if kind == "invoices" and values.get("status") == "paid" and not values.get("paid_on"):
        problems.append(("paid_on", "required"))
    return values, problems
