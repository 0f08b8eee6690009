"""What leaves for the health centre: the daily list (export, export_forms), contact
tracing (tracing, tracing_forms), and their files and downloads (export_files, downloads).

Offers the others: tracing.DEFAULT_MIN_OVERLAP_MINUTES (the visit page's tracing link).
Imports employees, checkin, web and store.
"""
