"""Accounts: users, their roles and the cases assigned to them.

The one place that says who may do what (:mod:`.roles`), how users are created and their
passwords kept (:mod:`.users`), and which cases a user may see (:mod:`.assignments`).  Both
the web app and the command line use it; logins, sessions and cookies stay in
:mod:`seawall.web`.
"""
