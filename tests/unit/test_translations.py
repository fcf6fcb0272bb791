"""The Finnish catalogues exist, are complete, have no fuzzy entries and cover every message in the code."""

import re
import subprocess
import sys
from pathlib import Path

import flask_security
import polib
import pytest
import wtforms

ROOT = Path(__file__).resolve().parents[2]
FINNISH = ROOT / "translations" / "fi" / "LC_MESSAGES"
DOMAINS = ["messages", "flask_security", "wtforms"]
UPSTREAM_TEMPLATES = {
    "flask_security": Path(flask_security.__file__).parent / "translations" / "flask_security.pot",
    "wtforms": Path(wtforms.__file__).parent / "locale" / "wtforms.pot",
}
PLACEHOLDER_RE = re.compile(r"%\((\w+)\)[sdif]|\{(\w+)\}")


def _catalogue(domain: str) -> polib.POFile:
    path = FINNISH / f"{domain}.po"
    assert path.exists(), f"{path} is missing"
    return polib.pofile(str(path))


def _key(entry) -> tuple[str | None, str]:
    return entry.msgctxt, entry.msgid


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> polib.POFile:
    """Every message in the portal's code and templates, extracted as the translators do."""
    pot = tmp_path_factory.mktemp("pot") / "messages.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg", "-k", "_l",
         "--no-location", "-o", str(pot), "."],
        check=True, cwd=ROOT, capture_output=True,
    )
    return polib.pofile(str(pot))


@pytest.mark.parametrize("domain", DOMAINS)
def test_catalogue_exists(domain):
    assert (FINNISH / f"{domain}.po").is_file()


@pytest.mark.parametrize("domain", DOMAINS)
def test_catalogue_is_fully_translated(domain):
    catalogue = _catalogue(domain)
    missing = [e.msgid for e in catalogue.untranslated_entries()]
    assert missing == [], f"{len(missing)} untranslated in {domain}.po, e.g. {missing[:5]}"
    assert catalogue.percent_translated() == 100


@pytest.mark.parametrize("domain", DOMAINS)
def test_catalogue_has_no_fuzzy_entries(domain):
    fuzzy = [e.msgid for e in _catalogue(domain).fuzzy_entries()]
    assert fuzzy == [], f"fuzzy entries in {domain}.po: {fuzzy[:5]}"


def test_every_message_in_the_code_is_in_the_catalogue(extracted):
    assert len(extracted) > 100, "extraction found suspiciously few messages"
    known = {_key(e) for e in _catalogue("messages") if not e.obsolete}
    missing = [e.msgid for e in extracted if _key(e) not in known]
    assert missing == [], f"{len(missing)} messages missing from messages.po, e.g. {missing[:5]}"


def test_plural_messages_have_finnish_plurals(extracted):
    catalogue = {_key(e): e for e in _catalogue("messages")}
    for entry in extracted:
        if entry.msgid_plural:
            finnish = catalogue[_key(entry)]
            assert finnish.msgid_plural == entry.msgid_plural
            assert all(finnish.msgstr_plural.get(i) for i in (0, 1)), entry.msgid


@pytest.mark.parametrize("domain", ["flask_security", "wtforms"])
def test_library_catalogue_covers_the_library(domain):
    upstream = polib.pofile(str(UPSTREAM_TEMPLATES[domain]))
    known = {_key(e) for e in _catalogue(domain)}
    missing = [e.msgid for e in upstream if _key(e) not in known]
    assert missing == [], f"{domain}.po lacks {len(missing)} of the library's messages: {missing[:5]}"


@pytest.mark.parametrize("domain", DOMAINS)
def test_translations_keep_the_placeholders(domain):
    """A translation that drops or renames %(name)s breaks or garbles the page."""
    wrong = []
    for entry in _catalogue(domain).translated_entries():
        expected = sorted(PLACEHOLDER_RE.findall(entry.msgid))
        translations = entry.msgstr_plural.values() if entry.msgid_plural else [entry.msgstr]
        for text in translations:
            if sorted(PLACEHOLDER_RE.findall(text)) != expected and not entry.msgid_plural:
                wrong.append(entry.msgid)
            elif entry.msgid_plural and not set(PLACEHOLDER_RE.findall(text)) <= set(
                    PLACEHOLDER_RE.findall(entry.msgid + entry.msgid_plural)):
                wrong.append(entry.msgid)
    assert wrong == [], f"placeholders differ in {domain}.po: {wrong[:5]}"
