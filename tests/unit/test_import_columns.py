"""Reading import files and their cells: headers, separators, Finnish dates and amounts."""

from datetime import date

import pytest

from portal.services.import_columns import (
    CUSTOMER_COLUMNS,
    customer_row,
    header_key,
    history_row,
    map_header,
    parse_cents,
    parse_date,
)
from portal.services.import_files import ImportFileError, read_csv
from portal.services.refusals import InvalidValue


@pytest.mark.parametrize(("text", "cents"), [
    ("1 234,50", 123450), ("1\u00a0234,50 €", 123450), ("1234.5", 123450), ("1.234,50", 123450),
    ("-12,5", -1250), ("39,80", 3980), ("560", 56000), ("12 500,00 EUR", 1250000),
])
def test_amounts_in_finnish_and_english_notation_become_cents(text, cents):
    assert parse_cents(text, "total") == cents


@pytest.mark.parametrize("text", ["kaksi", "12,345", "1,2,3", "12.5.0", "€"])
def test_what_is_not_an_amount_is_refused(text):
    with pytest.raises(InvalidValue):
        parse_cents(text, "total")


@pytest.mark.parametrize(("text", "day"), [
    ("15.8.2025", date(2025, 8, 15)), ("01.02.2024", date(2024, 2, 1)), ("2025-08-15", date(2025, 8, 15)),
    (" 29.2.2024 ", date(2024, 2, 29)), ("", None),
])
def test_dates_in_finnish_or_iso_form(text, day):
    assert parse_date(text, "relationship_start") == day


@pytest.mark.parametrize("text", ["31.2.2024", "2025/08/15", "15.8.25", "8/15/2025", "huomenna"])
def test_what_is_not_a_date_is_refused(text):
    with pytest.raises(InvalidValue) as refused:
        parse_date(text, "relationship_start")
    assert refused.value.code == "date"


def test_headers_match_without_case_spaces_or_hyphens_in_either_language():
    assert header_key(" Y-Tunnus ") == header_key("y_tunnus") == "y_tunnus"
    names = map_header(["ASIAKASNUMERO", "first name", "Sukunimi", "E-mail", "Asiakassuhde päättyi", ""],
                       CUSTOMER_COLUMNS)
    assert names == ["customer_number", "first_name", "last_name", "email", "relationship_end", None]


def test_a_header_naming_one_column_twice_is_refused():
    with pytest.raises(ImportFileError) as refused:
        map_header(["asiakasnumero", "customer_number", "etunimi", "sukunimi", "email"], CUSTOMER_COLUMNS)
    assert (refused.value.code, refused.value.column) == ("duplicate_column", "customer_number")


def test_the_separator_is_taken_from_the_header_and_lines_count_from_the_header():
    table = read_csv(b'a;b\n1;"two\nlines"\n\n3;4\n')
    assert (table.separator, table.header) == (";", ["a", "b"])
    assert list(table.rows) == [(2, ["1", "two\nlines"]), (5, ["3", "4"])]


def test_customer_values_are_normalised_as_the_correction_form_does():
    values, problems = customer_row({"customer_number": "AS-1", "phone": "040 555 0101",
                                     "business_id": "7654321 2", "postal_code": "100", "language": "Suomi",
                                     "is_contact_person": "Kyllä", "country": ""})
    assert problems == []
    assert values == {"customer_number": "AS-1", "phone": "+358405550101", "business_id": "7654321-2",
                      "postal_code": "00100", "language": "fi", "is_contact_person": True}


def test_each_bad_cell_is_a_problem_of_its_own():
    _, problems = customer_row({"customer_number": "AS 1", "email": "ei-osoite", "language": "sv",
                                "relationship_start": "1.1.2025", "relationship_end": "1.1.2024"})
    assert problems == [("customer_number", "customer_number"), ("email", "email"), ("language", "language"),
                        ("relationship_end", "before_start")]


def test_a_paid_invoice_needs_its_payment_date_and_statuses_may_be_finnish():
    values, problems = history_row("invoices", {"customer_number": "AS-1", "number": "L-1",
                                                "issued_on": "1.3.2025", "due_on": "15.3.2025",
                                                "total": "10", "status": "Maksettu", "paid_on": ""})
    assert values["status"] == "paid"
    assert problems == [("paid_on", "required")]
