"""Command-line tasks, `flask --app wsgi <command>`: entry points, accounts, the
first-run link, auto check-out and the purge (commands), backup and restore
(backup_commands), a day's delivery by hand (delivery_commands). commands.init_app registers
them all.
"""
