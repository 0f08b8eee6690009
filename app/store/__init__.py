"""What is kept, and how: the tables and named states (models, Role among them), the
database's set-up and write lock (database), the per-process 5-second cache (cache), the
time (clock), the one stored form of typed text (normalise), hashed tokens (tokens), the
audit log (audit), the purge (retention), backups and restores (backup, restore,
server_lock) and private files on disk (file_modes).

Offers the others: models, clock, normalise, database.write_transaction / reads_only /
writes_late, cache.kept / forget_on_change, audit.record, retention.purge, backup.take_backup.
Imports nothing of the application but app.extensions.
"""
