"""Flask CLI commands for operators."""

from __future__ import annotations

import subprocess
import sys
import tomllib
import uuid
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from flask_security import hash_password
from sqlalchemy import func, select

from portal import mailer
from portal.cli_api import api_key_cli
from portal.cli_branding import controller_logo
from portal.cli_import import import_customers
from portal.cli_retention import retention_cli
from portal.config import BASE_DIR
from portal.extensions import db
from portal.models import Customer, Role, User
from portal.services import invitations
from portal.services.audit import (
    AnchorFailure,
    AnchorFileError,
    AnchorMismatch,
    anchor_head,
    append_anchor,
    read_anchors,
    record_audit,
    verify_chain,
)
from portal.services.controller import ALLOWED_KEYS, SettingsError, get_settings, update_settings

controller_cli = AppGroup("controller", help="Show or load the controller's details.")
controller_cli.add_command(controller_logo)
audit_cli = AppGroup("audit", help="Check the audit log.")
outbox_cli = AppGroup("outbox", help="Send queued email.")
translate_cli = AppGroup("translate", help="Extract, update and compile the translations.")


@click.command("demo")
@with_appcontext
def demo_command():
    """Load the fictional Esimerkki Oy register and print the demo log-ins."""
    from portal.demo import DemoRefused, load_demo

    try:
        logins = load_demo(db.session)
    except DemoRefused as exc:
        raise click.ClickException(
            f"the database already holds {exc.args[0]} real customer(s); the demo data "
            "is only loaded into an empty or demo-only database") from exc
    click.echo("Demo register for Esimerkki Oy is ready. Log-ins:")
    for login in logins:
        password = login.password or "(no password yet)"
        click.echo(f"  {login.role:9} {login.email:40} {password:22} {login.note}")


@controller_cli.command("load")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def controller_load(path: Path):
    """Load the controller's details from a TOML file (see examples/controller.toml)."""
    try:
        values = tomllib.loads(path.read_text(encoding="utf-8"))
        update_settings(db.session, values)
    except (tomllib.TOMLDecodeError, SettingsError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo("Controller settings saved.")


@controller_cli.command("show")
def controller_show():
    """Print the controller's current details."""
    settings = get_settings(db.session)
    if settings is None:
        raise click.ClickException("no controller settings yet: run 'controller load FILE'")
    for key in sorted(ALLOWED_KEYS):
        click.echo(f"{key} = {getattr(settings, key)!r}")


@click.command("create-staff")
@with_appcontext
@click.argument("email")
@click.option("--role", type=click.Choice(["reviewer", "admin"]), default="reviewer")
@click.password_option()
def create_staff(email: str, role: str, password: str):
    """Create a staff account with a password (two-step login is set up at first log-in)."""
    password_util = current_app.extensions["security"].password_util
    problems, normalized = password_util.validate(password, True, email=email)
    if problems:
        raise click.ClickException("; ".join(str(p) for p in problems))
    if db.session.execute(select(User).where(func.lower(User.email) == email.lower())).first():
        raise click.ClickException("an account with that email already exists")
    role_row = db.session.execute(select(Role).where(Role.name == role)).scalar_one_or_none()
    role_row = role_row or Role(name=role)
    user = User(email=email.lower(), password=hash_password(normalized), active=True,
                fs_uniquifier=uuid.uuid4().hex, roles=[role_row])
    db.session.add(user)
    db.session.flush()
    record_audit(db.session, "staff_created", actor_kind="system", details={"role": role, "user_id": user.id})
    db.session.commit()
    click.echo(f"Staff account created ({role}).")


@click.command("invite")
@with_appcontext
@click.argument("email")
def invite(email: str):
    """Email an invitation link to the register entry with this address."""
    customer = db.session.execute(
        select(Customer).where(func.lower(Customer.email) == email.lower())).scalar_one_or_none()
    if customer is None:
        raise click.ClickException("no register entry has that email address")
    if customer.account is not None and customer.account.password:
        raise click.ClickException("that customer has already activated their account")
    signer = invitations.Signer.from_config(current_app.config)
    with current_app.test_request_context(base_url=current_app.config["PORTAL_BASE_URL"]):
        invitations.invite_customer(db.session, signer, customer)
        db.session.commit()
    _drain()
    click.echo("Invitation queued.")


def _anchor_file() -> Path:
    """The file that keeps the audit chain's anchors (PORTAL_AUDIT_ANCHOR_FILE)."""
    return Path(current_app.config["PORTAL_AUDIT_ANCHOR_FILE"])


_ANCHOR_FAILURES = {
    AnchorFailure.MISSING: "event {id} is gone: the log was truncated or entries deleted",
    AnchorFailure.REWRITTEN: "event {id} now has another hash: entries up to it were rewritten",
    AnchorFailure.SHRUNK: "the log now holds fewer than {count} events: entries were deleted",
}


def _mismatch_message(mismatch: AnchorMismatch) -> str:
    """One line telling the operator which anchor the database contradicts, and how."""
    anchor = mismatch.anchor
    what = _ANCHOR_FAILURES[mismatch.failure].format(id=anchor.last_id, count=anchor.count)
    return (f"Audit log does NOT match anchor #{mismatch.number} "
            f"({anchor.to_line()}): {what}.")


@audit_cli.command("anchor")
def audit_anchor():
    """Append the audit chain's head to the anchor file and print the same line."""
    click.echo(anchor_head(db.session, _anchor_file()))


@audit_cli.command("verify")
@click.option("--anchor", "add_anchor", is_flag=True,
              help="If the log verifies, anchor its head (for a daily timer).")
def audit_verify(add_anchor: bool):
    """Recompute the keyed hash chain and compare it with every anchor; exit 1 on tampering."""
    path = _anchor_file()
    try:
        anchors = read_anchors(path)
    except AnchorFileError as exc:
        raise click.ClickException(str(exc)) from exc
    report = verify_chain(db.session, anchors or ())
    if report.first_bad_id is not None:
        hint = (" Is PORTAL_AUDIT_KEY the key this log was written with, and has 'flask db upgrade' "
                "run?" if not report.checked else "")
        click.echo(f"Audit chain BROKEN at event {report.first_bad_id} "
                   f"({report.checked} events verified before it).{hint}", err=True)
        sys.exit(1)
    for mismatch in report.anchor_mismatches:
        click.echo(_mismatch_message(mismatch), err=True)
    if not report.ok:
        sys.exit(1)
    matched = f", {report.anchors_checked} anchor(s) in {path} match" if anchors else ""
    click.echo(f"Audit chain intact: {report.checked} events verified{matched}.")
    if not anchors:
        click.echo(f"Warning: no anchor in {path} yet; run 'flask audit anchor' "
                   "so that truncation can be detected.", err=True)
    if add_anchor:
        click.echo(append_anchor(path, report.head))


def _drain() -> int:
    return mailer.drain(current_app._get_current_object())


@outbox_cli.command("send")
def outbox_send():
    """Send every email that is due."""
    click.echo(f"Sent {_drain()} message(s).")


def _pybabel(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", *args], check=True, cwd=BASE_DIR)


@translate_cli.command("extract")
def translate_extract():
    """Extract the messages into translations/messages.pot."""
    _pybabel("extract", "-F", "babel.cfg", "-k", "_l", "-o", "translations/messages.pot", ".")


@translate_cli.command("update")
def translate_update():
    """Extract, then merge new messages into the catalogues."""
    translate_extract.callback()
    _pybabel("update", "-i", "translations/messages.pot", "-d", "translations", "-D", "messages",
             "--no-fuzzy-matching", "--ignore-obsolete")


@translate_cli.command("compile")
def translate_compile():
    """Compile the catalogues (.mo files are build output, not committed)."""
    _pybabel("compile", "-d", "translations")
    _pybabel("compile", "-d", "translations", "-D", "flask_security")


def register(app: Flask) -> None:
    """Add the commands to `flask`."""
    for command in (demo_command, create_staff, invite, import_customers):
        app.cli.add_command(command)
    for group in (controller_cli, audit_cli, outbox_cli, translate_cli, api_key_cli, retention_cli):
        app.cli.add_command(group)
