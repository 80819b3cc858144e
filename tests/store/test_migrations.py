"""The Alembic migrations build exactly the schema the models describe, on each back-end."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from seawall.store.all_models import Base
from seawall.store.db import alembic_config, get_engine


def test_single_head_and_the_code_knows_it():
    from seawall.store.db import SCHEMA_HEADS

    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    assert len(script.get_heads()) == 1
    assert set(script.get_heads()) == SCHEMA_HEADS


def test_migrated_schema_matches_models(db_url: str):
    engine = get_engine(db_url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_migrating_twice_is_harmless(db_url: str):
    from seawall.store.db import upgrade

    get_engine(db_url)
    upgrade(db_url)  # already at head: nothing to do, nothing fails


def test_head_check_skips_only_an_up_to_date_database(tmp_path):
    from sqlalchemy import create_engine

    from seawall.store.db import _at_head

    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    raw = create_engine(url)
    assert not _at_head(raw)  # no alembic_version table yet
    get_engine(url)
    assert _at_head(raw)
    with raw.begin() as conn:  # an older revision: must migrate again
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '0001_scan'")
    assert not _at_head(raw)
