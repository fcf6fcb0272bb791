"""`next` only ever leads to our own site: after log-in and after the language switch."""

from urllib.parse import urlsplit

import pytest

from portal.demo import DEMO_PASSWORD
from tests.conftest import csrf_token
from tests.functional.helpers import MAIJA

EVIL = ["https://evil.example/", "//evil.example/", "/\\evil.example/", "\\\\evil.example",
        "https:evil.example", "http:///evil.example", " //evil.example", "/%2F/evil.example"]


def _is_local(location: str) -> bool:
    """A (relative) URL on this site that no browser resolves to another host."""
    parts = urlsplit(location)
    return not parts.scheme and not parts.netloc and not location.startswith(("//", "/\\", "\\"))


@pytest.mark.parametrize("target", EVIL)
def test_login_next_never_leaves_the_site(client, auth, demo, target):
    response = auth.login(MAIJA, DEMO_PASSWORD, query_string={"next": target})
    location = response.headers.get("Location")
    assert location is None or _is_local(location), location


def test_login_next_to_own_page_is_followed(client, auth, demo):
    response = auth.login(MAIJA, DEMO_PASSWORD, query_string={"next": "/privacy"})
    assert response.headers["Location"].endswith("/privacy")


@pytest.mark.parametrize("target", EVIL)
def test_language_switch_next_never_leaves_the_site(client, demo, target):
    token = csrf_token(client, "/")
    response = client.post("/language/en", data={"csrf_token": token, "next": target})
    assert response.status_code == 302
    assert _is_local(response.headers["Location"]), response.headers["Location"]


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example"])
def test_language_switch_sends_foreign_next_to_the_front_page(client, demo, target):
    token = csrf_token(client, "/")
    response = client.post("/language/en", data={"csrf_token": token, "next": target})
    assert response.headers["Location"] == "/"


def test_language_switch_ignores_a_foreign_referrer_host(client, demo):
    token = csrf_token(client, "/")
    response = client.post("/language/en", data={"csrf_token": token},
                           headers={"Referer": "https://evil.example/phish"})
    assert _is_local(response.headers["Location"])


def test_language_switch_returns_to_the_page(client, demo):
    token = csrf_token(client, "/")
    response = client.post("/language/en", data={"csrf_token": token, "next": "/privacy?x=1"})
    assert response.headers["Location"] == "/privacy?x=1"


@pytest.mark.parametrize("target", ["/\r\nSet-Cookie: x=1", "/privacy\nLocation: //evil.example",
                                    "/\\evil.example", "/priv\x00acy"])
def test_language_switch_next_with_control_characters_goes_to_the_front_page(client, demo, target):
    """Found by the form fuzzer: a line break in `next` made the redirect header fail (500)."""
    token = csrf_token(client, "/privacy")
    response = client.post("/language/fi", data={"csrf_token": token, "next": target})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert "Set-Cookie: x" not in str(response.headers)
