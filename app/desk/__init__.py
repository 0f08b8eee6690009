"""The receptionist's day: the day list with its filters, counters, changes and chart
(day_list, day_list_forms), flagged check-ins waiting for the gate's decision (alerts,
alerts_forms), staff entry and paper slips (entry_forms, with a CCCD read by cccd and
addresses) and a visit's page (visit_page).

Offers the others nothing but its views' helpers. Imports reports, checkin, admin, web and
store.
"""
