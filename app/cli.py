"""Command-line tasks: `flask --app wsgi <command>`."""

from __future__ import annotations

import sys

import click
from flask import Flask, current_app, url_for
from flask.cli import with_appcontext
from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from .extensions import db
from .models import Location, User

# OWASP's minimum for scrypt: N=2^17, r=8, p=1.
PASSWORD_HASH_METHOD = "scrypt:131072:8:1"
MIN_PASSWORD_LENGTH = 10


def checkin_url(location: Location, base_url: str | None = None) -> str:
    """The URL a poster's QR code opens: the public base URL + /c/<token>."""
    base = (base_url or current_app.config["PUBLIC_URL"] or "http://127.0.0.1:5000").rstrip("/")
    with current_app.test_request_context():
        path = url_for("public.checkin", token=location.token)
    return base + path


def hash_password(password: str) -> str:
    """A password hash at OWASP's minimum cost or above."""
    return generate_password_hash(password, method=PASSWORD_HASH_METHOD)


base_url_option = click.option(
    "--base-url", help="Base URL to print instead of PUBLIC_URL (e.g. http://192.168.1.10:5000).")


@click.command("add-location")
@with_appcontext
@click.argument("name")
@click.option("--if-none", is_flag=True, help="Only create it when there is no entry point yet.")
@base_url_option
def add_location_command(name: str, if_none: bool, base_url: str | None) -> None:
    """Create an entry point and print its check-in URL."""
    name = name.strip()
    if not name or len(name) > 100:
        raise click.BadParameter("the name must have 1 to 100 characters", param_hint="NAME")
    if if_none and db.session.scalar(select(func.count(Location.id))):
        return
    location = Location(name=name)
    db.session.add(location)
    db.session.commit()
    click.echo(f"{location.name}: {checkin_url(location, base_url)}")


@click.command("locations")
@with_appcontext
@base_url_option
def locations_command(base_url: str | None) -> None:
    """List entry points with their check-in URLs."""
    locations = db.session.scalars(select(Location).order_by(Location.id)).all()
    if not locations:
        click.echo("No entry points yet: flask --app wsgi add-location \"Cổng chính\"")
    for location in locations:
        state = "" if location.active else " (deactivated)"
        click.echo(f"{location.name}{state}: {checkin_url(location, base_url)}")
    if not (base_url or current_app.config["PUBLIC_URL"]):
        click.echo("Note: set GATEBOOK_PUBLIC_URL to an address visitors' phones can reach.",
                   err=True)


@click.command("create-user")
@with_appcontext
@click.argument("username")
@click.option("--role", type=click.Choice(User.ROLES), required=True)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def create_user_command(username: str, role: str, password_stdin: bool) -> None:
    """Create a staff account (the password is prompted for, or read from standard input)."""
    username = username.strip()
    if not username or len(username) > 60:
        raise click.BadParameter("the user name must have 1 to 60 characters",
                                 param_hint="USERNAME")
    if db.session.scalar(select(User).where(func.lower(User.username) == username.lower())):
        raise click.ClickException(f"a user named {username!r} already exists")
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise click.ClickException(
            f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    db.session.add(User(username=username, role=role, password_hash=hash_password(password)))
    db.session.commit()
    click.echo(f"Created {role} {username!r}.")


def init_app(app: Flask) -> None:
    """Register the commands."""
    for command in (add_location_command, locations_command, create_user_command):
        app.cli.add_command(command)
