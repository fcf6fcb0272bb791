"""The company's look, served from the database: /brand/logo, /brand/theme.css and brand() for templates.

Both answers are the same for every visitor, so unlike pages they may be cached (an hour, with
an ETag for a cheap 304 after that); pages link them with a version in the address, so a new
logo or colour shows at once. A logo opened directly gets a policy under which nothing in it runs.
"""

from __future__ import annotations

import hashlib

from flask import Response, abort, g, render_template, request

from portal.extensions import db, talisman
from portal.main import bp
from portal.services import branding
from portal.services.colours import dark_palette, light_palette
from portal.templating import controller_settings

# An SVG opened as a document: no scripts, no loads, no forms, only its own inline styles.
LOGO_POLICY = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
MAX_AGE = 3600  # seconds; a changed logo or colour comes with a new ?v= anyway


@bp.app_template_global("brand")
def brand() -> branding.Brand:
    """The look of this page, email or letter (colour and logo), looked up once per request."""
    if "brand" not in g:
        g.brand = branding.brand(db.session, controller_settings())
    return g.brand


def _cacheable(response: Response, etag: str) -> Response:
    """Public for an hour, with a strong ETag; answers 304 to a matching If-None-Match."""
    response.set_etag(etag)
    response.cache_control.public = True
    response.cache_control.max_age = MAX_AGE
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response.make_conditional(request)


@bp.route(branding.LOGO_PATH)
@talisman(content_security_policy=LOGO_POLICY)
def brand_logo():
    """The company's logo as uploaded (PNG or SVG); 404 when there is none."""
    logo = branding.stored_logo(db.session)
    if logo is None:
        abort(404)
    # content_type, not mimetype: no charset is added, so an SVG's own XML declaration decides.
    return _cacheable(Response(logo.content, content_type=logo.media_type), logo.sha256)


@bp.route(branding.THEME_PATH)
def brand_theme():
    """CSS custom properties giving Pico's primary colours the accent colour (empty without one)."""
    colour = brand().colour
    css = render_template("brand/theme.css", colour=colour,
                          light=light_palette(colour) if colour else None,
                          dark=dark_palette(colour) if colour else None)
    response = Response(css, mimetype="text/css")
    return _cacheable(response, hashlib.sha256(css.encode()).hexdigest()[:32])
