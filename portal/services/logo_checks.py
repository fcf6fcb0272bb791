"""Checking an uploaded logo: a PNG read from its header, or an SVG with nothing active in it.

The type comes from the bytes, never from the file name. A PNG must have its signature, a valid
IHDR chunk (whose width and height are read here, no imaging library needed) and its IEND end.
An SVG is parsed with expat and refused if it declares a DOCTYPE or entities, holds scripts,
embedded HTML, event handler attributes or references to anything outside the file: a logo
opened directly in the browser, or drawn in a PDF, can then neither run code nor fetch anything.
"""

from __future__ import annotations

import re
import struct
import zlib
from dataclasses import dataclass
from xml.parsers import expat

PNG = "image/png"
SVG = "image/svg+xml"
MAX_BYTES = 256 * 1024
MAX_PIXELS = 2000  # width and height of a PNG, each
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PNG_END = b"\x00\x00\x00\x00IEND\xaeB`\x82"
SVG_NS = "http://www.w3.org/2000/svg"
XHTML_NS = "http://www.w3.org/1999/xhtml"
# Elements that run code or embed other documents, in any namespace (compared in lower case).
ACTIVE_ELEMENTS = frozenset({"script", "handler", "listener", "iframe", "frame", "frameset", "embed",
                             "object", "applet", "audio", "video", "base", "link", "meta"})
ANIMATIONS = frozenset({"set", "animate", "animatetransform", "animatemotion", "animatecolor"})
SAFE_DATA = re.compile(r"data:image/(png|jpeg|gif|webp)[;,]", re.IGNORECASE)
CSS_URL = re.compile(r"url\(\s*['\"]?\s*([^'\")\s]*)", re.IGNORECASE)
LENGTH = re.compile(r"\s*([0-9]*\.?[0-9]+)\s*(px|pt|pc|mm|cm|in)?\s*")


class LogoRefused(ValueError):
    """The file is not an acceptable logo; `code` says why, `params` fill in the message."""

    def __init__(self, code: str, **params):
        super().__init__(code)
        self.code, self.params = code, params


@dataclass(frozen=True)
class LogoFacts:
    """What was learnt of an accepted logo: its type and its size (SVG: in its own units)."""

    media_type: str
    width: float
    height: float


def check_logo(content: bytes) -> LogoFacts:
    """The facts of an acceptable PNG or SVG logo; LogoRefused with the reason otherwise."""
    if not content:
        raise LogoRefused("logo_empty")
    if len(content) > MAX_BYTES:
        raise LogoRefused("logo_too_large", limit=MAX_BYTES // 1024)
    if content.startswith(PNG_SIGNATURE):
        return check_png(content)
    head = content.lstrip(b"\xef\xbb\xbf \t\r\n")[:5].lower()
    if head.startswith((b"<?xml", b"<svg", b"<!--", b"<!doc")):
        return check_svg(content)
    raise LogoRefused("logo_type")


def check_png(content: bytes) -> LogoFacts:
    """Width and height from the IHDR chunk of a whole PNG file within the size limits."""
    if len(content) < 33 + len(PNG_END) or content[8:16] != b"\x00\x00\x00\x0dIHDR":
        raise LogoRefused("png_invalid")
    width, height = struct.unpack(">II", content[16:24])
    (crc,) = struct.unpack(">I", content[29:33])
    if crc != zlib.crc32(content[12:29]) or not content.endswith(PNG_END) or 0 in (width, height):
        raise LogoRefused("png_invalid")
    if width > MAX_PIXELS or height > MAX_PIXELS:
        raise LogoRefused("logo_dimensions", width=width, height=height, max=MAX_PIXELS)
    return LogoFacts(PNG, width, height)


def _split(name: str) -> tuple[str, str]:
    """An expat 'namespace local' name as (namespace, local)."""
    namespace, _, local = name.rpartition(" ")
    return namespace, local


def _check_css(text: str, name: str) -> None:
    """Refuse CSS (a style sheet or an attribute value) that imports or points outside the file.

    A backslash is refused too: CSS escapes could spell url( or @import past the check.
    """
    if "@import" in text.lower() or "\\" in text:
        raise LogoRefused("svg_external", name=name)
    for target in CSS_URL.findall(text):
        if not (target.startswith("#") or SAFE_DATA.match(target)):
            raise LogoRefused("svg_external", name=name)


class _SvgChecker:
    """expat handlers that refuse anything active or outside the file, and keep the root's attributes."""

    def __init__(self):
        self.root: dict | None = None
        self.style: list[str] | None = None  # text of the <style> element being read

    def doctype(self, *args) -> None:
        """A DOCTYPE or entity declaration: refused before any entity can expand."""
        raise LogoRefused("svg_doctype")

    def instruction(self, target: str, data: str) -> None:
        """A processing instruction such as <?xml-stylesheet?>, which loads another file."""
        raise LogoRefused("svg_external", name=f"<?{target[:40]}?>")

    def start(self, name: str, attributes: dict) -> None:
        """Check an element and its attributes; the first must be <svg> in the SVG namespace."""
        namespace, local = _split(name)
        if self.root is None:
            if (namespace, local) != (SVG_NS, "svg"):
                raise LogoRefused("svg_not_svg")
            self.root = {_split(key)[1]: value for key, value in attributes.items()}
        lowered = local.lower()
        if lowered == "foreignobject":
            raise LogoRefused("svg_foreign_object")
        if lowered in ACTIVE_ELEMENTS or namespace == XHTML_NS:
            raise LogoRefused("svg_script", name=f"<{local[:40]}>")
        for attribute, value in attributes.items():
            self._attribute(lowered, *_split(attribute), value)
        if lowered == "style":
            self.style = []

    def _attribute(self, element: str, namespace: str, name: str, value: str) -> None:
        """Refuse event handlers, javascript:, href animations and references outside the file."""
        lowered, target, shown = name.lower(), value.strip(), name[:40]
        if lowered.startswith("on"):
            raise LogoRefused("svg_event_handler", name=shown)
        if "javascript:" in re.sub(r"\s", "", value).lower():
            raise LogoRefused("svg_script", name=shown)
        if element in ANIMATIONS and lowered == "attributename" and (
                target.lower().endswith("href") or target.lower().startswith("on")):
            raise LogoRefused("svg_script", name=f"<{element}>")
        if lowered in ("href", "src") and not (target.startswith("#") or SAFE_DATA.match(target)):
            raise LogoRefused("svg_external", name=shown)
        if namespace in ("", SVG_NS):  # others (editors' metadata) are never read as CSS
            _check_css(value, shown)

    def end(self, name: str) -> None:
        """At the end of a <style> element, check its whole text."""
        if self.style is not None and _split(name)[1].lower() == "style":
            _check_css("".join(self.style), "<style>")
            self.style = None

    def text(self, data: str) -> None:
        """Collect a <style> element's text (expat may hand it over in pieces)."""
        if self.style is not None:
            self.style.append(data)


def _svg_size(attributes: dict) -> tuple[float, float]:
    """The root's aspect from its viewBox, else from absolute width and height; svg_no_size if neither."""
    box = re.split(r"[\s,]+", attributes.get("viewBox", "").strip())
    try:
        width, height = (float(box[2]), float(box[3])) if len(box) == 4 else (0.0, 0.0)
    except ValueError:
        width = height = 0.0
    if width > 0 and height > 0:
        return width, height
    sizes = [LENGTH.fullmatch(attributes.get(name, "")) for name in ("width", "height")]
    if all(sizes) and sizes[0].group(2) == sizes[1].group(2):
        width, height = float(sizes[0].group(1)), float(sizes[1].group(1))
        if width > 0 and height > 0:
            return width, height
    raise LogoRefused("svg_no_size")


def check_svg(content: bytes) -> LogoFacts:
    """The aspect of a well-formed, passive, self-contained SVG; LogoRefused with the reason otherwise."""
    checker = _SvgChecker()
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartDoctypeDeclHandler = checker.doctype
    parser.EntityDeclHandler = checker.doctype
    parser.ProcessingInstructionHandler = checker.instruction
    parser.StartElementHandler = checker.start
    parser.EndElementHandler = checker.end
    parser.CharacterDataHandler = checker.text
    try:
        parser.Parse(content, True)
    except expat.ExpatError as exc:
        raise LogoRefused("svg_invalid") from exc
    if checker.root is None:
        raise LogoRefused("svg_not_svg")
    width, height = _svg_size(checker.root)
    return LogoFacts(SVG, width, height)
