"""Words for the refusals of services/branding: the look page shows them in the staff member's
language, `flask controller logo` in English."""

from __future__ import annotations

from flask_babel import format_decimal
from flask_babel import gettext as _

from portal.i18n import lazy_gettext as _l
from portal.services.branding import BrandingRefused
from portal.services.colours import MINIMUM_CONTRAST

MESSAGES = {
    "settings_missing": _l("Load the controller's details first (flask controller load)."),
    "colour_format": _l("Write the colour as # and six hexadecimal digits, for example #0172ad."),
    "logo_empty": _l("Choose a PNG or SVG file."),
    "logo_type": _l("The logo must be a PNG or SVG file."),
    "logo_too_large": _l("The logo is larger than %(limit)s kB. Make the file smaller and upload it again."),
    "png_invalid": _l("The PNG file is damaged or incomplete."),
    "svg_invalid": _l("The SVG file is not well-formed XML."),
    "svg_not_svg": _l("The file is not an SVG image: its first element must be <svg> with "
                      "xmlns=\"http://www.w3.org/2000/svg\"."),
    "svg_doctype": _l("The SVG file has a DOCTYPE or entity declarations. Remove them and upload the "
                      "file again."),
    "svg_foreign_object": _l("The SVG file contains embedded HTML (foreignObject), which is not accepted."),
    "svg_script": _l("The SVG file contains a script or other active content (%(name)s), which is not "
                     "accepted."),
    "svg_event_handler": _l("The SVG file has an event handler attribute (%(name)s), which is not accepted."),
    "svg_external": _l("The SVG file refers to something outside the file (%(name)s). Only references "
                       "inside the file (#…) and embedded PNG, JPEG, GIF or WebP images are accepted."),
    "svg_no_size": _l("The SVG file needs a viewBox, or a width and a height, so that it can be sized."),
}


def refusal_message(refused: BrandingRefused) -> str:
    """The sentence for a refusal, in the current language, its numbers formatted for it."""
    if refused.code == "colour_contrast":
        return _("The colour %(colour)s stands out too little from a white background (contrast "
                 "%(ratio)s:1, at least %(needed)s:1 is needed). Choose a darker shade.",
                 colour=refused.params["colour"], ratio=format_decimal(refused.params["ratio"], "0.00"),
                 needed=format_decimal(MINIMUM_CONTRAST, "0.0"))
    if refused.code == "logo_dimensions":
        return _("The logo is %(width)s × %(height)s pixels; at most %(max)s × %(max)s pixels are accepted.",
                 **refused.params)
    message = MESSAGES.get(refused.code)
    return str(message % refused.params if message is not None and refused.params else
               message if message is not None else refused.code)
