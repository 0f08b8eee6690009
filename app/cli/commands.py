"""Command-line tasks: `flask --app wsgi <command>`."""

from __future__ import annotations

import sys

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from ..admin.entry_points import LocationError, create_location, listed
from ..admin.staff import StaffError, create_user
from ..auth.access import new_setup_token
from ..checkin.visits import auto_check_out
from ..store import audit
from ..store.models import User
from ..store.retention import purge
from ..web.links import external_url, path_for
from . import backup_commands, delivery_commands


def _check_url(_ctx, _param, value: str | None) -> str | None:
    if value and not value.startswith(("http://", "https://")):
        raise click.BadParameter("a base URL starts with http:// or https://")
    return value


def base_url_options(command):
    """--base-url, and --default-base-url as it always worked (used without PUBLIC_URL)."""
    command = click.option(
        "--default-base-url", "fallback_url", metavar="URL", hidden=True, callback=_check_url,
        help="Base URL for printed links when PUBLIC_URL is not set.")(command)
    return click.option(
        "--base-url", "base_url", metavar="URL", callback=_check_url,
        help="Base URL for printed links, e.g. https://vao.example.vn (default: PUBLIC_URL).",
    )(command)


def _base(base_url: str | None, fallback_url: str | None) -> str | None:
    """The URL given, else PUBLIC_URL (else the old option's); None when there is none, and
    then the command says how to set one."""
    base = base_url or current_app.config["PUBLIC_URL"] or fallback_url
    if not base:
        click.echo("Note: set GATEBOOK_PUBLIC_URL to the address visitors' phones use (or pass "
                   "--base-url) to print whole links.", err=True)
    return base


def _link(base: str | None, endpoint: str, **values) -> str:
    """The link on `base`; only the path without one."""
    return external_url(base, endpoint, **values) if base else path_for(endpoint, **values)


@click.command("add-location")
@with_appcontext
@click.argument("name")
@click.option("--if-none", is_flag=True, help="Only create it when there is no entry point yet.")
@base_url_options
def add_location_command(name: str, if_none: bool, base_url: str | None,
                         fallback_url: str | None) -> None:
    """Create an entry point and print its check-in URL."""
    if if_none and listed():
        return
    audit.record("location_create", {"name": name, "via": "command line"})
    try:
        location = create_location(name)
    except LocationError as error:
        raise click.BadParameter(str(error), param_hint="NAME") from None
    link = _link(_base(base_url, fallback_url), "checkin.form_page", token=location.token)
    click.echo(f"{location.name}: {link}")


@click.command("locations")
@with_appcontext
@base_url_options
def locations_command(base_url: str | None, fallback_url: str | None) -> None:
    """List entry points with their check-in URLs."""
    locations = listed()
    if not locations:
        click.echo("No entry points yet: flask --app wsgi add-location \"Cổng chính\"")
        return
    base = _base(base_url, fallback_url)
    for location in locations:
        state = "" if location.active else " (deactivated)"
        click.echo(f"{location.name}{state}: "
                   f"{_link(base, 'checkin.form_page', token=location.token)}")


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
@base_url_options
def setup_link_command(base_url: str | None, fallback_url: str | None) -> None:
    """While there is no admin, print a one-time link that creates the first admin account."""
    token = new_setup_token()
    if token is None:
        return
    click.echo("No admin account yet. Open this link once to create it:")
    click.echo(f"  {_link(_base(base_url, fallback_url), 'auth.setup', token=token)}")


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
                    backup_commands.backup_command, backup_commands.restore_command,
                    delivery_commands.deliver_command):
        app.cli.add_command(command)
