"""Alembic environment: runs migrations on the app's own engine (SQLite or PostgreSQL)."""

import logging
from contextlib import nullcontext
from logging.config import fileConfig

from alembic import context
from flask import current_app
from sqlalchemy import text

config = context.config
# Alembic's own log lines only; leave the application's loggers as they are.
fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")
# PostgreSQL advisory lock key ("gatebook" in ASCII): servers starting together upgrade in turn.
MIGRATION_LOCK = 0x6761746562_6F6F6B

target_db = current_app.extensions["migrate"].db
config.set_main_option(
    "sqlalchemy.url", target_db.engine.url.render_as_string(hide_password=False).replace("%", "%%"))


def run_migrations_offline():
    """Write the SQL to standard output instead of running it (flask db upgrade --sql)."""
    context.configure(url=config.get_main_option("sqlalchemy.url"),
                      target_metadata=target_db.metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    """Run the migrations on a connection from the app's engine, or on the one the caller
    gave (config.attributes["connection"])."""

    def process_revision_directives(context, revision, directives):
        # `flask db migrate` with no model change writes no empty revision.
        if getattr(config.cmd_opts, "autogenerate", False):
            script = directives[0]
            if script.upgrade_ops.is_empty():
                directives[:] = []
                logger.info("No changes in schema detected.")

    conf_args = current_app.extensions["migrate"].configure_args
    conf_args.setdefault("process_revision_directives", process_revision_directives)

    given = config.attributes.get("connection")
    if given is not None:
        # A database file of its own (a restore's staging copy, app.store.restore): nobody else
        # uses it.
        _upgrade(given, conf_args)
        return
    # SQLite: alembic commits after each step (its DDL is not transactional), which would let
    # another `flask db upgrade` read the version between two steps and run the next one too.
    # This machine's writer lock (app.store.database.WriterLock) is held for the whole upgrade.
    writers = current_app.extensions.get("gatebook_writer_lock")
    with writers.held() if writers else nullcontext(), target_db.engine.connect() as connection:
        _upgrade(connection, conf_args)


def _upgrade(connection, conf_args):
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # SQLite alters a table by copying it and dropping the original; with foreign keys
        # on, dropping "visit" would cascade and delete every companion. Off for the
        # migration (it must be said outside a transaction, so on the driver connection),
        # checked and back on afterwards.
        connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")
    try:
        context.configure(connection=connection, target_metadata=target_db.metadata,
                          **conf_args)
        with context.begin_transaction():
            if connection.dialect.name == "postgresql":
                # Held until this transaction ends; whoever waited then finds the schema
                # up to date. (SQLite serialises by itself: the transaction begins
                # IMMEDIATE, app.store.database.)
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                                   {"key": MIGRATION_LOCK})
            context.run_migrations()
            if sqlite:
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
                if broken:
                    raise RuntimeError(f"migration left broken references: {broken[:5]}")
    finally:
        if sqlite:
            connection.connection.driver_connection.execute("PRAGMA foreign_keys=ON")


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
