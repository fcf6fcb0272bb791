"""Hostile input in any form never breaks the app or the page (ASVS 5.1.3, 5.1.4, 5.3.1, 7.4.1, 12.1.1).

Hypothesis fills every form with arbitrary Unicode (control characters, NUL, astral
characters, bidi marks), values up to the 2 MB request limit and beyond, missing and
duplicated fields and non-UTF-8 bodies. Never a 5xx, never a traceback, never markup
echoed unescaped. Rate limits are off so that every post reaches the form.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from urllib.parse import quote, urlsplit

import pytest
from bs4 import BeautifulSoup
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

from portal.demo import DEMO_PASSWORD, STAFF_EMAIL
from tests.conftest import AuthActions, post_form
from tests.functional.helpers import ANNA, MAIJA, link_in, page, sent_mail, translated

# Flask-Security 5.9 builds its two-step method choices as tuples, deprecated in WTForms 3.3.
pytestmark = pytest.mark.filterwarnings(
    "ignore:Passing SelectField choices as tuples:DeprecationWarning")

EXAMPLES = 30
MARKUP = ('<script>alert("fuzz")</script>', '"><img src=x onerror=alert(1)>')
SPECIALS = ("\x00", "\x07", "\x1b[2J", "\r\n", "\u202e", "\u200f", "\u2066", "\ufeff", "\u0301",
            "😀", "\U0001d54f", "\U0010fffd", "%00", "%ff", "../../", "' OR '1'='1", "{{7*7}}")
MAX_BODY = 2 * 1024 * 1024  # MAX_CONTENT_LENGTH
# Known troublemakers, tried in every field before Hypothesis takes over: NUL inside a real
# address (PostgreSQL refuses NUL in text), header injection and open redirects in `next`,
# look-alike and over-long addresses, a right password with trailing NULs.
KNOWN = [MAIJA + "\x00", "maija.meikalainen\x00@esimerkki.example", "\x00", "/\r\nSet-Cookie: x=1",
         "/\x00", "//evil.example", "a" * 300 + "@esimerkki.example", MAIJA.upper() + "\u200f",
         "ｍａｉｊａ.meikalainen@esimerkki.example", MAIJA + "\n", "123456\x00", "😀" * 64,
         ANNA + "\x00", "a@[127.0.0.1]", "\x00@\x00.fi", DEMO_PASSWORD + "\x00", MARKUP[0]]

# Any encodable code point (everything but lone surrogates), with the nasty ones mixed in.
texts = st.one_of(
    st.text(st.characters(codec="utf-8"), max_size=40),
    st.lists(st.sampled_from(SPECIALS + MARKUP) | st.text(max_size=4), max_size=6).map("".join),
)
# Long values, from a few kB to past the request limit once URL-encoded.
long_texts = st.builds(lambda unit, size: unit * (size // len(unit.encode()) or 1),
                       st.sampled_from(["a", "ä", "😀", "\x00", MARKUP[0]]),
                       st.integers(4_000, 1_100_000))
values = st.one_of(texts, texts, texts, long_texts)


@st.composite
def bodies(draw, fields: list[str]) -> list[tuple[str, str]]:
    """Form fields, each missing, once or repeated, plus maybe a field the form lacks."""
    pairs = []
    for name in fields:
        pairs += [(name, draw(values)) for _ in range(draw(st.sampled_from([0, 1, 1, 1, 2, 3])))]
    if draw(st.booleans()):
        pairs.append((draw(texts), draw(texts)))
    return pairs


raw_bodies = st.tuples(
    st.sampled_from(["application/x-www-form-urlencoded", "multipart/form-data; boundary=fuzz",
                     "multipart/form-data", "text/plain; charset=utf-8"]),
    st.binary(max_size=300) | st.lists(st.sampled_from(
        [b"\xff", b"\xfe", b"%ff", b"%c3%28", b"\xc3\x28", b"\xed\xa0\x80", b"=", b"&", b"--fuzz",
         b"\r\n", b"code=", b"email=", b"password=", b"\x00"]), max_size=20).map(b"".join),
)


@dataclass
class Target:
    """A form to fuzz: where it posts, its fields, and the client whose session it is in."""

    client: object
    action: str
    fields: list[str]
    token: str


def _form(html: str, action: str | None):
    """The form posting to `action` (None: the form without an action, posting to its page)."""
    for form in BeautifulSoup(html, "html.parser").find_all("form"):
        if form.get("action") == action:
            return form
    raise AssertionError(f"no form posting to {action!r}")


def _target(client, page_path: str, action: str | None, html: str | None = None) -> Target:
    """Read the form's fields and CSRF token from the page that shows it."""
    html = html or client.get(page_path).get_data(as_text=True)
    form = _form(html, action)
    names = sorted({tag["name"] for tag in form.find_all(["input", "select", "textarea", "button"])
                    if tag.get("name")} - {"csrf_token"})
    token = form.find("input", attrs={"name": "csrf_token"})["value"]
    return Target(client, action or page_path, names, token)


def _logged_in(app, email: str = MAIJA):
    client = app.test_client()
    assert AuthActions(client).login(email, DEMO_PASSWORD).status_code == 302
    return client


def _invitation(app):
    client = app.test_client()
    post_form(client, "/get-access", email=ANNA)
    path = link_in(sent_mail(app)[-1], "/activate/")
    return _target(client, path, None)


def _reset_link(app):
    client = app.test_client()
    post_form(client, "/reset", email=MAIJA)
    path = link_in(sent_mail(app)[-1], "/reset/")
    return _target(client, path, path)


def _end_sessions(app):
    _logged_in(app)  # another device, so that 'My data' offers to log it out
    return _target(_logged_in(app), "/account", "/account/sessions/end-others")


def _two_step_confirmation(app):
    client = _logged_in(app)
    start = _target(client, "/account/two-step", "/account/two-step")
    html = client.post("/account/two-step", data={"setup": "authenticator",
                                                   "csrf_token": start.token}).get_data(as_text=True)
    action = re.search(r'<form action="(/account/two-step/[^"]+)"', html).group(1)
    return _target(client, "", action, html)


def _staff_second_step(app, action: str):
    client = app.test_client()
    assert "/login/code" in AuthActions(client).login(STAFF_EMAIL, DEMO_PASSWORD).headers["Location"]
    return _target(client, "/login/code", action)


def _request_form(app, form: str):
    """A form on the page of an erasure request Maija has just made ("cancel" or "messages")."""
    client = _logged_in(app)
    new = _target(client, "/account/requests/new/erasure", None)
    filed = client.post(new.action, data={"csrf_token": new.token, "reply_contact": MAIJA})
    detail = filed.headers["Location"]
    return _target(client, detail, f"{detail}/{form}")


# Every form the portal shows, by the rule it posts to, and how to reach it.
TARGETS = {
    "/login": lambda app: _target(app.test_client(), "/login", "/login"),
    "/get-access": lambda app: _target(app.test_client(), "/get-access", None),
    "/reset": lambda app: _target(app.test_client(), "/reset", "/reset"),
    "/activate/<token>": _invitation,
    "/reset/<token>": _reset_link,
    "/language/<code>": lambda app: _target(_logged_in(app), "/account", "/language/en"),
    "/logout": lambda app: _target(_logged_in(app), "/account", "/logout"),
    "/account/sessions/end-others": _end_sessions,
    "/account/marketing": lambda app: _target(_logged_in(app), "/account/marketing", "/account/marketing"),
    "/account/requests/new/<kind>": lambda app: _target(_logged_in(app), "/account/requests/new/correction",
                                                        None),
    "/account/requests/<ref>/cancel": lambda app: _request_form(app, "cancel"),
    "/account/requests/<ref>/messages": lambda app: _request_form(app, "messages"),
    "/account/password": lambda app: _target(_logged_in(app), "/account/password", "/account/password"),
    "/account/two-step": lambda app: _target(_logged_in(app), "/account/two-step", "/account/two-step"),
    "/account/two-step/<token>": _two_step_confirmation,
    "/verify": lambda app: _target(_logged_in(app), "/verify", "/verify"),
    "/login/code": lambda app: _staff_second_step(app, "/login/code"),
    # Our code page links to /login/recovery instead of showing this library form; posts still reach it.
    "/login/code/help": lambda app: replace(_staff_second_step(app, "/login/code"), action="/login/code/help",
                                            fields=["help_setup"]),
    "/login/recovery": lambda app: _target(_staff_second_step(app, "/login/code").client, "/login/recovery",
                                           "/login/recovery"),
}


@pytest.fixture
def fuzz_app(app_config, request):
    """The app with the demo register and no rate limits."""
    app_config.RATELIMIT_ENABLED = False
    app = request.getfixturevalue("app")
    request.getfixturevalue("demo")
    return app


def _check(response, sent: list[str]) -> None:
    """No server error, no traceback, no markup from the input echoed as markup."""
    assert response.status_code < 500, f"{response.status_code} {response.request.path}"
    if response.mimetype == "application/zip":  # a download: nothing is echoed into it
        return
    body = response.get_data(as_text=True)
    assert "Traceback" not in body
    for value in sent:
        for markup in MARKUP:
            assert not (markup in value and markup in body), f"{markup!r} echoed unescaped"


def _fuzzed_path(action: str, segment: str | None) -> str:
    """`action` with its last path segment replaced by `segment` (for rules with a parameter)."""
    if segment is None:
        return action
    return action.rsplit("/", 1)[0] + "/" + quote(segment, safe="")


PARAMETRISED = {"/language/<code>", "/activate/<token>", "/reset/<token>", "/account/two-step/<token>"}


@pytest.mark.parametrize("rule", sorted(TARGETS))
def test_fuzzed_form_posts(fuzz_app, rule):
    target = TARGETS[rule](fuzz_app)
    assert target.fields or rule in ("/logout", "/account/sessions/end-others",
                                     "/account/requests/<ref>/cancel")
    failures = []
    for value in KNOWN:
        data = {"csrf_token": target.token, **{name: value for name in target.fields}}
        try:
            _check(target.client.post(target.action, data=data), [value])
        except AssertionError as error:
            failures.append(f"{value!r}: {str(error).splitlines()[0]}")
    assert not failures, "\n".join(failures)
    segments = st.none() | st.none() | (texts if rule in PARAMETRISED else st.none())

    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(pairs=bodies(target.fields), segment=segments,
           with_token=st.sampled_from([True] * 9 + [False]))  # shrinks towards a valid token
    def post(pairs, segment, with_token):
        token = [("csrf_token", target.token)] if with_token else []
        response = target.client.post(_fuzzed_path(target.action, segment),
                                      data=MultiDict(token + pairs))
        _check(response, [value for _, value in pairs])

    post()


@pytest.mark.parametrize("rule", ["/login", "/get-access", "/reset", "/account/password", "/login/code"])
def test_non_utf8_and_malformed_bodies(fuzz_app, rule):
    target = TARGETS[rule](fuzz_app)

    @settings(max_examples=EXAMPLES, deadline=None, database=None)
    @given(body=raw_bodies)
    def post(body):
        content_type, raw = body
        prefix = f"csrf_token={target.token}&".encode() if "urlencoded" in content_type else b""
        response = target.client.post(target.action, data=prefix + raw, content_type=content_type)
        _check(response, [])

    post()


@pytest.mark.parametrize("rule", sorted(TARGETS))
def test_megabyte_values_are_handled_and_a_body_over_the_limit_gets_the_413_page(fuzz_app, rule):
    target = TARGETS[rule](fuzz_app)
    big = "ä" * (1024 * 1024 // 6 // max(1, len(target.fields)))  # 1 MB once URL-encoded
    response = target.client.post(target.action, data={
        "csrf_token": target.token, **{name: big for name in target.fields}})
    assert response.status_code != 413 and response.status_code < 500, response.status_code
    assert "Traceback" not in page(response)
    response = target.client.post(target.action, data={
        "csrf_token": target.token, **{name: "a" for name in target.fields}, "pad": "x" * MAX_BODY})
    assert response.status_code == 413
    shown = page(response)
    assert "Traceback" not in shown
    # In the visitor's language: the language switch may just have chosen English.
    assert translated(fuzz_app, "The upload is too large", "fi") in shown or (
        "The upload is too large" in shown and '<html lang="en">' in shown)


@pytest.mark.parametrize("rule", ["/login", "/get-access", "/reset"])
def test_markup_in_an_echoed_address_is_escaped(fuzz_app, rule):
    target = TARGETS[rule](fuzz_app)
    value = "x" + MARKUP[0] + MARKUP[1] + "@esimerkki.example"
    response = target.client.post(target.action, data={
        "csrf_token": target.token, "email": value, "password": "x"})
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert value in page(response), "the address is not shown back: nothing to check"
    for markup in MARKUP:
        assert markup not in body


def _path(rule) -> str:
    """A concrete path for `rule`: 'en' for a language code, '1' for any other argument."""
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", lambda m: "en" if m.group(1) == "code" else "1", rule.rule)


def test_fuzzed_query_strings_on_every_page(fuzz_app):
    clients = [fuzz_app.test_client(), _logged_in(fuzz_app)]
    paths = sorted({_path(rule) for rule in fuzz_app.url_map.iter_rules()
                    if "GET" in rule.methods and "static" not in rule.endpoint})

    @settings(max_examples=EXAMPLES, deadline=None, database=None)
    @given(path=st.sampled_from(paths), who=st.sampled_from(clients),
           query=st.lists(st.tuples(texts, texts), max_size=3))
    def get(path, who, query):
        response = who.get(path, query_string=MultiDict(query))
        _check(response, [value for pair in query for value in pair])

    get()


def _forms_on_every_page(app) -> set[str]:
    """The rule each form posts to, over every page anonymous, customer and staff visitors see."""
    found = set()
    visitors = [app.test_client(), _logged_in(app), _staff_second_step(app, "/login/code").client]
    for client in visitors:
        for rule in app.url_map.iter_rules():
            if "GET" not in rule.methods or "static" in rule.endpoint:
                continue
            response = client.get(_path(rule))
            if response.mimetype != "text/html":  # downloads (JSON, ZIP) hold no forms
                continue
            for form in BeautifulSoup(response.get_data(as_text=True), "html.parser").find_all("form"):
                action = urlsplit(form.get("action") or _path(rule)).path
                found.add(_rule_of(app, action))
    return found


def _rule_of(app, path: str) -> str:
    """The rule string a POST to `path` matches."""
    rule, _ = app.url_map.bind("localhost").match(path, method="POST", return_rule=True)
    return rule.rule


def test_every_form_is_fuzzed(fuzz_app):
    shown = _forms_on_every_page(fuzz_app)
    assert "/login" in shown
    assert shown <= TARGETS.keys(), f"forms not fuzzed: {sorted(shown - TARGETS.keys())}: add to TARGETS"
