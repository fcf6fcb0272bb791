"""`flask import-customers`: the register loaded from CSV and Excel files, checked row by row."""

from __future__ import annotations

import json
import re
import shutil
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import AuditEvent, Customer, Invoice, Order, Quote
from tests.conftest import AuthActions, set_password_form
from tests.factories import PASSWORD as USER_PASSWORD
from tests.factories import CustomerFactory, UserFactory
from tests.functional.helpers import audit_actions, link_in, outbox_mail, page, sent_mail

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
CUSTOMERS, CUSTOMERS_EN = EXAMPLES / "customers.csv", EXAMPLES / "customers-en.csv"
BROKEN = EXAMPLES / "customers-broken.csv"
HISTORY = ["--orders", str(EXAMPLES / "orders.csv"), "--quotes", str(EXAMPLES / "quotes.csv"),
           "--invoices", str(EXAMPLES / "invoices.csv")]
AINO = "aino.virtanen@esimerkki.example"
PASSWORD = "Villasukat-ja-lapaset-2026"
FI_HEADER = "Asiakasnumero;Etunimi;Sukunimi;Sähköposti;Kieli;Asiakassuhde alkoi"


def _import(flask_cli, *args):
    return flask_cli("import-customers", *(str(a) for a in args))


def _counts(output: str, kind: str = "customers") -> tuple[int, ...]:
    """The new/updated/unchanged/invalid counts the command printed for `kind`."""
    match = re.search(rf"^{kind}\s+([\d,]+)\s+([\d,]+)\s+([\d,]+)\s+([\d,]+)$", output, re.MULTILINE)
    assert match, output
    return tuple(int(n.replace(",", "")) for n in match.groups())


def _customers(app) -> dict[str, dict]:
    """Every customer by number, as plain values."""
    with app.app_context():
        rows = db.session.execute(select(Customer)).scalars().all()
        found = {c.customer_number: {k: getattr(c, k) for k in (
            "first_name", "last_name", "email", "phone", "organisation", "position", "business_id",
            "street_address", "postal_code", "city", "country", "language", "relationship_start",
            "relationship_end", "is_contact_person", "created_at", "updated_at")} for c in rows}
        db.session.remove()
    return found


def _count(app, model) -> int:
    with app.app_context():
        count = db.session.execute(select(func.count()).select_from(model)).scalar_one()
        db.session.remove()
    return count


def _write(path: Path, text: str, *, bom: bool = False, encoding: str = "utf-8") -> Path:
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.replace("\n", "\r\n").encode(encoding))
    return path


# --- customers --------------------------------------------------------------------------------

def test_example_file_is_imported_with_values_as_the_portal_stores_them(app, flask_cli):
    result = _import(flask_cli, CUSTOMERS)
    assert result.exit_code == 0, result.output
    assert "Read customers.csv as UTF-8 with BOM, separated by ';'." in result.output
    assert _counts(result.output) == (7, 0, 0, 0)
    customers = _customers(app)
    assert len(customers) == 7
    aino, mikko, emma = customers["AS-10001"], customers["AS-10002"], customers["AS-10003"]
    assert (aino["first_name"], aino["email"], aino["phone"]) == ("Aino", AINO, "+358405550101")
    assert (aino["postal_code"], aino["relationship_start"], aino["is_contact_person"]) == (
        "00100", date(2019, 3, 15), False)
    assert (mikko["business_id"], mikko["position"], mikko["is_contact_person"]) == (
        "7654321-2", "Toimitusjohtaja", True)
    assert (emma["language"], emma["relationship_end"], emma["last_name"]) == ("en", date(2024, 12, 31),
                                                                             "Mäkinen")


def test_english_headers_and_commas_give_the_same_register(app, flask_cli):
    english = _import(flask_cli, CUSTOMERS_EN)
    assert english.exit_code == 0, english.output
    assert "Read customers-en.csv as UTF-8, separated by ','." in english.output
    assert _counts(english.output) == (7, 0, 0, 0)
    finnish = _import(flask_cli, CUSTOMERS)
    assert _counts(finnish.output) == (0, 0, 7, 0)  # the same data in the other layout


@pytest.mark.parametrize("separator", [";", ","])
@pytest.mark.parametrize("bom", [True, False])
def test_bom_and_separator_as_excel_writes_them(app, flask_cli, tmp_path, separator, bom):
    text = FI_HEADER.replace(";", separator) + "\n" + separator.join(
        ["AS-1", "Äijä", "Öhman", "aija.ohman@esimerkki.example", "suomi", "15.8.2025"]) + "\n"
    result = _import(flask_cli, _write(tmp_path / "asiakkaat.csv", text, bom=bom))
    assert result.exit_code == 0, result.output
    person = _customers(app)["AS-1"]
    assert (person["first_name"], person["last_name"], person["language"]) == ("Äijä", "Öhman", "fi")
    assert person["relationship_start"] == date(2025, 8, 15)


def test_a_file_saved_as_windows_1252_is_read_and_the_operator_is_told(app, flask_cli, tmp_path):
    text = FI_HEADER + "\nAS-1;Äijä;Öhman;aija.ohman@esimerkki.example;fi;2025-08-15\n"
    result = _import(flask_cli, _write(tmp_path / "excel.csv", text, encoding="cp1252"))
    assert result.exit_code == 0, result.output
    assert "as Windows-1252" in result.output
    assert _customers(app)["AS-1"]["first_name"] == "Äijä"


def test_an_excel_workbook_is_imported_with_its_dates_and_number_cells(app, flask_cli, tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["Asiakasnumero", "Etunimi", "Sukunimi", "Sähköposti", "Puhelin", "Postinumero",
                        "Asiakassuhde alkoi"])
    book.active.append(["AS-1", "Aino", "Virtanen", AINO, 405550101, 100, datetime(2024, 3, 1)])
    book.save(tmp_path / "asiakkaat.xlsx")
    result = _import(flask_cli, tmp_path / "asiakkaat.xlsx")
    assert result.exit_code == 0, result.output
    aino = _customers(app)["AS-1"]
    assert (aino["phone"], aino["postal_code"], aino["relationship_start"]) == (
        "+358405550101", "00100", date(2024, 3, 1))


def test_broken_example_names_every_bad_line_and_stores_nothing(app, flask_cli):
    result = _import(flask_cli, BROKEN)
    assert result.exit_code == 1
    assert [line for line in result.output.splitlines() if line.startswith("customers-broken.csv")] == [
        "customers-broken.csv: line 3: Sähköposti: not a valid email address",
        "customers-broken.csv: line 4: Y-tunnus: not a valid business ID (Y-tunnus): check the last digit",
        "customers-broken.csv: line 5: Asiakassuhde alkoi: not a date: write 15.8.2025 or 2025-08-15",
        "customers-broken.csv: line 6: Asiakasnumero: the same value is already on line 2",
    ]
    assert "Nothing stored: 4 row(s) have errors" in result.output
    assert _count(app, Customer) == 0
    assert audit_actions(app) == []


def test_only_the_first_fifty_errors_are_listed(flask_cli, tmp_path):
    rows = "".join(f"AS-{n};Aino;Virtanen;aino{n}(at)esimerkki.example;fi;1.1.2020\n" for n in range(60))
    result = _import(flask_cli, _write(tmp_path / "c.csv", FI_HEADER + "\n" + rows))
    listed = [line for line in result.output.splitlines() if line.startswith("c.csv: line ")]
    assert len(listed) == 50 and listed[-1].startswith("c.csv: line 51: Sähköposti:")
    assert "... and 10 more." in result.output
    assert _counts(result.output) == (0, 0, 0, 60)


def test_skip_invalid_stores_the_good_rows_only(app, flask_cli):
    result = _import(flask_cli, BROKEN, "--skip-invalid")
    assert result.exit_code == 0, result.output
    assert "Stored (4 bad row(s) skipped)." in result.output
    assert sorted(_customers(app)) == ["AS-20001", "AS-20006"]
    assert _customers(app)["AS-20001"]["street_address"] == "Puistotie 1"  # the first of the two


def test_dry_run_checks_and_counts_but_stores_nothing(app, flask_cli):
    result = _import(flask_cli, CUSTOMERS, *HISTORY, "--dry-run", "--invite")
    assert result.exit_code == 0, result.output
    assert _counts(result.output) == (7, 0, 0, 0)
    assert _counts(result.output, "invoices") == (5, 0, 0, 0)
    assert "Dry run: every row checked, nothing stored." in result.output
    assert "Would invite 7 customer(s)" in result.output
    stored = (_count(app, Customer), _count(app, Invoice), outbox_mail(app), audit_actions(app))
    assert stored == (0, 0, [], [])


def test_a_dry_run_with_bad_rows_fails(flask_cli):
    assert _import(flask_cli, BROKEN, "--dry-run").exit_code == 1


def test_reimport_updates_changed_rows_and_never_duplicates(app, flask_cli, tmp_path):
    _import(flask_cli, CUSTOMERS)
    before = _customers(app)
    changed = tmp_path / "customers.csv"
    changed.write_bytes(CUSTOMERS.read_bytes().replace(b"Koivukuja 3 A 5", b"Koivukuja 5 B 7"))
    result = _import(flask_cli, changed)
    assert _counts(result.output) == (0, 1, 6, 0)
    after = _customers(app)
    assert len(after) == 7
    assert after["AS-10001"]["street_address"] == "Koivukuja 5 B 7"
    assert after["AS-10001"]["updated_at"] > before["AS-10001"]["updated_at"]
    assert all(after[n] == before[n] for n in before if n != "AS-10001")


def test_an_unchanged_reimport_touches_nothing(app, flask_cli):
    _import(flask_cli, CUSTOMERS, *HISTORY)
    before = _customers(app)
    result = _import(flask_cli, CUSTOMERS, *HISTORY)
    assert _counts(result.output) == (0, 0, 7, 0)
    assert _counts(result.output, "orders") == (0, 0, 5, 0)
    assert _customers(app) == before  # updated_at included
    assert (_count(app, Order), _count(app, Quote), _count(app, Invoice)) == (5, 2, 5)


def test_a_new_address_in_the_file_becomes_the_log_in_address_too(app, flask_cli, tmp_path):
    with app.app_context():
        UserFactory(customer=CustomerFactory(customer_number="AS-1", email="vanha@esimerkki.example"))
        db.session.commit()
        db.session.remove()
    path = _write(tmp_path / "c.csv", FI_HEADER + "\nAS-1;Aino;Virtanen;" + AINO + ";fi;1.1.2020\n")
    assert _counts(_import(flask_cli, path).output) == (0, 1, 0, 0)
    assert AuthActions(app.test_client()).login(AINO, USER_PASSWORD).status_code == 302


def test_a_customer_written_by_someone_else_meanwhile_stops_the_whole_import(app, flask_cli, monkeypatch):
    from portal.services import importing

    write = importing._write_customers

    def someone_else_first(session, rows, today, progress):
        session.add(Customer(customer_number="AS-10007", first_name="API", last_name="Asiakas",
                             email="api@esimerkki.example", relationship_start=today))
        session.flush()
        return write(session, rows, today, progress)

    monkeypatch.setattr(importing, "_write_customers", someone_else_first)
    result = _import(flask_cli, CUSTOMERS)
    assert result.exit_code == 1
    assert "nothing was stored: run the import again" in result.output
    assert (_count(app, Customer), audit_actions(app)) == (0, [])


def test_one_audit_entry_per_run_with_counts_only(app, flask_cli):
    _import(flask_cli, CUSTOMERS, *HISTORY)
    with app.app_context():
        [event] = db.session.execute(select(AuditEvent)).scalars().all()
        details = json.loads(event.details)
        db.session.remove()
    assert event.action == "customers_imported"
    assert details["customers"] == {"new": 7, "updated": 0, "unchanged": 0, "invalid": 0}
    assert details["invoices"]["new"] == 5
    assert "@" not in event.details and "AS-1" not in event.details


def test_an_address_that_belongs_to_another_customer_is_refused(app, flask_cli):
    with app.app_context():
        CustomerFactory(email=AINO.upper(), customer_number="CRM-1")
        db.session.commit()
        db.session.remove()
    result = _import(flask_cli, CUSTOMERS)
    assert result.exit_code == 1
    assert ("customers.csv: line 2: Sähköposti: another customer or account already has this email address"
            in result.output)
    assert _count(app, Customer) == 1


def test_an_erased_customer_is_not_imported_again(app, flask_cli):
    with app.app_context():
        CustomerFactory(customer_number="AS-10001", first_name="-", erased_at=datetime.now(UTC))
        db.session.commit()
        db.session.remove()
    result = _import(flask_cli, CUSTOMERS)
    assert "line 2: Asiakasnumero: this customer's data has been erased" in result.output
    assert _customers(app)["AS-10001"]["first_name"] == "-"


def test_an_unknown_column_stops_the_import_even_with_skip_invalid(app, flask_cli, tmp_path):
    path = _write(tmp_path / "c.csv", FI_HEADER + ";Kengänkoko\nAS-1;Aino;Virtanen;" + AINO + ";fi;;42\n")
    result = _import(flask_cli, path, "--skip-invalid")
    assert result.exit_code == 2
    assert "c.csv: line 1: unknown column Kengänkoko" in result.output
    assert _count(app, Customer) == 0


def test_a_missing_required_column_is_named_in_both_languages(flask_cli, tmp_path):
    path = _write(tmp_path / "c.csv", "Asiakasnumero;Etunimi;Sähköposti\nAS-1;Aino;" + AINO + "\n")
    result = _import(flask_cli, path)
    assert result.exit_code == 2
    assert "the required column last_name (sukunimi) is missing" in result.output


# --- orders, quotes, invoices ------------------------------------------------------------------

def test_history_files_attach_to_the_right_customers(app, flask_cli):
    result = _import(flask_cli, CUSTOMERS, *HISTORY)
    assert result.exit_code == 0, result.output
    with app.app_context():
        mikko, emma = (db.session.execute(select(Customer).where(Customer.customer_number == number))
                       .scalar_one() for number in ("AS-10002", "AS-10003"))
        assert sorted(o.number for o in mikko.orders) == ["T-2024-0002", "T-2025-0003"]
        hut = next(o for o in mikko.orders if o.number == "T-2024-0002")
        assert (hut.total_cents, hut.ordered_on, hut.channel) == (123450, date(2024, 5, 3), "myymälä")
        assert [(q.number, q.status, q.total_cents) for q in mikko.quotes] == [
            ("TA-2025-0001", "accepted", 1250000)]
        [collection] = emma.invoices
        assert (collection.status, collection.paid_on, collection.due_on) == (
            "collection", None, date(2024, 11, 11))
        db.session.remove()


def test_history_alone_updates_items_of_customers_already_held(app, flask_cli, tmp_path):
    _import(flask_cli, CUSTOMERS, *HISTORY)
    paid = _write(tmp_path / "laskut.csv", "Asiakasnumero;Laskunumero;Laskupäivä;Eräpäivä;Summa;Tila;"
                  "Maksupäivä\nAS-10004;L-2025-0004;1.10.2025;15.10.2025;560;maksettu;14.10.2025\n")
    result = _import(flask_cli, "--invoices", paid)
    assert result.exit_code == 0, result.output
    assert _counts(result.output, "invoices") == (0, 1, 0, 0)
    with app.app_context():
        invoice = db.session.execute(select(Invoice).where(Invoice.number == "L-2025-0004")).scalar_one()
        assert (invoice.status, invoice.paid_on) == ("paid", date(2025, 10, 14))
        db.session.remove()


def test_history_rows_for_unknown_or_refused_customers_are_line_errors(app, flask_cli, tmp_path):
    orders = _write(tmp_path / "tilaukset.csv", "Asiakasnumero;Tilausnumero;Tilauspäivä;Kuvaus;Summa\n"
                    "AS-20003;T-1;1.2.2024;Sukat;12,50\nAS-99999;T-2;1.2.2024;Sukat;1 234,5\n"
                    "AS-20001;T-3;1.2.2024;Sukat;12.50 €\nAS-20001;T-4;1.2.2024;Sukat;kaksi euroa\n")
    result = _import(flask_cli, BROKEN, "--orders", orders, "--skip-invalid")
    assert result.exit_code == 0, result.output
    errors = [line for line in result.output.splitlines() if line.startswith("tilaukset.csv")]
    assert errors == [
        "tilaukset.csv: line 2: Asiakasnumero: this customer's row in the customers file has errors",
        "tilaukset.csv: line 3: Asiakasnumero: no customer has this number in the register or in the "
        "customers file",
        "tilaukset.csv: line 5: Summa: not an amount: write 1234,50 or 1234.50",
    ]
    with app.app_context():
        orders = [(o.number, o.total_cents) for o in db.session.execute(select(Order)).scalars()]
        assert orders == [("T-3", 1250)]
        db.session.remove()


# --- invitations and the first log-in -----------------------------------------------------------

def test_invite_queues_one_invitation_per_customer_in_their_language_once(app, flask_cli):
    result = _import(flask_cli, CUSTOMERS, "--invite")
    assert result.exit_code == 0, result.output
    assert "Invitations queued: 7" in result.output
    mail = outbox_mail(app)
    assert sorted(m.recipient for m in mail) == sorted(c["email"] for c in _customers(app).values())
    english = {m.recipient for m in mail if "privacy portal" in m.subject}
    assert english == {"emma.makinen@esimerkki.example", "sofia.laine@esimerkki.example"}
    assert all(m.kind == "invitation" for m in mail)
    again = _import(flask_cli, CUSTOMERS, "--invite")
    assert "Invitations queued: 0" in again.output
    assert len(outbox_mail(app)) == 7


def test_imported_customer_activates_from_the_invitation_and_sees_their_data(app, flask_cli, tmp_path):
    history = tmp_path / "history"
    history.mkdir()
    for name in ("orders.csv", "invoices.csv"):
        shutil.copy(EXAMPLES / name, history / name)
    _import(flask_cli, CUSTOMERS, "--orders", history / "orders.csv", "--invoices", history / "invoices.csv",
            "--invite")
    assert flask_cli("outbox", "send").exit_code == 0
    [invitation] = [m for m in sent_mail(app) if m.to == [AINO]]
    client = app.test_client()
    response = set_password_form(client, link_in(invitation, "/activate/"), PASSWORD)
    assert response.status_code == 302
    assert AuthActions(client).login(AINO, PASSWORD).status_code == 302
    mine = page(client.get("/account"))
    for shown in ("Aino", "Virtanen", "Koivukuja 3 A 5", "T-2024-0001", "Villasukat, 2 paria",
                  "L-2024-0001"):
        assert shown in mine
    assert "Mikko" not in mine and "T-2024-0002" not in mine
