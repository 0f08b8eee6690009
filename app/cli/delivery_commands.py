"""`flask deliver --day YYYY-MM-DD`: one day's file sent to the health centre by hand (a day
the daily delivery missed), as the server sends it (app.reports.delivery)."""

from __future__ import annotations

from datetime import date

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import force_locale

from .. import jobs
from ..extensions import db
from ..reports import delivery
from ..store import clock
from ..store.models import Delivery, DeliveryStatus


def _day(_ctx, _param, value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date: write it as YYYY-MM-DD, e.g. "
                                 "2021-07-31") from None


@click.command("deliver")
@with_appcontext
@click.option("--day", "day", required=True, metavar="YYYY-MM-DD", callback=_day,
              help="The local day whose file is sent.")
@click.option("--again", is_flag=True,
              help="Send it to every recipient, also to those who have it already.")
def deliver_command(day: date, again: bool) -> None:
    """Send one day's file to the health centre's recipients now (for a day that was missed)."""
    if day >= clock.local_today():
        raise click.BadParameter(f"{day.isoformat()} is not over yet: a day is sent once it "
                                 f"has ended", param_hint="--day")
    if delivery.past_retention(day):
        days = current_app.config["RETENTION_DAYS"]
        raise click.BadParameter(f"{day.isoformat()} is past the retention period ({days} "
                                 "days): its visits have been deleted, so nothing is sent",
                                 param_hint="--day")
    row = db.session.get(Delivery, day)
    if row is not None and row.status == DeliveryStatus.SENT and not again:
        click.echo(f"{day.isoformat()} was sent already, to {', '.join(row.sent_to.split())}. "
                   "To send it once more: --again")
        return
    turn = delivery.hand_turn(day)
    if not jobs.claim("delivery", turn.period):
        raise click.ClickException(f"{day.isoformat()} is being sent right now by the server; "
                                   "its page says how it went")
    outcome = delivery.deliver(turn, via="command line", again=again)
    if not outcome.ok:
        with force_locale("en"):  # as the command line's other words
            problem = delivery.problem_words(outcome.error)
        raise click.ClickException(f"{day.isoformat()} was not sent: {problem}")
    click.echo(f"Sent the file of {day.isoformat()} ({outcome.people} people) to "
               f"{', '.join(outcome.sent_to) or 'nobody new: every recipient has it'}.")
