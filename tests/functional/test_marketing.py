"""The customer switches marketing prohibitions on and off; each switch works at once,
shows in the history and is audited."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from urllib.parse import urlsplit

import pyotp
import pytest
from sqlalchemy import select

from portal.demo import DEMO_PASSWORD, STAFF_EMAIL
from portal.extensions import db
from portal.models import AuditEvent, Customer, MarketingChange
from portal.services.marketing import set_prohibitions
from tests.conftest import AuthActions, csrf_token, post_form
from tests.functional.helpers import (
    MAIJA,
    MATTI,
    assert_finnish,
    audit_actions,
    page,
    switch_language,
)

PATH = "/account/marketing"


def _text(html: str) -> str:
    """Visible text with tags removed and whitespace collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def prohibited(app, email: str) -> set[str]:
    """The channels the customer with `email` has prohibited, read from the database."""
    with app.app_context():
        customer = db.session.execute(select(Customer).where(Customer.email == email)).scalar_one()
        channels = customer.prohibited_channels()
        db.session.remove()
    return channels


DEMO_HISTORY_END = datetime(2025, 1, 1, tzinfo=UTC)


def changes(app, email: str) -> list[tuple[str, bool, str]]:
    """The customer's recorded switches (channel, prohibited, changed_by), oldest first.

    Maija's demo prohibition of distance selling (from 2024) is left out: tests see only new switches.
    """
    with app.app_context():
        rows = db.session.execute(
            select(MarketingChange.channel, MarketingChange.prohibited, MarketingChange.changed_by)
            .join(Customer).where(Customer.email == email, MarketingChange.changed_at > DEMO_HISTORY_END)
            .order_by(MarketingChange.id)).all()
        db.session.remove()
    return [tuple(row) for row in rows]


def checked_boxes(html: str) -> set[str]:
    """The values of the ticked checkboxes on the page."""
    return set(re.findall(r'<input[^>]*\bchecked\b[^>]*value="([^"]+)"', html))


@pytest.fixture
def matti(client, auth, demo):
    """Matti (no prohibitions) logged in, page in English."""
    auth.login(MATTI, DEMO_PASSWORD)
    switch_language(client, "en")
    return client


@pytest.fixture
def maija(client, auth, demo):
    """Maija (distance selling prohibited) logged in, page in Finnish."""
    auth.login(MAIJA, DEMO_PASSWORD)
    switch_language(client, "fi")
    return client


def test_page_offers_a_checkbox_for_each_of_the_five_channels(matti):
    text = _text(page(matti.get(PATH)))
    for label, covers in [
        ("I prohibit direct advertising", "We send you advertisements by post"),
        ("I prohibit distance selling", "We call you or send you a message"),
        ("I prohibit other direct marketing", "such as newsletters and offers"),
        ("I prohibit market and opinion research", "to answer surveys"),
        ("I prohibit publishing my data in catalogues and on mailing labels", "mailing labels for"),
    ]:
        assert label in text and covers in text
    assert "Save choices" in text
    assert len(re.findall(r'type="checkbox"', page(matti.get(PATH)))) == 5


def test_existing_prohibition_is_ticked(maija):
    assert checked_boxes(page(maija.get(PATH))) == {"distance_selling"}


def test_prohibition_takes_effect_at_once_and_redirects_back(app, matti):
    response = post_form(matti, PATH, prohibited=["direct_advertising", "market_research"])
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == PATH
    assert prohibited(app, MATTI) == {"direct_advertising", "market_research"}
    shown = page(matti.get(PATH))
    assert "We will no longer use your data for direct advertising." in shown
    assert "We will no longer use your data for market and opinion research." in shown
    assert checked_boxes(shown) == {"direct_advertising", "market_research"}


def test_prohibition_can_be_lifted_again(app, matti):
    post_form(matti, PATH, prohibited=["catalogues"])
    response = post_form(matti, PATH)  # every box unticked
    assert response.status_code == 302
    assert prohibited(app, MATTI) == set()
    assert changes(app, MATTI) == [("catalogues", True, "customer"), ("catalogues", False, "customer")]
    shown = page(matti.get(PATH))
    assert "We may again publish your data in catalogues and on mailing labels." in shown
    assert checked_boxes(shown) == set()


def test_history_shows_each_change_newest_first_by_you(app, matti):
    post_form(matti, PATH, prohibited=["direct_marketing"])
    post_form(matti, PATH)
    text = _text(page(matti.get(PATH)))
    history = text[text.index("Change history"):]
    assert re.search(r"Direct marketing Allowed You .*Direct marketing Prohibited You", history)


def test_history_shows_staff_and_import_changes_as_customer_service(app, matti):
    with app.app_context():
        customer = db.session.execute(select(Customer).where(Customer.email == MATTI)).scalar_one()
        set_prohibitions(db.session, customer, {"distance_selling"}, changed_by="staff")
        set_prohibitions(db.session, customer, {"distance_selling", "catalogues"}, changed_by="import")
        db.session.commit()
        db.session.remove()
    text = _text(page(matti.get(PATH)))
    history = text[text.index("Change history"):]
    assert "Distance selling Prohibited Customer service" in history
    assert "Publication in catalogues and on mailing labels Prohibited Customer service" in history
    assert " You " not in history


def test_history_time_is_helsinki_time(app, matti):
    with app.app_context():
        customer = db.session.execute(select(Customer).where(Customer.email == MATTI)).scalar_one()
        db.session.add(MarketingChange(customer_id=customer.id, channel="catalogues", prohibited=True,
                                       changed_by="customer",
                                       changed_at=datetime(2026, 1, 15, 10, 5, tzinfo=UTC)))
        db.session.commit()
        db.session.remove()
    shown = page(matti.get(PATH))
    assert "15 Jan 2026, 12:05" in shown  # 10.05 UTC is 12.05 in Helsinki in winter


def test_finnish_page(app, maija):
    shown = page(maija.get(PATH))
    for msgid in ("I prohibit direct advertising", "I prohibit distance selling",
                  "I prohibit market and opinion research", "Save choices", "Change history",
                  "We call you or send you a message to offer our products."):
        assert_finnish(app, shown, msgid)
    assert_finnish(app, shown, "Marketing prohibitions")
    post_form(maija, PATH)
    shown = page(maija.get(PATH))
    assert_finnish(app, shown, "We may again use your data for distance selling.")
    assert_finnish(app, _text(shown), "You")
    assert_finnish(app, _text(shown), "Allowed")


def test_english_page(matti):
    text = _text(page(matti.get(PATH)))
    assert "Marketing prohibitions" in text
    assert "A prohibition takes effect as soon as you save it" in text
    assert "No changes yet." in text


def test_saving_twice_records_one_change(app, matti):
    post_form(matti, PATH, prohibited=["distance_selling"])
    post_form(matti, PATH, prohibited=["distance_selling"])
    assert changes(app, MATTI) == [("distance_selling", True, "customer")]
    assert audit_actions(app).count("marketing_changed") == 1
    assert "You made no changes." in page(matti.get(PATH))


def test_saving_with_nothing_changed_records_nothing(app, maija):
    before = audit_actions(app)
    post_form(maija, PATH, prohibited=["distance_selling"])
    assert changes(app, MAIJA) == []
    assert audit_actions(app) == before


@pytest.mark.parametrize("posted", [["bogus"], ["direct_advertising", "bogus"],
                                    ["direct_advertising", "distance_selling "]])
def test_unknown_channel_changes_nothing(app, maija, posted):
    response = post_form(maija, PATH, prohibited=posted)
    assert response.status_code == 400
    assert prohibited(app, MAIJA) == {"distance_selling"}
    assert changes(app, MAIJA) == []


def test_post_without_csrf_token_changes_nothing(app, matti):
    response = matti.post(PATH, data={"prohibited": ["direct_advertising"]})
    assert response.status_code == 400
    assert prohibited(app, MATTI) == set()


def test_each_change_is_audited_without_personal_values(app, matti):
    post_form(matti, PATH, prohibited=["direct_advertising", "catalogues"])
    post_form(matti, PATH, prohibited=["catalogues"])
    with app.app_context():
        events = db.session.execute(
            select(AuditEvent).where(AuditEvent.action == "marketing_changed")
            .order_by(AuditEvent.id)).scalars().all()
        customer_id = db.session.execute(
            select(Customer.id).where(Customer.email == MATTI)).scalar_one()
        found = [(e.actor_kind, e.customer_id, json.loads(e.details)) for e in events]
        db.session.remove()
    assert [(kind, cid, d["channel"], d["prohibited"]) for kind, cid, d in found] == [
        ("customer", customer_id, "direct_advertising", True),
        ("customer", customer_id, "catalogues", True),
        ("customer", customer_id, "direct_advertising", False),
    ]
    assert all("@" not in json.dumps(details) for _, _, details in found)


def test_page_is_not_cached(matti):
    assert matti.get(PATH).headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_anonymous_visitor_is_sent_to_log_in(app, client, demo, method):
    token = csrf_token(client, "/privacy")
    response = client.open(PATH, method=method, data={"csrf_token": token,
                                                      "prohibited": ["direct_advertising"]})
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/login"


def _log_in_staff(client, demo) -> None:
    """Log the demo reviewer in: password, then the code from the demo's TOTP key."""
    [staff] = [login for login in demo if login.email == STAFF_EMAIL]
    key = staff.note.rsplit(":", 1)[1].strip().replace("-", "")
    AuthActions(client).login(STAFF_EMAIL, DEMO_PASSWORD)
    token = csrf_token(client, "/privacy")
    response = client.post("/login/code", data={"code": pyotp.TOTP(key).now(), "csrf_token": token})
    assert response.status_code == 302 and "/login" not in response.headers["Location"]


def test_staff_get_403(app, client, demo):
    _log_in_staff(client, demo)
    assert client.get(PATH).status_code == 403
    token = csrf_token(client, "/privacy")
    response = client.post(PATH, data={"csrf_token": token, "prohibited": ["direct_advertising"]})
    assert response.status_code == 403
    assert "marketing_changed" not in audit_actions(app)
