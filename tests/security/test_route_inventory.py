"""Every URL rule is classified by who may use it, and the classification holds (ASVS 4.1.3, 4.1.5).

A rule that is not in ROUTES fails the first test: classify it here when you add it.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pyotp
import pytest

from portal.demo import DEMO_PASSWORD, STAFF_EMAIL
from tests.conftest import AuthActions, csrf_token
from tests.functional.helpers import MAIJA, page

# Flask-Security 5.9 builds its method choices as tuples, deprecated in WTForms 3.3.
pytestmark = pytest.mark.filterwarnings(
    "ignore:Passing SelectField choices as tuples:DeprecationWarning")

PUBLIC = "public"  # anyone, anonymously
TOKEN = "token"  # anyone holding a valid emailed link; a made-up token gets no form
LOGIN_STEP = "login step"  # only between the password and the second step of a log-in
SIGNED_IN = "signed in"  # any logged-in user, staff included: their own log-in settings
CUSTOMER = "customer"  # logged-in customers with a register entry; staff get 403
STAFF = "staff"  # staff roles only; customers get 403
API_KEY = "api key"  # the company's systems, by API key with a scope; any browser session gets 401

ROUTES: dict[str, tuple[str, str]] = {
    "/": (PUBLIC, "front page: what the portal is and how to get in"),
    "/privacy": (PUBLIC, "the privacy statement must be readable by anyone (GDPR Art 13)"),
    "/healthz": (PUBLIC, "load balancer liveness check; says only ok/unavailable"),
    "/static/<path:filename>": (PUBLIC, "our CSS and images"),
    "/fs-static/<path:filename>": (PUBLIC, "Flask-Security's bundled JS (WebAuthn, unused); no data"),
    "/login": (PUBLIC, "the log-in form"),
    "/logout": (PUBLIC, "POST only; ends the caller's own session, anonymous callers land on /"),
    "/get-access": (PUBLIC, "ask for an invitation; same answer for known and unknown addresses"),
    "/reset": (PUBLIC, "ask for a password reset link; same answer for any address"),
    "/language/<code>": (PUBLIC, "POST only; the language switch on every page"),
    "/activate/<token>": (TOKEN, "set the first password from an invitation link"),
    "/reset/<token>": (TOKEN, "set a new password from a reset link"),
    "/account/confirm-email/<token>": (TOKEN, "confirm a correction's new email address; works logged out"),
    "/login/code": (LOGIN_STEP, "enter the authenticator code after the password"),
    "/login/code/help": (LOGIN_STEP, "lost-authenticator help during the second step"),
    "/login/method": (LOGIN_STEP, "choose the second-step method during log-in"),
    "/verify": (SIGNED_IN, "re-enter the password before sensitive changes (freshness)"),
    "/account/password": (SIGNED_IN, "change one's own password (staff too)"),
    "/account/two-step": (SIGNED_IN, "set up TOTP; staff must do it before getting in"),
    "/account/recovery-codes": (SIGNED_IN, "show or renew one's own one-time recovery codes (fresh log-in)"),
    "/login/recovery": (LOGIN_STEP, "use a one-time recovery code instead of the authenticator code"),
    "/account/two-step/<token>": (SIGNED_IN, "POST only; confirm the TOTP set-up with a code"),
    "/account": (CUSTOMER, "'My data': the register entry of the logged-in customer"),
    "/account/sessions/end-others": (CUSTOMER, "POST only; log out the customer's other devices"),
    "/account/requests": (CUSTOMER, "the customer's own requests and the ways to make one"),
    "/account/requests/new/<kind>": (CUSTOMER, "make a request (Art 16-18, 21(1)); erasure: fresh log-in"),
    "/account/requests/<ref>": (CUSTOMER, "one of the customer's own requests; another's reference is 404"),
    "/account/requests/<ref>/cancel": (CUSTOMER, "POST only; cancel one's own request while it waits"),
    "/account/requests/<ref>/messages": (CUSTOMER, "POST only; write in one's own request's thread"),
    "/account/export": (CUSTOMER, "explains the two download formats, links to both"),
    "/account/export.json": (CUSTOMER, "own data as JSON (Art 15(3), 20); fresh log-in, audited"),
    "/account/export.zip": (CUSTOMER, "the same as CSV files in a ZIP; fresh log-in, audited"),
    "/staff/": (STAFF, "the request queue; a POST only searches (names and emails stay out of URLs)"),
    "/staff/requests/<ref>/claim": (STAFF, "POST only; take a request on (version-checked)"),
    "/staff/requests/<ref>/assign": (STAFF, "POST only; give a request to a staff member (version-checked)"),
    "/staff/commitment": (STAFF, "accept the confidentiality commitment before first use"),
    "/staff/requests/<ref>": (STAFF, "review one request and decide it"),
    "/staff/requests/<ref>/approve": (STAFF, "POST only; approve and carry out (version-checked)"),
    "/staff/requests/<ref>/deny": (STAFF, "POST only; deny with written reasons (version-checked)"),
    "/staff/requests/<ref>/extend": (STAFF, "POST only; extend the deadline once in the first month"),
    "/staff/requests/<ref>/clarify": (STAFF, "POST only; ask the customer in the request's thread"),
    "/staff/requests/<ref>/note": (STAFF, "POST only; internal note on the request"),
    "/staff/requests/new": (STAFF, "record a request received by phone, letter or email"),
    "/staff/customers": (STAFF, "find a customer; every look-up asks for its purpose"),
    "/staff/customers/<int:customer_id>": (STAFF, "a customer's data, after a purpose is given; recorded"),
    "/staff/audit": (STAFF, "admin only: search the audit log (a posted search redirects to GET)"),
    "/staff/audit.csv": (STAFF, "admin only: the search's entries as CSV; the download is audited"),
    "/staff/admin": (STAFF, "admin only: the staff accounts and the invitation form"),
    "/staff/admin/invite": (STAFF, "admin only, POST only: invite a reviewer or administrator by email"),
    "/staff/admin/<int:user_id>/role": (STAFF, "admin only, POST only: change a staff member's role"),
    "/staff/admin/<int:user_id>/deactivate": (STAFF, "admin only, POST: close an account, end its sessions"),
    "/staff/admin/<int:user_id>/reactivate": (STAFF, "admin only, POST: open a closed staff account again"),
    "/account/marketing": (CUSTOMER, "the customer's own marketing prohibitions and their history"),
    "/account/requests/<ref>/letter": (CUSTOMER, "decision letter of one's own decided request; else 404"),
    "/account/requests/<ref>/letter.pdf": (CUSTOMER, "the same letter as a PDF download; else 404"),
    "/staff/requests/<ref>/letter": (STAFF, "any decided request's letter, as the customer gets it"),
    "/staff/requests/<ref>/letter.pdf": (STAFF, "the same letter as a PDF, to print or post"),
    "/staff/reports": (STAFF, "reviewers and admins: request counts per kind and month, no personal data"),
    "/staff/reports.csv": (STAFF, "the same figures as CSV for the annual review; the download is audited"),
    "/brand/logo": (PUBLIC, "the company's logo shown on every page and in emails; 404 until uploaded"),
    "/brand/theme.css": (PUBLIC, "the company's accent colour as CSS for every page; holds no data"),
    "/staff/look": (STAFF, "admin only: the company's logo and accent colour, with a preview"),
    "/staff/look/colour": (STAFF, "admin only, POST only: set the accent colour (4.5:1 on white or refused)"),
    "/staff/look/logo": (STAFF, "admin only, POST only: upload a PNG or SVG logo (checked)"),
    "/staff/look/logo/remove": (STAFF, "admin only, POST only: remove the logo"),
    "/api/v1/openapi.json": (PUBLIC, "the sync API's OpenAPI description; describes the API, holds no data"),
    "/api/v1/customers/<customer_number>": (API_KEY, "PUT only; a company system upserts a customer"),
    "/api/v1/handoffs": (API_KEY, "decisions pending for the company's systems (scope handoffs:read)"),
    "/api/v1/handoffs/<int:handoff_id>/ack": (API_KEY, "POST only; a system acknowledges a decision"),
}

SAMPLE_ARGUMENTS = {"code": "en"}  # anything else gets "1": valid for int, string and path


def _path(rule) -> str:
    """A concrete path for `rule`, its arguments filled with harmless sample values."""
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>",
                  lambda m: SAMPLE_ARGUMENTS.get(m.group(1), "1"), rule.rule)


def _rules(app, *audiences: str) -> list:
    """The app's rules classified under any of `audiences`."""
    return [rule for rule in app.url_map.iter_rules()
            if ROUTES.get(rule.rule, (None,))[0] in audiences]


def _methods(rule) -> list[str]:
    """The methods that reach a view (HEAD and OPTIONS are answered by Flask itself)."""
    return sorted(rule.methods & {"GET", "POST", "PUT", "PATCH", "DELETE"})


def _request(client, method: str, path: str, token: str):
    """Send `method` to `path`; a form method carries a valid CSRF token."""
    data = None if method == "GET" else {"csrf_token": token}
    return client.open(path, method=method, data=data)


def _is_denied(response) -> bool:
    """Sent to the log-in page, or refused with 401/403/404/405: never a page with content."""
    if response.status_code in (301, 302, 303, 307, 308):
        return urlsplit(response.headers["Location"]).path == "/login"
    return response.status_code in (401, 403, 404, 405)


def _describe(response) -> str:
    return f"{response.status_code} {response.headers.get('Location', '')}"


def _log_in_staff(client, demo) -> None:
    """Log the demo reviewer in: password, then the code from the demo's TOTP key."""
    [staff] = [login for login in demo if login.email == STAFF_EMAIL]
    key = staff.note.rsplit(":", 1)[1].strip().replace("-", "")
    response = AuthActions(client).login(STAFF_EMAIL, DEMO_PASSWORD)
    assert urlsplit(response.headers["Location"]).path == "/login/code"
    token = csrf_token(client, "/privacy")
    response = client.post("/login/code", data={"code": pyotp.TOTP(key).now(), "csrf_token": token})
    assert response.status_code == 302 and "/login" not in response.headers["Location"]


def test_every_rule_is_classified(app):
    rules = {rule.rule for rule in app.url_map.iter_rules()}
    unknown = sorted(rules - ROUTES.keys())
    assert not unknown, (
        f"unclassified URL rules {unknown}: add each to ROUTES in {__file__} with its audience "
        "(PUBLIC only with a reason why anyone may use it; /staff rules are STAFF)")
    stale = sorted(ROUTES.keys() - rules)
    assert not stale, f"ROUTES lists rules the app no longer has: {stale}; remove them"


def test_staff_rules_are_classified_as_staff_and_only_they_are(app):
    for rule in app.url_map.iter_rules():
        under_staff = rule.rule == "/staff" or rule.rule.startswith("/staff/")
        assert (ROUTES[rule.rule][0] == STAFF) == under_staff, (
            f"{rule.rule} is classified {ROUTES[rule.rule][0]!r}: rules under /staff, and only "
            "they, are STAFF")


def test_public_pages_answer_anonymous_visitors(app, client, demo):
    for rule in _rules(app, PUBLIC):
        if "GET" in rule.methods and not rule.arguments:
            response = client.get(rule.rule)
            expected = (200, 404) if rule.rule == "/brand/logo" else (200,)  # 404 until a logo is set
            assert response.status_code in expected, f"{rule.rule}: {_describe(response)}"


def test_anonymous_requests_to_protected_rules_are_denied(app, client, demo):
    token = csrf_token(client, "/privacy")
    rules = _rules(app, LOGIN_STEP, SIGNED_IN, CUSTOMER, STAFF, API_KEY)
    assert {"/account", "/account/password", "/login/code"} <= {rule.rule for rule in rules}
    for rule in rules:
        for method in _methods(rule):
            response = _request(client, method, _path(rule), token)
            assert _is_denied(response), f"anonymous {method} {rule.rule}: {_describe(response)}"


def test_made_up_tokens_get_no_form(app, client, demo):
    token = csrf_token(client, "/privacy")
    rules = _rules(app, TOKEN)
    assert {rule.rule for rule in rules} == {"/activate/<token>", "/reset/<token>",
                                            "/account/confirm-email/<token>"}
    for rule in rules:
        path = re.sub(r"<[^<>]+>", "InvalidToken.abc.def", rule.rule)
        for method in _methods(rule):
            response = _request(client, method, path, token)
            assert response.status_code != 200, f"{method} {path}: {_describe(response)}"
            assert 'type="password"' not in page(response)


def test_staff_get_403_on_customer_pages(app, client, demo):
    _log_in_staff(client, demo)
    token = csrf_token(client, "/privacy")
    rules = _rules(app, CUSTOMER)
    assert "/account" in {rule.rule for rule in rules}
    # Where a log-in lands: staff are sent on to their queue, never shown a customer page.
    assert client.get("/account").headers["Location"].endswith("/staff/")
    for rule in rules:
        for method in _methods(rule):
            if rule.rule == "/account" and method == "GET":
                continue
            response = _request(client, method, _path(rule), token)
            assert response.status_code == 403, f"staff {method} {rule.rule}: {_describe(response)}"


def test_customers_get_403_on_staff_pages(app, client, auth, demo):
    rules = _rules(app, STAFF)
    if not rules:
        pytest.skip("no /staff rules yet: this runs over them once the staff blueprint exists")
    auth.login(MAIJA, DEMO_PASSWORD)
    token = csrf_token(client, "/privacy")
    for rule in rules:
        for method in _methods(rule):
            response = _request(client, method, _path(rule), token)
            assert response.status_code == 403, f"customer {method} {rule.rule}: {_describe(response)}"


def test_browser_sessions_get_401_on_api_key_rules(app, client, auth, demo):
    # The API takes a key in the Authorization header only: no customer's or staff member's
    # session opens any of it, and no API answer sets or refreshes the session cookie.
    rules = _rules(app, API_KEY)
    assert "/api/v1/handoffs" in {rule.rule for rule in rules}
    for log_in in (lambda: auth.login(MAIJA, DEMO_PASSWORD), lambda: _log_in_staff(client, demo)):
        log_in()
        token = csrf_token(client, "/privacy")
        for rule in rules:
            for method in _methods(rule):
                response = _request(client, method, _path(rule), token)
                assert response.status_code == 401 and response.is_json, (
                    f"signed-in {method} {rule.rule}: {_describe(response)}")
                assert "Set-Cookie" not in response.headers, f"{method} {rule.rule} set a cookie"
        auth.logout()
