"""The English a user reads is ours too: one term per thing, sentence case, none of the
library's "sign in", "two-factor", "resource", "Submit" or "QRcode"."""

import re
from pathlib import Path

import polib
import pytest

from portal.demo import DEMO_PASSWORD
from tests.functional.helpers import PEKKA, page, switch_language

ROOT = Path(__file__).resolve().parents[2]
ENGLISH = ROOT / "translations" / "en" / "LC_MESSAGES" / "flask_security.po"
FINNISH = ROOT / "translations" / "fi" / "LC_MESSAGES" / "flask_security.po"
# Library wording we never show: the glossary's terms are "log in", "two-step verification",
# "one-time code" and "page".
BANNED = re.compile(r"sign[ -]?in|two-factor|\bresource\b|\bSubmit\b|QRcode|passcode|"
                    r"authenticate|\bLogin\b", re.IGNORECASE)
PUBLIC_SECURITY_PAGES = ("/login", "/reset", "/login/code/help")


def _text(html: str) -> str:
    """The visible text of a page: tags, attribute values and comments removed."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


def test_our_english_entries_translate_real_library_messages_in_sentence_case():
    library = {entry.msgid for entry in polib.pofile(str(FINNISH)) if not entry.obsolete}
    ours = polib.pofile(str(ENGLISH))
    assert len(ours) > 50
    for entry in ours:
        assert entry.msgid in library, entry.msgid
        assert not BANNED.search(entry.msgstr), entry.msgstr
        for sentence in re.split(r"[.?:] ", entry.msgstr):
            words = re.findall(r"\w+", sentence)
            capitalised = [w for w in words[1:] if w[:1].isupper() and w not in {
                "Google", "Microsoft", "Authenticator"}]
            assert not capitalised, entry.msgstr


def test_failed_log_in_reads_in_our_english(client, auth, demo):
    switch_language(client, "en")
    shown = page(auth.login(PEKKA, "Vaara-salasana-123"))
    assert "The email address or password is wrong." in shown
    assert "identity or password/passcode" not in shown
    assert "Email address" in shown and "Email Address" not in shown


def test_fresh_log_in_request_reads_in_our_english(client, auth, demo):
    switch_language(client, "en")
    auth.login(PEKKA, DEMO_PASSWORD)
    shown = page(client.get("/account/recovery-codes", follow_redirects=True))
    assert not BANNED.search(_text(shown)), BANNED.search(_text(shown)).group(0)


@pytest.mark.parametrize("path", PUBLIC_SECURITY_PAGES)
def test_public_account_pages_read_in_our_english(client, demo, path):
    switch_language(client, "en")
    response = client.get(path, follow_redirects=True)
    assert response.status_code == 200
    found = BANNED.search(_text(page(response)))
    assert not found, found.group(0)
