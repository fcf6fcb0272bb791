"""Weak passwords (common, personal, trivial) are refused wherever a password is set (ASVS 2.1.7)."""

import hashlib

import pytest
from sqlalchemy import func, select

from portal.auth.passwords import (
    common_passwords,
    contains_personal_info,
    is_common,
    is_trivial,
    personal_parts,
)
from portal.demo import DEMO_PASSWORD
from portal.extensions import db
from portal.models import User
from tests.conftest import AuthActions, csrf_token, post_form, set_password_form
from tests.functional.helpers import ANNA, MATTI, audit_actions, link_in, page, sent_mail, translated

COMMON = "This password is too common and easy to guess. Choose a longer phrase of your own."
PERSONAL = "Don't use your name or email address in your password."
TRIVIAL = "Avoid repeated characters and sequences like aaaa, 1234 or qwerty."
TOO_LONG = "Your password can be at most %(n)d characters long."
OWN_EMAIL = object()  # stands for the address of the account being set
PASSPHRASE = "pieni kettu hyppää aidan yli"
LONGEST = hashlib.sha512(b"portal").hexdigest()  # 128 characters, nothing trivial in them
STAFF = "uusi.kasittelija@esimerkki.example"
# Every password the test suite sets or logs in with must stay acceptable.
SUITE_PASSWORDS = [
    DEMO_PASSWORD, "Kolme-sanaa-perakkain-42", "Uusi-pitka-salasana-2026", "Unohtunut-salasana-uusi-5",
    "Kuusi-koivua-rannalla-7", "Toinen-salasana-1234", "Kuusitie-kirjahylly-2026",
    "Pitka-ja-hyva-salasana-77", "Jotain-aivan-muuta-99", "Toinen-pitka-salasana-1",
    "Vaara-salasana-123", "Vaara-salasana-456", PASSPHRASE, LONGEST,
]


@pytest.fixture
def english(client):
    """The browser asks for English pages."""
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def _password_of(app, email: str):
    with app.app_context():
        value = db.session.execute(select(User.password).where(User.email == email)).scalar_one_or_none()
        db.session.remove()
    return value


def _activate(app, client, email: str, password: str):
    """Ask for an invitation and set the first password from its link."""
    post_form(client, "/get-access", email=email)
    return set_password_form(client, link_in(sent_mail(app)[-1], "/activate/"), password)


def _reset(app, client, email: str, password: str):
    """Ask for a reset link and set a new password from it."""
    post_form(client, "/reset", email=email)
    return set_password_form(client, link_in(sent_mail(app)[-1], "/reset/"), password)


def _change(app, client, email: str, password: str):
    """Log in and change the password on the account page."""
    AuthActions(client).login(email, DEMO_PASSWORD)
    token = csrf_token(client, "/account/password")
    return client.post("/account/password", data={
        "password": DEMO_PASSWORD, "new_password": password, "new_password_confirm": password,
        "csrf_token": token})


# Anna has no password yet; Matti has one and reads English.
PLACES = {"activation": (ANNA, _activate), "reset": (MATTI, _reset), "change": (MATTI, _change)}


def _can_log_in(app, email: str, password: str) -> bool:
    return AuthActions(app.test_client()).login(email, password).status_code == 302


def _nothing_changed(app, place: str, email: str) -> bool:
    """The account is as before: not activated, or the old password still works."""
    if place == "activation":
        return _password_of(app, email) is None
    actions = audit_actions(app)
    return (_can_log_in(app, email, DEMO_PASSWORD)
            and "password_changed" not in actions and "password_reset" not in actions)


@pytest.mark.parametrize("place", PLACES)
@pytest.mark.parametrize(("password", "message"), [
    ("password1234", COMMON), ("123456789012", TRIVIAL), (OWN_EMAIL, PERSONAL)],
    ids=["common", "sequence", "own-email"])
def test_weak_password_is_refused_with_a_reason_and_changes_nothing(app, english, demo, place,
                                                                     password, message):
    email, set_password = PLACES[place]
    password = email if password is OWN_EMAIL else password
    response = set_password(app, english, email, password)
    assert response.status_code == 200
    assert message in page(response)
    assert _nothing_changed(app, place, email)


@pytest.mark.parametrize("place", PLACES)
def test_passphrase_with_spaces_and_unicode_is_accepted(app, english, demo, place):
    email, set_password = PLACES[place]
    response = set_password(app, english, email, PASSPHRASE)
    assert response.status_code == 302
    assert _can_log_in(app, email, PASSPHRASE)


def test_customers_name_is_refused_at_change(app, english, demo):
    response = _change(app, english, MATTI, "Virtanen kesällä 2026")
    assert PERSONAL in page(response)
    assert _nothing_changed(app, "change", MATTI)


def test_128_characters_are_accepted(app, english, demo):
    assert _activate(app, english, ANNA, LONGEST).status_code == 302
    assert _can_log_in(app, ANNA, LONGEST)


def test_129_characters_are_refused_not_cut(app, english, demo):
    response = _activate(app, english, ANNA, LONGEST + "x")
    assert TOO_LONG % {"n": 128} in page(response)
    assert _password_of(app, ANNA) is None


def _staff_count(app) -> int:
    with app.app_context():
        query = select(func.count()).select_from(User).where(User.email == STAFF)
        count = db.session.execute(query).scalar_one()
        db.session.remove()
    return count


@pytest.mark.parametrize(("password", "message"), [
    ("Password2026!", COMMON), ("Kasittelija-syksy-26", PERSONAL)], ids=["common", "address"])
def test_create_staff_refuses_a_weak_password(app, runner, password, message):
    result = runner.invoke(args=["create-staff", STAFF], input=f"{password}\n{password}\n")
    assert result.exit_code != 0
    assert translated(app, message, locale=app.config["BABEL_DEFAULT_LOCALE"]) in result.output
    assert _staff_count(app) == 0


def test_common_list_is_bundled_with_tens_of_thousands_of_entries():
    words = common_passwords()
    assert len(words) >= 20_000
    assert {"password", "qwerty", "iloveyou", "salasana"} <= words
    assert all(w == w.lower() for w in words)


@pytest.mark.parametrize("password", [
    "password1234", "Password2026!", "qwerty123456", "2026password!!", "p@ssw0rd2026", "PASSWORD-1234",
    "qwerty123456789", "leave me alone"])
def test_common_password_with_digits_or_symbols_around_it_is_common(password):
    assert is_common(password)


@pytest.mark.parametrize("password", [
    "my password is long enough", "dragon 8392-5821-1937", "correct horse battery staple", *SUITE_PASSWORDS])
def test_passphrase_containing_a_common_word_is_not_common(password):
    assert not is_common(password)


@pytest.mark.parametrize("password", [
    "aaaaaaaaaaaa", "abababababab", "123456789012", "abcdefghijkl", "qwertyuiopas", "0987654321ab",
    "LKJHGFDSAPOI", "1111 2222 3333", "koira koira!", "zyxwvutsrqpo"])
def test_repeats_and_sequences_are_trivial(password):
    assert is_trivial(password)


@pytest.mark.parametrize("password", SUITE_PASSWORDS)
def test_the_suites_passwords_pass_every_check(password):
    parts = personal_parts([MATTI, ANNA], ["Matti", "Virtanen", "Anna", "Testinen"])
    assert not is_common(password)
    assert not is_trivial(password)
    assert not contains_personal_info(password, parts)


@pytest.mark.parametrize("password", [
    "maija.meikalainen@esimerkki.example", "MEIKALAINEN-kesa-2026", "Meikäläinen talvella",
    "kesa-maija-2026"])
def test_name_or_address_in_the_password_is_personal(password):
    parts = personal_parts(["maija.meikalainen@esimerkki.example"], ["Maija", "Meikäläinen"])
    assert contains_personal_info(password, parts)


def test_short_name_counts_at_the_start_of_a_word_only():
    parts = personal_parts([ANNA], ["Anna", "Testinen"])
    assert contains_personal_info("Annalle kukkia 2026", parts)
    assert contains_personal_info("2026anna-kukkia", parts)
    assert not contains_personal_info("Kuusi-koivua-rannalla-7", parts)


def test_name_parts_shorter_than_three_characters_are_ignored():
    parts = personal_parts(["li@esimerkki.example"], ["Li", "Oy"])
    assert parts == {"li@esimerkki.example"}
    assert not contains_personal_info("Oikea-lintu-lentaa-Oyn-yli", parts)
