"""Links in email come from PORTAL_BASE_URL; an untrusted Host is refused; no forwarded host is trusted."""

import pytest

from portal.config import Config, ConfigError
from tests.conftest import CSRF_RE, csrf_token
from tests.functional.helpers import MAIJA, link_in, page, sent_mail

EVIL = "evil.example"


def _ask_reset(client, base_url: str = "http://localhost", **headers):
    shown = client.get("/reset", base_url=base_url)
    token = CSRF_RE.search(shown.get_data(as_text=True)).group(1)
    return client.post("/reset", data={"email": MAIJA, "csrf_token": token}, headers=headers,
                       base_url=base_url)


def test_untrusted_host_gets_our_400_page_and_changes_nothing(app, client, demo):
    token = csrf_token(client, "/reset")
    response = client.post("/reset", data={"email": MAIJA, "csrf_token": token},
                           headers={"Host": EVIL})
    assert response.status_code == 400
    shown = page(response)
    assert "Traceback" not in shown and EVIL not in shown
    assert 'lang="' in shown and "portal.css" in shown  # our own layout
    assert sent_mail(app) == []


@pytest.mark.parametrize("header", ["X-Forwarded-Host", "X-Forwarded-Server", "Forwarded"])
def test_forwarded_host_never_reaches_the_reset_link(app_config, request, header):
    app_config.PORTAL_PROXY_COUNT = 1
    app_config.PORTAL_BASE_URL = "https://tietosuoja.esimerkki.example"
    app_config.TRUSTED_HOSTS = ["localhost", "tietosuoja.esimerkki.example"]
    app = request.getfixturevalue("app")
    request.getfixturevalue("demo")
    client = app.test_client()
    value = f"host={EVIL}" if header == "Forwarded" else EVIL
    _ask_reset(client, **{header: value})
    [message] = sent_mail(app)
    assert EVIL not in message.body and EVIL not in str(message.alternatives)
    assert "https://tietosuoja.esimerkki.example/reset/" in message.body


def test_a_trusted_alias_host_still_mails_the_public_address(app_config, request):
    app_config.PORTAL_BASE_URL = "https://tietosuoja.esimerkki.example"
    app_config.TRUSTED_HOSTS = ["portal.internal", "tietosuoja.esimerkki.example"]
    app = request.getfixturevalue("app")
    request.getfixturevalue("demo")
    _ask_reset(app.test_client(), base_url="http://portal.internal")
    [message] = sent_mail(app)
    assert link_in(message, "/reset/").startswith("/reset/")
    assert "https://tietosuoja.esimerkki.example/reset/" in message.body
    assert "portal.internal" not in message.body


def test_production_refuses_to_start_without_a_base_url(production_env):
    production_env.delenv("PORTAL_BASE_URL")
    with pytest.raises(ConfigError, match="PORTAL_BASE_URL"):
        Config()


def test_production_trusts_only_the_base_url_host(production_env):
    production_env.setenv("PORTAL_BASE_URL", "https://tietosuoja.esimerkki.example/")
    config = Config()
    assert config.TRUSTED_HOSTS == ["tietosuoja.esimerkki.example"]
    assert config.PORTAL_BASE_URL == "https://tietosuoja.esimerkki.example"
