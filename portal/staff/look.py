"""The company's look for administrators (/staff/look): accent colour and logo, changed without code.

The checks (contrast, file type and content) live in services/branding; these views read the
forms, call it, and say what happened or why not. Every change is audited by the service.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_login import current_user

from portal.brand_words import refusal_message
from portal.extensions import db
from portal.services import branding
from portal.services.colours import DEFAULT_ACCENT, MINIMUM_CONTRAST, WHITE, contrast_ratio, shown_ratio
from portal.services.controller import get_settings
from portal.services.logo_checks import MAX_BYTES, MAX_PIXELS
from portal.staff import bp
from portal.staff.access import admin_required
from portal.staff.look_forms import ColourForm, LogoForm, RemoveLogoForm


def _page(colour_form: ColourForm | None = None, logo_form: LogoForm | None = None, status: int = 200):
    """The look page: the colour form, a preview, and the logo with its forms."""
    settings = get_settings(db.session)
    colour = settings.accent_colour if settings else None
    if colour_form is None:
        colour_form = ColourForm(accent_colour=colour or "", picker=colour or DEFAULT_ACCENT)
    logo = branding.stored_logo(db.session)
    ratio = shown_ratio(contrast_ratio(colour or DEFAULT_ACCENT, WHITE))
    return render_template(
        "staff/look.html", colour_form=colour_form, logo_form=logo_form or LogoForm(),
        colour=colour, default_colour=DEFAULT_ACCENT, logo=logo,
        logo_kb=format_decimal(len(logo.content) / 1024, "0.0") if logo else None,
        has_settings=settings is not None, ratio=format_decimal(ratio, "0.00"),
        needed=format_decimal(MINIMUM_CONTRAST, "0.0"), max_kb=MAX_BYTES // 1024, max_pixels=MAX_PIXELS,
    ), status


@bp.route("/look", methods=["GET"])
@admin_required
def look():
    """The accent colour and the logo, with a preview of links and buttons."""
    return _page()


@bp.route("/look/colour", methods=["POST"])
@admin_required
def look_colour():
    """Save the accent colour (refused with the contrast it got if it fails AA on white)."""
    form = ColourForm()
    if not form.validate_on_submit():
        return _page(colour_form=form, status=400)
    settings = get_settings(db.session)
    try:
        branding.set_accent_colour(db.session, form.chosen(settings.accent_colour if settings else None),
                                   actor=current_user)
    except branding.BrandingRefused as refused:
        db.session.rollback()
        form.accent_colour.errors = [refusal_message(refused)]
        return _page(colour_form=form, status=400)
    saved = get_settings(db.session).accent_colour
    flash(_("Accent colour %(colour)s saved.", colour=saved) if saved else
          _("The portal's default colour is in use."), "success")
    return redirect(url_for("staff.look"), 303)


@bp.route("/look/logo", methods=["POST"])
@admin_required
def look_logo():
    """Store an uploaded PNG or SVG logo in place of the old one."""
    form = LogoForm()
    if not form.validate_on_submit():
        return _page(logo_form=form, status=400)
    try:
        branding.save_logo(db.session, form.logo.data.read(MAX_BYTES + 1), actor=current_user)
    except branding.BrandingRefused as refused:
        db.session.rollback()
        form.logo.errors = [refusal_message(refused)]
        return _page(logo_form=form, status=400)
    flash(_("Logo saved. Pages, emails and decision letters now show it."), "success")
    return redirect(url_for("staff.look"), 303)


@bp.route("/look/logo/remove", methods=["POST"])
@admin_required
def look_logo_remove():
    """Remove the logo: the company's name shows in its place."""
    if not RemoveLogoForm().validate_on_submit():
        return _page(status=400)
    removed = branding.remove_logo(db.session, actor=current_user)
    flash(_("Logo removed.") if removed else _("There was no logo to remove."), "success")
    return redirect(url_for("staff.look"), 303)
