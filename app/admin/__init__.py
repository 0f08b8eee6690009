"""What the officer in charge sets up: entry points (entry_points) and their
posters (posters), staff accounts (staff), the health-measures notice (notice), how the audit
log reads (audit_details), and one audited change per button (audited_change).

Offers the others: entry_points.find_by_token / find_by_id / STILL_OPEN / EntryPoint (every
scan and the desk), notice.health_notice (the visitor's pages), posters' QR codes (the
employees' sheets). Imports auth, web and store.
"""
