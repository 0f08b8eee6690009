"""Command-line tasks: `flask --app wsgi <command>`."""

from __future__ import annotations

import sys

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from . import audit, backup_cli
from .auth import new_setup_token
from .checkin import auto_check_out
from .links import external_url
from .locations import LocationError, checkin_url, create_location, listed
from .models import User
from .retention import purge
from .staff import StaffError, create_user

DEFAULT_BASE_URL = "http://127.0.0.1:5000"


def _base_url(default: str | None) -> str:
    return current_app.config["PUBLIC_URL"] or default or DEFAULT_BASE_URL


base_url_option = click.option(
    "--default-base-url", "base_url", metavar="URL",
    help=f"Base URL for printed links when PUBLIC_URL is not set (default {DEFAULT_BASE_URL}).")


@click.command("add-location")
@with_appcontext
@click.argument("name")
@click.option("--if-none", is_flag=True, help="Only create it when there is no entry point yet.")
@base_url_option
def add_location_command(name: str, if_none: bool, base_url: str | None) -> None:
    """Create an entry point and print its check-in URL."""
    if if_none and listed():
        return
    audit.record("location_create", {"name": name, "via": "command line"})
    try:
        location = create_location(name)
    except LocationError as error:
        raise click.BadParameter(str(error), param_hint="NAME") from None
    click.echo(f"{location.name}: {checkin_url(location, _base_url(base_url))}")


@click.command("locations")
@with_appcontext
@base_url_option
def locations_command(base_url: str | None) -> None:
    """List entry points with their check-in URLs."""
    locations = listed()
    if not locations:
        click.echo("No entry points yet: flask --app wsgi add-location \"Cổng chính\"")
    for location in locations:
        state = "" if location.active else " (deactivated)"
        click.echo(f"{location.name}{state}: {checkin_url(location, _base_url(base_url))}")
    if not current_app.config["PUBLIC_URL"]:
        click.echo("Note: set GATEBOOK_PUBLIC_URL to an address visitors' phones can reach.",
                   err=True)


@click.command("create-user")
@with_appcontext
@click.argument("username")
@click.option("--role", type=click.Choice(User.ROLES), required=True)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def create_user_command(username: str, role: str, password_stdin: bool) -> None:
    """Create a staff account (the password is prompted for, or read from standard input)."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    audit.record("user_create", {"account": username, "role": role, "via": "command line"})
    try:
        user = create_user(username, role, password)
    except StaffError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Created {user.role} {user.username!r}.")


@click.command("setup-link")
@with_appcontext
@base_url_option
def setup_link_command(base_url: str | None) -> None:
    """While there is no admin, print a one-time link that creates the first admin account."""
    token = new_setup_token()
    if token is None:
        return
    click.echo("No admin account yet. Open this link once to create it:")
    click.echo(f"  {external_url(_base_url(base_url), 'auth.setup', token=token)}")


@click.command("auto-checkout")
@with_appcontext
def auto_checkout_command() -> None:
    """Check out the visits still open at the end of their day (the server also does this)."""
    click.echo(f"Checked out {auto_check_out()} visits.")


@click.command("purge")
@with_appcontext
def purge_command() -> None:
    """Delete visits older than the retention period (the server also does this)."""
    click.echo(f"Deleted {purge()} visits older than {current_app.config['RETENTION_DAYS']} days.")


def init_app(app: Flask) -> None:
    """Register the commands."""
    for command in (add_location_command, locations_command, create_user_command,
                    setup_link_command, auto_checkout_command, purge_command,
                    backup_cli.backup_command, backup_cli.restore_command):
        app.cli.add_command(command)
