"""Fixtures for the operations tests: configs, a fixed date, and a database with seeded
synthetic backlog and workforce data.  The web fixtures (users, logged-in clients) are
reused from tests/web."""

from __future__ import annotations

import sqlite3
from datetime import date

import pytest

from seawall.operations.config import backlog_config
from seawall.operations.reports import configs
from seawall.operations.synthetic import populate
from seawall.store.db import dispose_engine, session_scope
from tests.conftest import create_pg_database, drop_pg_database, test_backend
from tests.web.conftest import (  # noqa: F401  (fixtures re-exported for these tests)
    app,
    as_user,
    client,
    fake_matching,
    ids,
    settings,
    template_db,
)

AS_OF = date(2026, 3, 2)  # a Monday


@pytest.fixture
def bcfg():
    return backlog_config()


@pytest.fixture
def cfgs():
    return configs()


@pytest.fixture(scope="session")
def ops_template(template_db, tmp_path_factory):  # noqa: F811
    """The web test database plus synthetic operations data (seed 1, as of AS_OF)."""
    if test_backend() == "postgresql":
        url = create_pg_database(template=template_db[0].rsplit("/", 1)[1])
        with session_scope(url) as s:
            populate(s, "test", seed=1, as_of=AS_OF)
        dispose_engine(url)
        yield url
        drop_pg_database(url)
        return
    path = tmp_path_factory.mktemp("ops") / "ops.db"
    with sqlite3.connect(template_db[0]) as source, sqlite3.connect(path) as target:
        source.backup(target)
    with session_scope(f"sqlite:///{path}") as s:
        populate(s, "test", seed=1, as_of=AS_OF)
    yield path


@pytest.fixture
def db_url(ops_template, tmp_path):
    if test_backend() == "postgresql":
        url = create_pg_database(template=str(ops_template).rsplit("/", 1)[1])
        yield url
        drop_pg_database(url)
        return
    path = tmp_path / "seawall.db"
    with sqlite3.connect(ops_template) as source, sqlite3.connect(path) as target:
        source.backup(target)
    yield f"sqlite:///{path}"
