"""Engine and session helpers.  Every database is brought to the newest Alembic revision
when it is opened, so a fresh SQLite file and a long-lived PostgreSQL server behave alike."""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

DEFAULT_DB_URL = "sqlite:///seawall.db"
MIGRATIONS_DIR = Path(__file__).with_name("migrations")
# The Alembic head revision(s) this code expects.  Kept here so that opening an up-to-date
# database needs neither Alembic nor its scripts (~0.35 s per CLI command); a test checks it
# equals the migrations' heads, so a new migration cannot be forgotten here.
SCHEMA_HEADS = frozenset({"0011_version_trust"})


def resolve_url(url: str | None = None) -> str:
    return url or os.environ.get("SEAWALL_DB") or DEFAULT_DB_URL


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets the web app read while a scan writes; a busy timeout rather than instant
    # "database is locked" errors when two processes commit at once.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    # 64 MiB page cache: hash indexes take random inserts; the default 2 MiB thrashes.
    cursor.execute("PRAGMA cache_size=-65536")
    cursor.close()


def alembic_config(url: str):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str) -> None:
    from alembic import command

    command.upgrade(alembic_config(url), "heads")


_ENGINES: dict[str, Engine] = {}


def get_engine(url: str | None = None, migrate: bool = True) -> Engine:
    """Return the process-wide engine for ``url``, migrated to the newest schema once."""
    url = resolve_url(url)
    engine = _ENGINES.get(url)
    if engine is None:
        engine = _ENGINES[url] = _create_engine(url, migrate)
    return engine


def dispose_engine(url: str) -> None:
    """Close every pooled connection to ``url`` (before dropping a test database)."""
    engine = _ENGINES.pop(url, None)
    if engine is not None:
        engine.dispose()


def _create_engine(url: str, migrate: bool) -> Engine:
    original = url
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    kwargs = {}
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"timeout": 30}
    engine = create_engine(url, future=True, **kwargs)
    if url.startswith("sqlite"):
        event.listen(engine, "connect", _sqlite_pragmas)
    if migrate and not _at_head(engine):
        upgrade(original)
    return engine


def _at_head(engine: Engine) -> bool:
    """True when the database has exactly ``SCHEMA_HEADS``: then the (slower) Alembic
    upgrade machinery is not started at all, which matters for short CLI commands."""
    from sqlalchemy.exc import SQLAlchemyError

    try:
        with engine.connect() as conn:
            current = {row[0] for row in
                       conn.exec_driver_sql("SELECT version_num FROM alembic_version")}
    except SQLAlchemyError:
        return False
    return current == SCHEMA_HEADS


def session_factory(url: str | None = None) -> sessionmaker[Session]:
    return sessionmaker(bind=get_engine(url), expire_on_commit=False, future=True)


@contextmanager
def session_scope(url: str | None = None):
    """A transaction: commit on success, roll back on any error."""
    session = session_factory(url)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
