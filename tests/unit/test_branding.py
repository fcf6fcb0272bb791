"""The company's look: a logo is stored only if it is a sound PNG or a passive, self-contained SVG;
an accent colour only if links and buttons in it stay readable (4.5:1 on white); every change is
audited with codes only."""

from __future__ import annotations

import hashlib
import json
import struct
import zlib

import pytest
from flask_babel import force_locale
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from portal.brand_words import MESSAGES, refusal_message
from portal.models import AuditEvent, BrandLogo
from portal.services import branding
from portal.services.colours import (
    DARK_BACKGROUND,
    WHITE,
    ColourRefused,
    check_accent,
    contrast_ratio,
    dark_palette,
    light_palette,
    normalise,
    relative_luminance,
)
from portal.services.controller import SettingsError, get_settings, update_settings
from portal.services.logo_checks import MAX_BYTES, LogoRefused, check_logo

SVG_OPEN = (b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
            b'viewBox="0 0 120 40">')


def png(width: int = 4, height: int = 2, *, extra: bytes = b"") -> bytes:
    """A real (decodable) RGBA PNG of `width` × `height` pixels, `extra` bytes in a private chunk."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\x01\x72\xad\xff" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0))
            + (chunk(b"prVt", extra) if extra else b"") + chunk(b"IDAT", zlib.compress(rows))
            + chunk(b"IEND", b""))


def svg(body: bytes = b'<rect width="120" height="40" fill="#0172ad"/>', opening: bytes = SVG_OPEN) -> bytes:
    """An SVG logo with `body` inside its root element."""
    return opening + body + b"</svg>"


def _code(content: bytes) -> str:
    """The refusal code check_logo gives `content`."""
    with pytest.raises(LogoRefused) as refused:
        check_logo(content)
    return refused.value.code


# --- PNG -------------------------------------------------------------------------------------

def test_a_png_is_accepted_and_its_size_read_from_its_header():
    facts = check_logo(png(300, 100))
    assert (facts.media_type, facts.width, facts.height) == ("image/png", 300, 100)


def test_a_file_over_256_kb_is_refused_whatever_it_is():
    big = png(extra=b"\x00" * MAX_BYTES)
    assert len(big) > MAX_BYTES
    assert _code(big) == "logo_too_large"
    assert _code(svg(b"<!--" + b"x" * MAX_BYTES + b"-->")) == "logo_too_large"


def test_a_png_over_2000_pixels_is_refused_with_its_size():
    with pytest.raises(LogoRefused) as refused:
        check_logo(png(2001, 10))
    assert refused.value.code == "logo_dimensions"
    assert refused.value.params == {"width": 2001, "height": 10, "max": 2000}


@pytest.mark.parametrize("content", [
    b"\xff\xd8\xff\xe0\x00\x10JFIF\x00",  # JPEG
    b"GIF89a\x01\x00\x01\x00",
    b"%PDF-1.7\n",
    b"\x1f\x8b\x08\x00svgz",  # a compressed SVG
    b"<html><body>logo</body></html>",
    b"MZ\x90\x00",
], ids=["jpeg", "gif", "pdf", "svgz", "html", "exe"])
def test_files_that_are_neither_png_nor_svg_are_refused_by_their_bytes(content):
    assert _code(content) == "logo_type"


def test_a_damaged_or_cut_png_is_refused():
    good = png()
    assert _code(good[:-12]) == "png_invalid"  # no IEND: the upload was cut short
    broken = bytearray(good)
    broken[17] ^= 0xFF  # the width no longer matches the header's checksum
    assert _code(bytes(broken)) == "png_invalid"
    assert _code(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40) == "png_invalid"
    assert _code(b"") == "logo_empty"


# --- SVG -------------------------------------------------------------------------------------

def test_a_plain_svg_is_accepted_with_its_proportions():
    facts = check_logo(b'<?xml version="1.0" encoding="UTF-8"?>\n' + svg(
        b'<defs><linearGradient id="g"><stop offset="0" stop-color="#036"/></linearGradient></defs>'
        b'<style>.a { fill: url(#g); }</style><rect class="a" width="120" height="40"/>'
        b'<use href="#g"/><image xlink:href="data:image/png;base64,iVBORw0KGgo=" width="1" height="1"/>'))
    assert (facts.media_type, facts.width, facts.height) == ("image/svg+xml", 120, 40)
    sized = check_logo(svg(opening=b'<svg xmlns="http://www.w3.org/2000/svg" width="200px" height="50px">'))
    assert (sized.width, sized.height) == (200, 50)


@pytest.mark.parametrize(("content", "code"), [
    (svg(b"<script>alert(1)</script>"), "svg_script"),
    (svg(b'<script xlink:href="https://evil.example/x.js"/>'), "svg_script"),
    (svg(b'<h:script xmlns:h="http://www.w3.org/1999/xhtml">alert(1)</h:script>'), "svg_script"),
    (svg(b'<rect onclick="alert(1)" width="1" height="1"/>'), "svg_event_handler"),
    (svg(opening=b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1" onload="alert(1)">'),
     "svg_event_handler"),
    (svg(b"<foreignObject><div>html</div></foreignObject>"), "svg_foreign_object"),
    (svg(b'<a href="javascript:alert(1)"><rect width="1" height="1"/></a>'), "svg_script"),
    (svg(b'<a><set attributeName="href" to="javascript:alert(1)"/></a>'), "svg_script"),
    (svg(b'<image href="https://tracker.example/pixel.png"/>'), "svg_external"),
    (svg(b'<image xlink:href="logo.png"/>'), "svg_external"),
    (svg(b'<use href="other.svg#shape"/>'), "svg_external"),
    (svg(b'<image href="data:image/svg+xml;base64,PHN2Zy8+"/>'), "svg_external"),
    (svg(b'<style>@import url("https://evil.example/a.css");</style>'), "svg_external"),
    (svg(b"<style>rect { fill: u&#114;l(https://evil.example/f) }</style>"), "svg_external"),
    (svg(b'<rect style="fill: \\75 rl(https://evil.example/f)" width="1" height="1"/>'), "svg_external"),
    (svg(b'<rect fill="url(https://evil.example/#g)" width="1" height="1"/>'), "svg_external"),
    (b'<?xml-stylesheet href="https://evil.example/a.css"?>' + svg(), "svg_external"),
    (b'<!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
     + svg(b"<text>&b;</text>"),
     "svg_doctype"),
    (b'<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">'
     + svg(),
     "svg_doctype"),
    (b'<!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]>' + svg(b"<text>&x;</text>"), "svg_doctype"),
    (svg(opening=b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"><rect>'), "svg_invalid"),
    (b'<svg viewBox="0 0 1 1"></svg>', "svg_not_svg"),
    (svg(opening=b'<svg xmlns="http://www.w3.org/2000/svg" width="100%" height="100%">'), "svg_no_size"),
], ids=["script", "external-script", "xhtml-script", "onclick", "onload", "foreignObject", "javascript-href",
        "animated-href", "external-image", "relative-image", "external-use", "nested-svg", "css-import",
        "css-url-entity", "css-escape", "paint-url", "xml-stylesheet", "entities", "external-dtd",
        "external-entity", "not-well-formed", "no-namespace", "no-size"])
def test_svgs_with_active_or_outside_content_are_refused(content, code):
    assert _code(content) == code


def test_a_refusal_names_what_was_found():
    with pytest.raises(LogoRefused) as refused:
        check_logo(svg(b'<rect onmouseover="x()" width="1" height="1"/>'))
    assert refused.value.params == {"name": "onmouseover"}


SVG_PIECES = [b"<rect/>", b"<g>", b"</g>", b"<style>", b"</style>", b"url(", b"#a)", b"&#117;", b"href=",
              b"on", b'"', b"<!--", b"-->", b"<![CDATA[", b"]]>", b"\x00", b"\xff", b"<?pi?>", b"javascript:"]


@settings(max_examples=300, deadline=None, database=None)
@given(st.one_of(
    st.binary(max_size=3000),
    st.binary(max_size=400).map(lambda tail: png()[:33] + tail),
    st.binary(max_size=400).map(svg),
    st.lists(st.sampled_from(SVG_PIECES), max_size=12).map(lambda parts: svg(b"".join(parts))),
))
def test_any_bytes_are_either_a_logo_or_refused_with_a_reason_in_words(content):
    try:
        facts = check_logo(content)
    except LogoRefused as refused:
        assert refused.code in MESSAGES or refused.code == "logo_dimensions", refused.code
    else:
        assert facts.media_type in ("image/png", "image/svg+xml") and facts.width > 0 and facts.height > 0


# --- colours ---------------------------------------------------------------------------------

def test_contrast_is_computed_as_wcag_defines_it():
    assert relative_luminance("#ffffff") == pytest.approx(1.0)
    assert relative_luminance("#000000") == pytest.approx(0.0)
    assert contrast_ratio("#000000", WHITE) == pytest.approx(21.0)
    assert contrast_ratio("#0172ad", WHITE) == pytest.approx(5.23, abs=0.01)
    assert contrast_ratio("#767676", WHITE) == pytest.approx(4.54, abs=0.01)
    assert contrast_ratio(WHITE, "#767676") == contrast_ratio("#767676", WHITE)


def test_a_colour_failing_aa_on_white_is_refused_with_the_ratio_it_got():
    assert check_accent("#767676") == "#767676"  # 4.54:1, just enough
    assert check_accent("#0172AD") == "#0172ad"
    for colour, shown in (("#ffcc00", 1.51), ("#777777", 4.47), ("#01aaff", 2.56)):
        with pytest.raises(ColourRefused) as refused:
            check_accent(colour)
        assert (refused.value.code, refused.value.colour, refused.value.ratio) == (
            "colour_contrast", colour, shown)


@pytest.mark.parametrize("value", ["", "blue", "#12345", "#gggggg", "#0172ad00", "rgb(1,2,3)", "#\x000172ad"])
def test_only_hex_colours_are_understood(value):
    with pytest.raises(ColourRefused) as refused:
        normalise(value)
    assert refused.value.code == "colour_format"
    assert normalise(" 0172AD ") == normalise("#0172ad") == "#0172ad"
    assert normalise("#abc") == "#aabbcc"


@settings(max_examples=200, deadline=None, database=None)
@given(st.text(max_size=12))
def test_any_typed_colour_is_either_understood_or_refused_as_a_format_error(value):
    try:
        colour = normalise(value)
    except ColourRefused as refused:
        assert refused.code == "colour_format"
    else:
        assert len(colour) == 7 and int(colour[1:], 16) >= 0


@pytest.mark.parametrize("accent", ["#0172ad", "#767676", "#000000", "#6b2c91", "#b71c1c", "#005a32"])
def test_every_theme_colour_keeps_aa_in_light_and_dark(accent):
    light, dark = light_palette(accent), dark_palette(accent)
    for palette in (light, dark):  # white button text on the background and on its hover shade
        assert contrast_ratio(palette.background, WHITE) >= 4.5
        assert contrast_ratio(palette.hover_background, WHITE) >= 4.5
    assert contrast_ratio(light.hover, WHITE) >= contrast_ratio(light.primary, WHITE)  # hover: darker
    assert contrast_ratio(dark.primary, DARK_BACKGROUND) >= 4.5  # links on the dark background
    assert contrast_ratio(dark.hover, DARK_BACKGROUND) >= 4.5


# --- storing, with audit -----------------------------------------------------------------------

def _audit(db) -> list[tuple[str, dict]]:
    rows = db.session.execute(select(AuditEvent.action, AuditEvent.details).order_by(AuditEvent.id)).all()
    return [(action, json.loads(details)) for action, details in rows]


def test_saving_a_logo_stores_it_in_the_database_and_audits_codes_only(db, demo):
    content = png(300, 100)
    branding.save_logo(db.session, content, actor_kind="system")
    db.session.remove()
    stored = db.session.get(BrandLogo, 1)
    assert (stored.media_type, stored.content) == ("image/png", content)
    assert stored.sha256 == hashlib.sha256(content).hexdigest()
    assert _audit(db)[-1] == ("brand_logo_changed", {"media_type": "image/png", "bytes": len(content)})
    shown = branding.brand(db.session, get_settings(db.session)).logo
    assert (shown.width, shown.height) == (120, 40)  # 40 px tall in headers and emails
    assert shown.path == f"/brand/logo?v={stored.sha256[:12]}"

    branding.save_logo(db.session, svg(), actor_kind="system")  # replaces the PNG
    assert db.session.execute(select(BrandLogo)).scalars().one().media_type == "image/svg+xml"
    assert branding.remove_logo(db.session, actor_kind="system") is True
    assert branding.remove_logo(db.session, actor_kind="system") is False
    assert db.session.get(BrandLogo, 1) is None
    assert [action for action, _ in _audit(db)][-3:] == [
        "brand_logo_changed", "brand_logo_changed", "brand_logo_removed"]


def test_a_refused_logo_changes_nothing(db, demo):
    branding.save_logo(db.session, png(), actor_kind="system")
    before = len(_audit(db))
    with pytest.raises(branding.BrandingRefused) as refused:
        branding.save_logo(db.session, svg(b"<script>alert(1)</script>"), actor_kind="system")
    db.session.rollback()
    assert refused.value.code == "svg_script"
    assert db.session.get(BrandLogo, 1).media_type == "image/png"
    assert len(_audit(db)) == before


def test_setting_the_accent_colour_is_checked_and_audited(db, demo):
    assert branding.set_accent_colour(db.session, "#6B2C91", actor_kind="system") is True
    assert get_settings(db.session).accent_colour == "#6b2c91"
    assert _audit(db)[-1] == ("accent_colour_changed", {"accent_colour": "#6b2c91"})
    assert branding.set_accent_colour(db.session, "#6b2c91", actor_kind="system") is False
    with pytest.raises(branding.BrandingRefused) as refused:
        branding.set_accent_colour(db.session, "#ffcc00", actor_kind="system")
    assert refused.value.code == "colour_contrast"
    assert refused.value.params == {"colour": "#ffcc00", "ratio": 1.51}
    db.session.rollback()
    assert get_settings(db.session).accent_colour == "#6b2c91"
    assert branding.set_accent_colour(db.session, "", actor_kind="system") is True
    assert get_settings(db.session).accent_colour is None
    assert _audit(db)[-1] == ("accent_colour_changed", {"accent_colour": None})


def test_the_refusal_is_said_in_words_with_the_ratio_and_what_is_needed(app):
    refused = branding.BrandingRefused("colour_contrast", colour="#ffcc00", ratio=1.51)
    with app.test_request_context(), force_locale("en"):
        assert refusal_message(refused) == (
            "The colour #ffcc00 stands out too little from a white background (contrast 1.51:1, at least "
            "4.5:1 is needed). Choose a darker shade.")
        assert "(onload)" in refusal_message(branding.BrandingRefused("svg_event_handler", name="onload"))
        assert "256 kB" in refusal_message(branding.BrandingRefused("logo_too_large", limit=256))
    with app.test_request_context(), force_locale("fi"):
        assert "1,51:1" in refusal_message(refused) and "4,5:1" in refusal_message(refused)


def test_the_controller_file_takes_an_accent_colour_with_the_same_check(db, demo):
    update_settings(db.session, {"accent_colour": "#005A32"})
    assert get_settings(db.session).accent_colour == "#005a32"
    assert _audit(db)[-1] == ("accent_colour_changed", {"accent_colour": "#005a32"})
    with pytest.raises(SettingsError, match=r"#ffcc00 has a contrast of only 1\.51:1.*at least 4\.5:1"):
        update_settings(db.session, {"accent_colour": "#ffcc00"})
    with pytest.raises(SettingsError, match="#rrggbb"):
        update_settings(db.session, {"accent_colour": "green"})
    db.session.rollback()
    assert get_settings(db.session).accent_colour == "#005a32"


def test_flask_controller_logo_stores_and_removes_the_logo(app, demo, tmp_path):
    runner = app.test_cli_runner()
    good, bad = tmp_path / "logo.png", tmp_path / "logo.svg"
    good.write_bytes(png(300, 100))
    bad.write_bytes(svg(b'<image href="https://tracker.example/p.png"/>'))
    result = runner.invoke(args=["controller", "logo", str(good)])
    assert result.exit_code == 0 and "Logo saved (image/png" in result.output
    result = runner.invoke(args=["controller", "logo", str(bad)])
    assert result.exit_code == 1
    assert "refers to something outside the file (href)" in result.output
    with app.app_context():
        from portal.extensions import db
        assert db.session.get(BrandLogo, 1).media_type == "image/png"
        db.session.remove()
    assert runner.invoke(args=["controller", "logo"]).exit_code == 2  # neither a file nor --remove
    result = runner.invoke(args=["controller", "logo", "--remove"])
    assert result.exit_code == 0 and "Logo removed." in result.output
    assert "There was no logo to remove." in runner.invoke(args=["controller", "logo", "--remove"]).output
