"""Reuse the web tests' seeded database, app and logged-in clients for the casework pages."""

from tests.web.conftest import (  # noqa: F401 - fixtures, found by name
    app,
    as_user,
    client,
    db_url,
    fake_matching,
    ids,
    settings,
    template_db,
)
