"""Security headers on every page, cookie flags, HTTPS mode, and no caching of personal pages."""

import re

import pytest

from portal.config import Config
from portal.demo import DEMO_PASSWORD
from portal.extensions import db
from tests.conftest import CSRF_RE
from tests.factories import PASSWORD, UserFactory
from tests.functional.helpers import MAIJA

PAGES = ["/", "/privacy", "/login", "/get-access", "/reset", "/account", "/no-such-page", "/healthz"]


def _csp(response) -> dict[str, str]:
    policy = response.headers.get("Content-Security-Policy", "")
    directives = (part.strip().split(None, 1) for part in policy.split(";") if part.strip())
    return {d[0]: d[1] if len(d) > 1 else "" for d in directives}


@pytest.fixture
def logged_in(client, auth, demo):
    """A client logged in as Maija."""
    auth.login(MAIJA, DEMO_PASSWORD)
    return client


@pytest.fixture
def https_client(app_config, request, production_env):
    """A client of an app with the production defaults for HTTPS and cookies."""
    production = Config()
    for name in ("PORTAL_HTTPS", "SESSION_COOKIE_SECURE", "SESSION_COOKIE_NAME",
                 "REMEMBER_COOKIE_SECURE", "PREFERRED_URL_SCHEME"):
        setattr(app_config, name, getattr(production, name))
    app = request.getfixturevalue("app")
    request.getfixturevalue("demo")
    return app.test_client()


def _https(client, method: str, path: str, **kwargs):
    return client.open(path, method=method, base_url="https://localhost", **kwargs)


@pytest.mark.parametrize("path", PAGES)
def test_content_security_policy(logged_in, path):
    csp = _csp(logged_in.get(path))
    assert csp.get("default-src") == "'self'"
    assert csp.get("frame-ancestors") == "'none'"
    assert csp.get("base-uri") == "'none'"
    assert "'unsafe-inline'" not in " ".join(csp.values())


@pytest.mark.parametrize("path", PAGES)
def test_other_security_headers(logged_in, path):
    headers = logged_in.get(path).headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    # Same-origin: our own forms get the Referer Flask-WTF's HTTPS check needs; no other site does.
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["X-Frame-Options"] == "DENY"


def test_session_cookie_is_httponly_and_lax(client, auth, demo):
    auth.login(MAIJA, DEMO_PASSWORD)
    cookie = client.get_cookie("portal_session")
    assert cookie.http_only
    assert cookie.same_site == "Lax"


def _referer_a_browser_sends(page_response, page_url: str) -> dict[str, str]:
    """The Referer a browser adds to a same-site form post from `page_url`, per its policy."""
    policy = page_response.headers.get("Referrer-Policy", "strict-origin-when-cross-origin")
    return {} if policy == "no-referrer" else {"Referer": page_url}


def _browser_login_over_https(client):
    """Log in as a browser would over HTTPS: the Referer only if the page's policy lets it go."""
    shown = _https(client, "GET", "/login")
    token = CSRF_RE.search(shown.get_data(as_text=True)).group(1)
    return _https(client, "POST", "/login",
                  headers=_referer_a_browser_sends(shown, "https://localhost/login"),
                  data={"email": MAIJA, "password": DEMO_PASSWORD, "csrf_token": token})


def test_forms_work_over_https_with_the_referer_our_policy_lets_browsers_send(https_client):
    response = _browser_login_over_https(https_client)
    assert response.status_code == 302, "the log-in form cannot be posted over HTTPS"
    assert _https(https_client, "GET", "/account").status_code == 200


def test_https_form_post_without_any_referer_is_refused(https_client):
    """The strict HTTPS CSRF check stays on: a post that names no origin is refused."""
    shown = _https(https_client, "GET", "/login")
    token = CSRF_RE.search(shown.get_data(as_text=True)).group(1)
    response = _https(https_client, "POST", "/login",
                      data={"email": MAIJA, "password": DEMO_PASSWORD, "csrf_token": token})
    assert response.status_code == 400


def test_session_cookie_is_secure_over_https(https_client):
    response = _browser_login_over_https(https_client)
    assert response.status_code == 302
    cookie = https_client.get_cookie("__Host-portal_session")
    assert cookie is not None
    assert cookie.secure and cookie.http_only
    assert cookie.path == "/" and cookie.origin_only  # host-only: no Domain attribute


def test_https_mode_sends_hsts(https_client):
    response = _https(https_client, "GET", "/")
    assert response.status_code == 200
    assert "max-age=31536000" in response.headers["Strict-Transport-Security"]


def test_https_mode_redirects_plain_http(https_client):
    response = https_client.get("/privacy", base_url="http://localhost")
    assert response.status_code in (301, 302)
    assert response.headers["Location"].startswith("https://")


def test_my_data_is_not_cached(logged_in):
    response = logged_in.get("/account")
    assert response.status_code == 200
    assert "no-store" in response.headers["Cache-Control"]


def test_login_page_keeps_no_copy_of_a_failed_attempt(client, auth, demo):
    """The page echoing the typed address is not stored by the browser or a proxy."""
    response = auth.login(MAIJA, "Vaara-salasana-123")
    assert "no-store" in response.headers.get("Cache-Control", "")


CACHE_DIRECTIVE = re.compile(r"^[a-z-]+(=\d+)?$")


def _assert_valid_no_store(response, path: str) -> None:
    value = response.headers.get("Cache-Control", "")
    directives = [d.strip() for d in value.split(",") if d.strip()]
    assert "no-store" in directives, f"{path}: {value!r}"
    assert all(CACHE_DIRECTIVE.match(d) for d in directives), f"{path}: malformed {value!r}"


@pytest.mark.parametrize("who", ["customer", "new staff member at first log-in"])
def test_two_step_setup_page_showing_the_secret_sends_a_valid_no_store(app, client, auth, demo, who):
    """Flask-Security's default rendered as 'private=True, no-store=True' on this page."""
    if who == "customer":
        auth.login(MAIJA, DEMO_PASSWORD)
    else:
        with app.app_context():
            UserFactory(customer=None, email="uusi.kasittelija@esimerkki.example", roles=["reviewer"])
            db.session.commit()
            db.session.remove()
        auth.login("uusi.kasittelija@esimerkki.example", PASSWORD)  # not logged in until set up
    token = CSRF_RE.search(client.get("/account/two-step").get_data(as_text=True)).group(1)
    shown = client.post("/account/two-step", data={"setup": "authenticator", "csrf_token": token})
    assert shown.status_code == 200
    assert 'name="two_factor_verify_code_form"' in shown.get_data(as_text=True)  # key and QR shown
    _assert_valid_no_store(shown, "/account/two-step (secret shown)")


@pytest.mark.parametrize("path", [*PAGES, "/account/two-step", "/account/password", "/login/code"])
def test_every_page_sends_one_valid_no_store(logged_in, path):
    _assert_valid_no_store(logged_in.get(path), path)


def test_static_files_may_be_cached(client):
    response = client.get("/static/portal.css")
    assert response.status_code == 200
    assert "no-store" not in response.headers.get("Cache-Control", "")


def test_headers_built_once_per_endpoint_match_flask_talismans_own(client, demo):
    """The cached headers are Flask-Talisman's: the same on the first answer and the tenth, and
    each endpoint keeps its own (the logo's stricter policy never leaks onto a page)."""
    from flask_talisman import Talisman

    from portal.extensions import talisman

    names = ("Content-Security-Policy", "X-Frame-Options", "Referrer-Policy", "Permissions-Policy")
    from portal.main.brand import LOGO_POLICY
    from portal.services import branding

    pages = ("/", branding.LOGO_PATH, "/brand/theme.css", "/privacy")
    first = {path: client.get(path) for path in pages}  # the logo: 404, with its own policy
    for _ in range(3):
        for path, answer in first.items():
            again = client.get(path)
            assert [again.headers.get(n) for n in names] == [answer.headers.get(n) for n in names]
    assert _csp(first["/"]) == _csp(first["/privacy"])
    logo_policy = _csp(first[branding.LOGO_PATH])
    assert logo_policy != _csp(first["/"])
    assert logo_policy == {"default-src": "'none'", "style-src": "'unsafe-inline'", "sandbox": ""}
    assert LOGO_POLICY.startswith("default-src 'none'")
    with client.application.test_request_context("/privacy"):
        client.application.preprocess_request()
        plain = client.application.response_class("x")
        Talisman._set_response_headers(talisman, plain)  # the library's own, uncached
    for name in names:
        assert first["/privacy"].headers.get(name) == plain.headers.get(name), name


def test_hsts_follows_each_request_not_the_first_one_cached(https_client):
    """One endpoint answered over HTTPS and then over plain HTTP in the same app."""
    secure = _https(https_client, "GET", "/healthz")
    assert "Strict-Transport-Security" in secure.headers
    plain = https_client.get("/healthz", base_url="http://localhost")
    assert "Strict-Transport-Security" not in plain.headers
    assert "Strict-Transport-Security" in _https(https_client, "GET", "/healthz").headers
