"""The organisation's own staff and workers: the register (register), its import
from CSV or XLSX (register_import, register_files), the register page's forms
(register_forms) and each employee's phone, enrolled once and recognised at every scan
(enrolment, enrolment_forms).

Offers the others: register.normalise_code / CODE (tracing's form), enrolment.device_of (the
visitor's pages). Imports checkin, auth, web and store.
"""
