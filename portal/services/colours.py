"""Colour arithmetic for the company's accent colour: parsing, WCAG 2.x contrast and the theme's shades.

The accent colour is used as link text on white and as the background of buttons with white
text, so it must reach 4.5:1 against white (WCAG 2.x AA for normal text). Dark mode keeps the
accent as the button background (white text on it passes by the same rule) and derives, for link
text on Pico's dark background, the first tint of the accent that reaches 4.5:1 there too.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

DEFAULT_ACCENT = "#0172ad"  # Pico's own blue: what the portal shows with no colour chosen
WHITE = "#ffffff"
DARK_BACKGROUND = "#13171f"  # Pico's dark background, rgb(19, 22.5, 30.5), rounded
MINIMUM_CONTRAST = 4.5
_HEX = re.compile(r"#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})")


class ColourRefused(ValueError):
    """A colour that is not #rrggbb (`code` 'colour_format') or contrasts too little ('colour_contrast')."""

    def __init__(self, code: str, colour: str = "", ratio: float = 0.0):
        super().__init__(code)
        self.code, self.colour, self.ratio = code, colour, ratio


def normalise(value: str) -> str:
    """'#RGB', '#rrggbb' or 'rrggbb' (any case) as '#rrggbb'; ColourRefused('colour_format') otherwise."""
    match = _HEX.fullmatch(value.strip()) if isinstance(value, str) else None
    if match is None:
        raise ColourRefused("colour_format")
    digits = match.group(1).lower()
    return "#" + (digits if len(digits) == 6 else "".join(d * 2 for d in digits))


def _rgb(colour: str) -> tuple[int, int, int]:
    """The red, green and blue of '#rrggbb' as 0–255."""
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def _hex(rgb) -> str:
    """'#rrggbb' of three 0–255 values (rounded, clamped)."""
    return "#" + "".join(f"{min(255, max(0, round(c))):02x}" for c in rgb)


def relative_luminance(colour: str) -> float:
    """WCAG 2.x relative luminance of '#rrggbb' (0 black … 1 white)."""

    def linear(channel: int) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in _rgb(colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(first: str, second: str) -> float:
    """WCAG 2.x contrast ratio of two colours, 1.0 … 21.0."""
    light, dark = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def shown_ratio(ratio: float) -> float:
    """The ratio rounded down to two decimals, so a failing 4.497 never reads as 4.50."""
    return math.floor(ratio * 100) / 100


def check_accent(value: str) -> str:
    """The colour as '#rrggbb' if it reaches 4.5:1 against white; ColourRefused otherwise."""
    colour = normalise(value)
    ratio = contrast_ratio(colour, WHITE)
    if ratio < MINIMUM_CONTRAST:
        raise ColourRefused("colour_contrast", colour, shown_ratio(ratio))
    return colour


def mix(colour: str, other: str, amount: float) -> str:
    """`colour` moved `amount` (0…1) of the way towards `other`."""
    return _hex(a + (b - a) * amount for a, b in zip(_rgb(colour), _rgb(other), strict=True))


def rgba(colour: str, alpha: float) -> str:
    """The colour as a CSS rgba() with `alpha`."""
    r, g, b = _rgb(colour)
    return f"rgba({r}, {g}, {b}, {alpha})"


def readable_tint(colour: str, background: str = DARK_BACKGROUND) -> str:
    """The first tint of `colour` (5 % steps towards white) that reaches 4.5:1 on `background`."""
    for step in range(21):
        tint = mix(colour, WHITE, step / 20)
        if contrast_ratio(tint, background) >= MINIMUM_CONTRAST:
            return tint
    return WHITE


@dataclass(frozen=True)
class Palette:
    """Pico's primary colours for one scheme, derived from the accent."""

    primary: str
    background: str
    hover: str
    hover_background: str
    underline: str
    focus: str
    selection: str


def light_palette(accent: str) -> Palette:
    """Light scheme: the accent for links and buttons, darker shades on hover."""
    return Palette(primary=accent, background=accent, hover=mix(accent, "#000000", 0.2),
                   hover_background=mix(accent, "#000000", 0.15), underline=rgba(accent, 0.5),
                   focus=rgba(accent, 0.5), selection=rgba(accent, 0.25))


def dark_palette(accent: str) -> Palette:
    """Dark scheme: buttons keep the accent (white text passes), links a tint readable on dark."""
    text = readable_tint(accent)
    return Palette(primary=text, background=accent, hover=mix(text, WHITE, 0.3),
                   hover_background=mix(accent, "#000000", 0.15), underline=rgba(text, 0.5),
                   focus=rgba(text, 0.375), selection=rgba(text, 0.1875))
