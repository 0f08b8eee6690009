"""What leaves for the health centre: the daily list (export, export_forms), contact
tracing (tracing, tracing_forms), their files and downloads (export_files, downloads), and the
daily delivery by e-mail (delivery, delivery_mail, delivery_settings, delivery_forms,
daily_file).

Offers the others: tracing.DEFAULT_MIN_OVERLAP_MINUTES (the visit page's tracing link);
delivery.due_turn, hand_turn and deliver (app.jobs and `flask deliver`).
Imports employees, checkin, web and store.
"""
