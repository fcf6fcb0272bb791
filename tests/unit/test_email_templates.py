"""Every email's HTML part is a whole document in its own language, and has a plain-text twin."""

from pathlib import Path

import pytest

TEMPLATES = Path(__file__).resolve().parents[2] / "portal" / "templates" / "emails"
HTML = sorted(p for p in TEMPLATES.glob("*.html") if not p.name.startswith("_"))


def test_there_are_emails_to_check():
    assert len(HTML) >= 10


@pytest.mark.parametrize("path", HTML, ids=lambda p: p.stem)
def test_html_part_extends_the_whole_document_layout(path):
    assert path.read_text().lstrip().startswith('{% extends "emails/_base.html" %}'), path.name
    assert (TEMPLATES / f"{path.stem}.txt").is_file(), f"{path.stem}.txt is missing"


def test_the_layout_is_a_document_with_lang():
    layout = (TEMPLATES / "_base.html").read_text()
    assert layout.startswith("<!DOCTYPE html>")
    assert '<html lang="{{ get_locale() }}">' in layout
