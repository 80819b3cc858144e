"""The Alembic migrations build exactly the schema the models describe, on each back-end."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from seawall.store.all_models import Base
from seawall.store.db import alembic_config, get_engine


def test_single_head():
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    assert len(script.get_heads()) == 1


def test_migrated_schema_matches_models(db_url: str):
    engine = get_engine(db_url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_migrating_twice_is_harmless(db_url: str):
    from seawall.store.db import upgrade

    get_engine(db_url)
    upgrade(db_url)  # already at head: nothing to do, nothing fails
