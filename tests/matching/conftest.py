from tests.hashsets.conftest import db_url, session  # noqa: F401  (shared fixtures)
