"""`flask api-key create|list|revoke`: the keys of the company's own systems for the sync API."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from portal.extensions import db
from portal.models.api import API_SCOPES
from portal.services import api_keys

api_key_cli = AppGroup("api-key", help="Create, list and revoke the sync API's keys (/api/v1).")

_REFUSALS = {
    "name": "the name must be 1-64 letters, digits, spaces, dots, dashes or underscores",
    "scopes": "give at least one --scope",
    "name_taken": "a key with that name exists (revoked keys keep their names): choose another name",
    "unknown": "no key has that name",
    "already_revoked": "that key is already revoked",
}


def _when(moment) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "-"


@api_key_cli.command("create")
@click.argument("name")
@click.option("--scope", "scopes", multiple=True, required=True, type=click.Choice(API_SCOPES),
              help="What the key may do; repeat for several.")
def create(name: str, scopes: tuple[str, ...]):
    """Create a key for the system NAME and print it once."""
    try:
        new = api_keys.create_api_key(db.session, name, scopes)
    except api_keys.ApiKeyRefused as refused:
        raise click.ClickException(_REFUSALS[refused.code]) from None
    click.echo(f"API key for {new.row.name} ({new.row.scopes}):")
    click.echo(f"  {new.secret}")
    click.echo("Store it now in the system's secret store: it cannot be shown again. "
               "Only its hash is kept; if it is lost, revoke it and create a new one.")


@api_key_cli.command("list")
def list_keys():
    """List the keys: name, prefix, scopes, created, last used, revoked."""
    rows = api_keys.list_api_keys(db.session)
    if not rows:
        click.echo("No API keys yet: create one with 'flask api-key create NAME --scope ...'.")
        return
    click.echo(f"{'name':24} {'prefix':8}  {'created':20} {'last used':20} {'revoked':20} scopes")
    for row in rows:
        click.echo(f"{row.name:24} {row.prefix:8}  {_when(row.created_at):20} {_when(row.last_used_at):20} "
                   f"{_when(row.revoked_at):20} {row.scopes}")


@api_key_cli.command("revoke")
@click.argument("name")
def revoke(name: str):
    """Revoke the key of the system NAME at once."""
    try:
        api_keys.revoke_api_key(db.session, name)
    except api_keys.ApiKeyRefused as refused:
        raise click.ClickException(_REFUSALS[refused.code]) from None
    click.echo(f"The key of {name} is revoked: it no longer works.")
