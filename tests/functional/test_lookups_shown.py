"""The customer sees when staff looked at their data and why, on 'My data' and in the download,
never who looked (DESIGN §7, CJEU C-579/21)."""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select

from portal.demo import ADMIN_EMAIL, DEMO_PASSWORD
from portal.extensions import db
from portal.models import Customer, PrivacyRequest, User
from portal.services.lookups import record_lookup
from tests.conftest import AuthActions, csrf_token, log_in_staff
from tests.functional.helpers import MAIJA, MATTI, page, switch_language


def _ids(app) -> dict[str, int]:
    with app.app_context():
        found = {c.email: c.id for c in db.session.execute(select(Customer)).scalars()}
        db.session.remove()
    return found


def _open_reference(app, email: str) -> str:
    with app.app_context():
        found = db.session.execute(select(PrivacyRequest.reference).join(Customer).where(
            Customer.email == email, PrivacyRequest.status == "pending")).scalars().first()
        db.session.remove()
    return found


@pytest.fixture
def looked_at(app, demo_queue):
    """The administrator opened Maija's data twice (for her request, then with a typed purpose)
    and Matti's once, through the staff pages; returns Maija's open request's reference."""
    staff = log_in_staff(app.test_client(), demo_queue, ADMIN_EMAIL)
    ids, reference = _ids(app), _open_reference(app, MAIJA)
    for person, data in ((ids[MAIJA], {"reason": "request", "request_reference": reference}),
                         (ids[MAIJA], {"reason": "other", "note": "Tarkistin toimitusosoitteen"}),
                         (ids[MATTI], {"reason": "other", "note": "Matin tilauksen selvitys"})):
        path = f"/staff/customers/{person}"
        response = staff.post(path, data={"csrf_token": csrf_token(staff, path), **data})
        assert response.status_code == 302, data
    return reference


@pytest.fixture
def maija(client, looked_at):
    """Maija logged in just now, reading the portal in English."""
    AuthActions(client).login(MAIJA, DEMO_PASSWORD)
    switch_language(client, "en")
    return client


def _lookups_section(client):
    return BeautifulSoup(client.get("/account").get_data(as_text=True), "html.parser").find(id="lookups")


def test_my_data_lists_dates_and_purposes_newest_first_never_who(maija, looked_at):
    section = _lookups_section(maija)
    assert section is not None, "My data has no look-ups section"
    assert "When our staff have looked at your data" in section.get_text()
    rows = [[cell.get_text(strip=True) for cell in row.find_all("td")] for row in section.find_all("tr")[1:]]
    today = datetime.now(ZoneInfo("Europe/Helsinki")).date()
    shown_day = f"{today.day} {today.strftime('%b')} {today.year}"  # English: day month year
    assert rows == [[shown_day, "Tarkistin toimitusosoitteen"],
                    [shown_day, f"Handling your request {looked_at}"]]
    whole = page(maija.get("/account"))
    assert ADMIN_EMAIL not in whole and "Matin tilauksen selvitys" not in whole


def test_only_the_latest_twenty_are_listed_and_the_download_has_all(app, maija):
    person = _ids(app)[MAIJA]
    with app.app_context():
        staff = db.session.execute(select(User).where(User.email == ADMIN_EMAIL)).scalar_one()
        for number in range(20):
            record_lookup(db.session, staff, person, reason="billing", note=f"Lasku {number}")
        db.session.commit()
        db.session.remove()
    section = _lookups_section(maija)
    assert len(section.find_all("tr")) - 1 == 20
    assert "A question about billing or an invoice: Lasku 19" in section.get_text()
    assert "Only the latest 20 are shown here." in section.get_text()
    doc = json.loads(maija.get("/account/export.json").get_data())
    assert len(doc["staff_lookups"]) == 22


def test_a_customer_nobody_looked_at_is_told_so(client, demo):
    AuthActions(client).login(MAIJA, DEMO_PASSWORD)
    switch_language(client, "en")
    section = _lookups_section(client)
    assert "Our staff have not looked at your data." in section.get_text()
    assert section.find("table") is None


def test_the_download_gives_reason_reference_and_words_never_who(maija, looked_at):
    body = maija.get("/account/export.json").get_data()
    doc = json.loads(body)
    assert [(s["reason"], s["reference"], s["purpose"]) for s in doc["staff_lookups"]] == [
        ("request", looked_at, f"Handling your request {looked_at}"),
        ("other", None, "Tarkistin toimitusosoitteen")]
    assert ADMIN_EMAIL.encode() not in body and b"Matin tilauksen" not in body
