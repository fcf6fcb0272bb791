"""`flask retention run [--dry-run] [--today YYYY-MM-DD]`: the daily retention job (docs/RETENTION.md).

The output names customers by register id and customer number only, never by name: it ends up
in the journal or a cron mail.
"""

from __future__ import annotations

import sys
from datetime import date, datetime

import click
from flask.cli import AppGroup

from portal.extensions import db
from portal.models.types import utcnow
from portal.services import retention
from portal.services.holds import Hold
from portal.services.requests import helsinki_date

retention_cli = AppGroup("retention", help="Erase customers whose retention period is over.")


def _hold(hold: Hold) -> str:
    """A hold as `code until date` or `code until event`."""
    until = hold.until.isoformat() if hold.until else (str(hold.until_event) if hold.until_event else "")
    return f"{hold.code} ({until})" if until else str(hold.code)


def _holds(holds: tuple[Hold, ...]) -> str:
    """Holds as a comma-separated list, or "-" for none."""
    return ", ".join(_hold(hold) for hold in holds) or "-"


def _echo_plan(plan: retention.Plan) -> None:
    """The plan as three tables: due for erasure, skipped, kept data to purge."""
    click.echo(f"Due for erasure ({len(plan.due)}): relationship ended {plan.years} years ago or more")
    if plan.due:
        click.echo(f"  {'id':>8}  {'number':16}  {'retention ended':15}  {'erase':50}  keep (hold, until)")
        for due in plan.due:
            erase = ", ".join(str(item) for item in due.erase) or "-"
            click.echo(f"  {due.customer_id:>8}  {due.customer_number or '-':16}  "
                       f"{due.retention_ended.isoformat():15}  {erase:50}  {_holds(due.kept)}")
    click.echo(f"Skipped ({len(plan.skipped)}): left for staff to decide first")
    for skipped in plan.skipped:
        click.echo(f"  {skipped.customer_id:>8}  {skipped.customer_number or '-':16}  "
                   f"{skipped.reason}: {', '.join(skipped.references)}")
    click.echo(f"Kept data to purge ({len(plan.purges)}): a hold has ended or the purge date has come")
    for purge in plan.purges:
        when = purge.purge_on.isoformat() if purge.purge_on else "-"
        click.echo(f"  {purge.customer_id:>8}  {purge.customer_number or '-':16}  purge date {when:10}  "
                   f"still kept: {_holds(purge.kept)}")


@retention_cli.command("run")
@click.option("--dry-run", is_flag=True, help="List what would be erased and purged; change nothing.")
@click.option("--today", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Count as if today were this date (drills on a copy of the database, tests). "
                   "Default: today in Finland.")
def run_command(dry_run: bool, as_of: datetime | None):
    """Erase customers whose relationship ended more than the retention period ago, and purge what
    partial erasures kept once their holds end. Audited; exit 1 if any customer failed."""
    today: date = as_of.date() if as_of else helsinki_date(utcnow())
    if dry_run:
        plan = retention.plan(db.session, today)
        db.session.rollback()
        click.echo(f"Retention dry run for {today.isoformat()}: nothing is changed.")
        _echo_plan(plan)
        click.echo(f"Would erase {len(plan.due)} ({sum(not d.complete for d in plan.due)} partly, "
                   f"held data kept), skip {len(plan.skipped)}, purge {len(plan.purges)}.")
        return
    outcome = retention.run(db.session, today)
    click.echo(f"Retention run for {today.isoformat()}.")
    _echo_plan(outcome.plan)
    click.echo(f"Erased {outcome.erased} ({outcome.erased_partly} partly, held data kept), "
               f"skipped {len(outcome.plan.skipped)}, purged {outcome.purged}, failed {len(outcome.failed)}.")
    if outcome.failed:
        failed = ", ".join(str(customer_id) for customer_id in outcome.failed)
        click.echo(f"Failed (rolled back, see the log): {failed}", err=True)
        sys.exit(1)
