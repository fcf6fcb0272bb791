"""The public privacy statement and the front page promise only what the portal does, and link to it."""

import re

import pytest
from flask import url_for

from portal.demo import DEMO_PASSWORD
from tests.functional.helpers import MAIJA, page, switch_language, translated

DEADLINE = ("We answer your request without undue delay and at the latest within one month of receiving "
            "it. If the request is complex or there are many requests, we can extend the deadline by up "
            "to two more months. We then tell you within the first month that we need more time, and why.")


def _text(html: str) -> str:
    """Visible text with tags removed and whitespace collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def _section(html: str, ident: str) -> str:
    match = re.search(rf'<section id="{ident}"[^>]*>(.*?)</section>', html, re.S)
    assert match, f"no section#{ident}"
    return match.group(1)


def _statement(client, lang: str) -> str:
    switch_language(client, lang, "/privacy")
    return page(client.get("/privacy"))


@pytest.fixture
def rights_en(client, demo):
    """The rights section of the English statement, as HTML."""
    return _section(_statement(client, "en"), "rights")


def _link_after(rights_html: str, term: str) -> str:
    """The href of the first link in the description of `term` (its <dd>)."""
    match = re.search(rf"<dt>{re.escape(term)}</dt>\s*<dd>(.*?)</dd>", rights_html, re.S)
    assert match, f"no right called {term!r}"
    link = re.search(r'<a href="([^"]+)"', match.group(1))
    assert link, f"{term!r} links nowhere"
    return link.group(1)


def test_each_right_links_to_the_page_that_does_it(app, rights_en):
    with app.test_request_context():
        expected = {
            "Right of access": url_for("account.my_data"),
            "Right to data portability": url_for("account.export"),
            "Right to rectification": url_for("account.new_request", kind="correction"),
            "Right to erasure": url_for("account.new_request", kind="erasure"),
            "Right to restriction of processing": url_for("account.new_request", kind="restriction"),
            "Right to object": url_for("account.new_request", kind="objection"),
            "Right to prohibit direct marketing": url_for("account.marketing"),
        }
    assert {term: _link_after(rights_en, term) for term in expected} == expected


def test_links_of_the_rights_lead_to_pages_after_log_in(app, client, auth, demo):
    rights = _section(_statement(client, "en"), "rights")
    links = set(re.findall(r'<a href="(/account[^"]*)"', rights))
    for link in links:  # logged out: each asks for a log-in, none is missing
        assert client.get(link).status_code == 302, link
    auth.login(MAIJA, DEMO_PASSWORD)
    for link in sorted(links):
        assert client.get(link).status_code in (200, 302), link
    assert client.get("/account/requests").status_code == 200


def test_deadline_and_extension_are_explained(rights_en):
    text = _text(rights_en)
    assert DEADLINE in text
    assert "We answer every request within one month." not in text


def test_deadline_and_extension_in_finnish(app, client, demo):
    text = _text(_section(_statement(client, "fi"), "rights"))
    assert translated(app, DEADLINE) in text
    assert translated(app, "Right of access") == "Tarkastusoikeus" and "Tarkastusoikeus" in text


def test_requests_page_and_ombudsman_are_named(app, rights_en):
    text = _text(rights_en)
    with app.test_request_context():
        assert f'href="{url_for("account.requests")}"' in rights_en
    assert "you can take the matter to the Data Protection Ombudsman" in text


def test_correction_promises_to_inform_recipients_only(rights_en):
    text = _text(rights_en)
    assert "we inform those to whom we have disclosed it" in text
    assert "from whom we got the data" not in text  # sources are not notified by the portal


def test_data_content_lists_fields_mid_sentence_in_lower_case(client, demo):
    text = _text(_section(_statement(client, "en"), "content"))
    assert "first name, last name, email address, phone number" in text
    assert "IP address, other technical data" in text


def test_data_content_in_finnish_without_capitals_mid_sentence(client, demo):
    text = _text(_section(_statement(client, "fi"), "content"))
    assert "etunimi, sukunimi, sähköpostiosoite, puhelinnumero" in text
    assert "organisaatio, tehtävänimike, Y-tunnus, verkkosivusto" in text
    assert "Etunimi, Sukunimi" not in text


def test_disclosures_point_to_my_data(app, client, demo):
    html = _section(_statement(client, "en"), "disclosures")
    assert "When you log in, you see each disclosure of your data on the My data page." in _text(html)
    with app.test_request_context():
        assert f'href="{url_for("account.my_data", _anchor="disclosures")}"' in html


def test_front_page_lists_what_the_portal_does(client, demo):
    switch_language(client, "en")
    text = _text(page(client.get("/")))
    assert "You can also download your data, ask us to correct or erase it, and prohibit marketing." in text


def test_front_page_welcomes_a_logged_in_customer_by_name(app, client, auth, demo):
    auth.login(MAIJA, DEMO_PASSWORD)
    switch_language(client, "fi")
    html = page(client.get("/"))
    assert translated(app, "Welcome, %(name)s", name="Maija") in _text(html)
    assert translated(app, "Are you our customer?") not in _text(html)
    with app.test_request_context():
        assert f'href="{url_for("account.requests")}"' in html
