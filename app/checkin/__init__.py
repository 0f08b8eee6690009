"""The visitor's check-in: the declaration as data and as a form (declaration,
declaration_forms), the check-in form (forms), the write: check in, check out, corrections,
auto check-out (visits), where a party is (presences), the pass a confirmation shows (passes)
and a plain pass's page from its copy (pass_copies), what the phone keeps (visitor_cookies)
and what a scan opens (scan).

Offers the others: visits.check_in / check_out / auto_check_out, forms.CheckInForm and
declaration_context, declaration's questions, presences, scan.active_location and
with_visit_secret. Imports admin, web and store.
"""
