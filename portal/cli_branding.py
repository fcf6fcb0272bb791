"""`flask controller logo FILE` and `flask controller logo --remove`: the logo without the staff pages."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext
from flask_babel import force_locale

from portal.brand_words import refusal_message
from portal.extensions import db
from portal.services import branding
from portal.services.logo_checks import MAX_BYTES


@click.command("logo")
@with_appcontext
@click.argument("path", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--remove", is_flag=True, help="Remove the logo: pages show the company's name again.")
def controller_logo(path: Path | None, remove: bool):
    """Store the company's logo (PNG or SVG, checked) in the database, or remove it."""
    if remove == (path is not None):
        raise click.UsageError("give either a PNG or SVG FILE or --remove")
    if remove:
        removed = branding.remove_logo(db.session, actor_kind="system")
        click.echo("Logo removed." if removed else "There was no logo to remove.")
        return
    with path.open("rb") as handle:
        content = handle.read(MAX_BYTES + 1)
    try:
        facts = branding.save_logo(db.session, content, actor_kind="system")
    except branding.BrandingRefused as refused:
        with force_locale("en"):
            raise click.ClickException(refusal_message(refused)) from refused
    click.echo(f"Logo saved ({facts.media_type}, {len(content)} bytes).")
