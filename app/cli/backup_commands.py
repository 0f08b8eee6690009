"""`flask backup` and `flask restore FILE`: SQLite backups from the command line."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from ..extensions import db
from ..store import audit, backup, restore, server_lock
from ..store.retention import purge

PG_BACKUP = ("The database is PostgreSQL: back it up with pg_dump and restore it with "
             "pg_restore, as the README's \"Backups\" section shows.")


@click.command("backup")
@with_appcontext
def backup_command() -> None:
    """Copy the SQLite database into instance/backups/ (the server also does this daily)."""
    try:
        taken = backup.take_backup()
    except backup.NotSQLite:
        raise click.ClickException(PG_BACKUP) from None
    except backup.BackupError as error:
        raise click.ClickException(str(error)) from None
    audit.record("backup", {"file": taken.path.name, "via": "command line"})
    db.session.commit()
    click.echo(f"Backed up to {taken.path} ({taken.size / 1e6:.1f} MB, integrity check ok).")


@click.command("restore")
@with_appcontext
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation (for scripts).")
def restore_command(file: Path, yes: bool) -> None:
    """Replace the SQLite database with a backup (every server must be stopped first)."""
    try:
        live = backup.database_file()
        with server_lock.exclusive(current_app.instance_path), restore.staged(file) as checked:
            if not yes:
                click.confirm(f"Replace the database {live} with {file}? Whatever was "
                              "recorded after that backup is lost.", abort=True)
            _restore(live, file, checked)
    except backup.NotSQLite:
        raise click.ClickException(PG_BACKUP) from None
    except server_lock.DatabaseInUse as in_use:
        raise click.ClickException(
            f"A server is using the database (it holds {in_use}): stop it first, e.g. "
            "`systemctl stop gatebook`, then restore again. Nothing was changed.") from None
    except backup.BackupError as error:
        raise click.ClickException(str(error)) from None


def _restore(live: Path, file: Path, checked: Path) -> None:
    if live.exists():
        # The current state is kept too, so that a restore can itself be undone.
        saved = backup.take_backup()
        click.echo(f"The current database is saved as {saved.path}.")
    backup.restore_backup(checked)  # already at this code's schema
    purge()  # nothing past the retention period comes back with it
    audit.record("restore", {"file": file.name, "via": "command line"})
    db.session.commit()
    click.echo(f"Restored {live} from {file}.")
