"""The request's edge and what every page shares: the Flask class (application), what a
request may hold (boundary), the headers every response carries (headers, gunicorn_errors),
error pages (errors), fingerprinted static files (static_files), compression, the language a
page speaks (language), links and safe redirects (links, redirects), what templates can use
(templating) and the base of every form (form_fields: AppForm, ActionForm, the shared
checks).

Offers the areas: form_fields, templating.label, links, redirects.local_path, boundary's
decorators (multiline, large_body), errors' database-unavailable page. Imports only store.
"""
