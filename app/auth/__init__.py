"""Staff sign-in: passwords, throttling of failed attempts, server-side sessions and
the first-run link (sign_in), and the sign-in forms (forms).

Offers the others: sign_in.hash_password, the attempt throttle (enrolment uses it),
forms.NewPasswordMixin. Imports store and web.
"""
