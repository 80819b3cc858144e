"""Import, list and remove hash sets.

An import is one database transaction: the new version's entries are streamed in batches,
checked (bad rows, duplicates, conflicting categories), and only then made current.  Any
error rolls everything back, so the previous version stays current and complete.
"""

from __future__ import annotations

import hashlib
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session

import seawall
from seawall.hashsets.base import (
    MAX_ERRORS,
    HashingReader,
    ImportContext,
    ImportFailed,
    ImportIssue,
    _TooMany,
)
from seawall.hashsets.registry import FORMATS
from seawall.hashsets.scheme import KNOWN_BENIGN, Scheme, SchemeError, load_scheme, scheme_file
from seawall.registry import UnknownName
from seawall.store.hashset_defaults import DEFAULT_PDQ_DISTANCE
from seawall.store.hashset_models import (
    ROLES,
    HashEntry,
    HashMatch,
    HashSet,
    HashSetVersion,
)

BATCH = 20000
STAGE = "seawall_import_stage"
COLUMNS = "version_id, kind, value, category, raw_code, position, payload"


def _file_sha256(path: Path, progress=None) -> str:
    h = hashlib.sha256()
    size = path.stat().st_size
    done = 0
    with open(path, "rb") as f:
        while chunk := f.read(1 << 22):
            h.update(chunk)
            done += len(chunk)
            if progress:
                progress(done, size)
    return h.hexdigest()


def import_hashset(
    session: Session,
    path: str | Path,
    fmt: str,
    name: str,
    *,
    scheme: str | None = None,
    scheme_path: str | Path | None = None,
    category: str | None = None,
    dialect: str | None = None,
    trusted: bool = True,
    description: str | None = None,
    pdq_distance: int = DEFAULT_PDQ_DISTANCE,
    role: str = "positive",
    progress: Callable[[str, int, int | None], None] | None = None,
) -> HashSetVersion:
    """Import ``path`` as a new version of set ``name``; commit, or roll back and raise.

    ``pdq_distance``: the Hamming distance within which this version's PDQ entries match.
    ``role``: "positive", or "negative" for known false positives (flat or generic
    pictures): a file matching one is never categorised by PDQ (see matching.service);
    a negative list needs no category.
    ``progress(stage, done, total)`` is called now and then (stage "hash" or "read").
    Raises :class:`ImportFailed` (with positions) and leaves the database unchanged.
    """
    path = Path(path)
    started = time.monotonic()
    chosen: Scheme | None
    try:
        format_ = FORMATS.get(fmt)
        if scheme_path:
            chosen = scheme_file(scheme_path)
        elif scheme:
            chosen = load_scheme(scheme)
        else:
            chosen = None if format_.name == "vics" else load_scheme(format_.default_scheme)
    except (SchemeError, UnknownName, ValueError) as exc:
        raise ImportFailed([ImportIssue("", str(exc))]) from None
    if not path.is_file():
        raise ImportFailed([ImportIssue("", f"no such file: {path}")])
    if not 0 <= pdq_distance <= 255:
        raise ImportFailed([ImportIssue("--pdq-distance", f"{pdq_distance} is not between "
                                                          "0 and 255")])
    if role not in ROLES:
        raise ImportFailed([ImportIssue("--role", f"{role!r} is not one of "
                                                  f"{', '.join(ROLES)}")])
    if role == "negative" and category is None:
        category = KNOWN_BENIGN  # never counted: the label only fills the column
    ctx = ImportContext(scheme=chosen, category=category or format_.default_category,
                        dialect=dialect, total_bytes=path.stat().st_size,
                        progress=(lambda d, t: progress("read", d, t)) if progress else None)
    try:
        version = _import(session, path, format_, name, ctx, trusted, description, progress)
        version.pdq_distance = pdq_distance
        version.role = role
        version.trusted = trusted
        version.import_seconds = round(time.monotonic() - started, 3)
        session.commit()
        return version
    except _TooMany:
        session.rollback()
        raise ImportFailed(ctx.errors, truncated=True) from None
    except ImportFailed:
        session.rollback()
        raise
    except SchemeError as exc:
        session.rollback()
        raise ImportFailed([*ctx.errors, ImportIssue("", str(exc))]) from None
    except BaseException:
        session.rollback()
        raise


def _import(session, path, format_, name, ctx, trusted, description, progress):
    hs = session.scalar(select(HashSet).where(HashSet.name == name))
    if hs is not None and hs.format != format_.name:
        raise ImportFailed([ImportIssue("", f"set {name!r} holds {hs.format} data; "
                                            f"cannot add a {format_.name} version")])
    if hs is None:
        hs = HashSet(name=name, format=format_.name, scheme="?", trusted=trusted,
                     description=description)
        session.add(hs)
        session.flush()
    previous = session.get(HashSetVersion, hs.current_version_id) if hs.current_version_id \
        else None
    number = (session.scalar(select(func.max(HashSetVersion.version))
                             .where(HashSetVersion.hash_set_id == hs.id)) or 0) + 1
    version = HashSetVersion(hash_set_id=hs.id, version=number, status="importing",
                             format=format_.name, format_detail={}, scheme="?",
                             source_path=str(path.resolve()), source_sha256="",
                             source_size=ctx.total_bytes, tool_version=seawall.__version__)
    session.add(version)
    session.flush()

    if format_.streamed:
        raw = HashingReader(path)
        source = raw
    else:
        sha = _file_sha256(path, (lambda d, t: progress("hash", d, t)) if progress else None)
        raw, source = None, path
    kinds: Counter = Counter()
    cats: Counter = Counter()
    conn = session.connection()
    if conn.dialect.name == "sqlite":
        # Bounded page cache (64 MiB), so peak memory stays flat however large the set.
        conn.exec_driver_sql("PRAGMA cache_size = -65536")
        conn.exec_driver_sql("PRAGMA temp_store = FILE")  # staging and sorts spill to disk
    # Rows go first to an unindexed temporary table (cheap appends), then into
    # hash_entries sorted by the index key: the new version's keys sort after every older
    # version's, so the index grows by sequential appends instead of random inserts.
    conn.exec_driver_sql(f"DROP TABLE IF EXISTS {STAGE}")
    conn.exec_driver_sql(f"CREATE TEMPORARY TABLE {STAGE} AS SELECT {COLUMNS} "
                         "FROM hash_entries WHERE 1 = 0")
    insert_sql = _insert_sql(conn, STAGE)
    vid = version.id
    batch: list[tuple] = []
    try:
        # Plain DB-API executemany with tuples: the ORM's per-row work would cost 3-4x.
        for row in format_.read(source, ctx):
            batch.append((vid, row.kind, row.value, row.category, row.raw_code, row.position,
                          row.payload))
            kinds[row.kind] += 1
            cats[row.category] += 1
            if len(batch) >= BATCH:
                conn.exec_driver_sql(insert_sql, batch)
                batch.clear()
        if batch:
            conn.exec_driver_sql(insert_sql, batch)
        if raw is not None:
            raw.drain()
            sha = raw.sha256.hexdigest()
        if not ctx.errors:
            if progress:
                progress("index", 0, None)
            conn.exec_driver_sql(f"INSERT INTO hash_entries ({COLUMNS}) SELECT {COLUMNS} "
                                 f"FROM {STAGE} ORDER BY kind, value, position")
    finally:
        if raw is not None:
            raw.close()
        try:
            conn.exec_driver_sql(f"DROP TABLE IF EXISTS {STAGE}")
        except Exception:  # noqa: BLE001 - a failed transaction drops it on rollback anyway
            pass
    if ctx.errors:
        raise ImportFailed(ctx.errors)

    duplicates = _check_duplicates(session, version.id, ctx)
    if ctx.errors:
        raise ImportFailed(ctx.errors, truncated=len(ctx.errors) >= MAX_ERRORS)
    if duplicates:  # folded rows: count what is left
        kinds.clear()
        cats.clear()
        for kind, cat, n in session.execute(
                select(HashEntry.kind, HashEntry.category, func.count())
                .where(HashEntry.version_id == version.id)
                .group_by(HashEntry.kind, HashEntry.category)):
            kinds[kind] += n
            cats[cat] += n

    scheme = ctx.scheme or load_scheme(format_.default_scheme)
    version.scheme = scheme.name
    version.scheme_toml = scheme.toml_text
    version.format_detail = ctx.detail
    version.source_sha256 = sha
    version.rows_read = ctx.rows_read
    version.entry_count = sum(kinds.values())
    version.duplicate_count = duplicates
    version.counts = {"kinds": dict(kinds), "categories": dict(cats)}
    version.warnings = [str(w) for w in ctx.warnings]
    if not version.entry_count:
        # Allowed (a set can be emptied on purpose), but a truncated download or the wrong
        # file does the same, and its matches go with the old entries: say so loudly.
        version.warnings.insert(0, "the file holds no entries: this version is empty" + (
            f" and replaces version {previous.version} ({previous.entry_count:,} entries)"
            if previous is not None else ""))
    version.status = "current"
    if previous is not None:
        previous.status = "superseded"
        # Old entries go (sets can be tens of GB); the version row stays for provenance.
        session.execute(delete(HashEntry).where(HashEntry.version_id == previous.id))
    hs.scheme = scheme.name
    hs.trusted = trusted
    if description:
        hs.description = description
    hs.current_version_id = version.id
    session.flush()
    return version


def _insert_sql(conn, table: str) -> str:
    """INSERT for DB-API executemany (SQLite's qmark, or psycopg's format style)."""
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    return f"INSERT INTO {table} ({COLUMNS}) VALUES ({', '.join([mark] * 7)})"


def _check_duplicates(session: Session, version_id: int, ctx: ImportContext) -> int:
    """Report conflicting categories (errors) and fold same-category duplicates (warnings).

    Runs in SQL over the version's index, so it costs no memory per entry; only the first
    few groups are fetched for the messages."""
    base = (select(HashEntry.kind, HashEntry.value, func.count().label("n"),
                   func.count(HashEntry.category.distinct()).label("ncat"))
            .where(HashEntry.version_id == version_id)
            .group_by(HashEntry.kind, HashEntry.value)
            .having(func.count() > 1))
    groups = base.subquery()
    conflicts = session.execute(select(groups).where(groups.c.ncat > 1).limit(MAX_ERRORS)).all()
    for kind, value, _n, _ncat in conflicts:
        ctx.errors.append(ImportIssue(f"positions {_positions(session, version_id, kind, value)}",
                                      f"{kind} {value.hex()} has conflicting categories"))
    if ctx.errors:
        return 0
    extra = session.scalar(select(func.coalesce(func.sum(groups.c.n - 1), 0)))
    if not extra:
        return 0
    for kind, value, _n, _ncat in session.execute(select(groups).limit(20)):
        ctx.warn(f"positions {_positions(session, version_id, kind, value)}",
                 f"duplicate {kind} {value.hex()} (kept once)")
    if extra > 20:
        ctx.warn("", f"{extra} duplicate entries in all (kept once each)")
    # Keep the first occurrence of each duplicated hash.
    session.execute(text(
        "DELETE FROM hash_entries WHERE version_id = :v AND id NOT IN ("
        "SELECT MIN(id) FROM hash_entries WHERE version_id = :v GROUP BY kind, value)"),
        {"v": version_id})
    return int(extra)


def _positions(session: Session, version_id: int, kind: str, value: bytes) -> str:
    rows = session.execute(
        select(HashEntry.position, HashEntry.category)
        .where(HashEntry.version_id == version_id, HashEntry.kind == kind,
               HashEntry.value == value)
        .order_by(HashEntry.position).limit(5)).all()
    return ", ".join(f"#{p} ({c})" for p, c in rows)


def import_file(db_url: str | None, path: str | Path, *, fmt: str, name: str,
                category: str | None = None, **kwargs) -> HashSetVersion:
    """Convenience wrapper: open ``db_url`` and import (used by the demo)."""
    from seawall.store.db import session_factory

    session = session_factory(db_url)()
    try:
        return import_hashset(session, path, fmt, name, category=category, **kwargs)
    finally:
        session.close()


def list_sets(session: Session) -> list[dict]:
    """Every set with its current version's provenance."""
    out = []
    for hs in session.scalars(select(HashSet).order_by(HashSet.name)):
        v = session.get(HashSetVersion, hs.current_version_id) if hs.current_version_id \
            else None
        out.append({
            "name": hs.name, "format": hs.format, "scheme": hs.scheme, "trusted": hs.trusted,
            "version": v.version if v else None,
            "versions": len(hs.versions),
            "entries": v.entry_count if v else 0,
            "rows_read": v.rows_read if v else 0,
            "duplicates": v.duplicate_count if v else 0,
            "kinds": (v.counts or {}).get("kinds", {}) if v else {},
            "categories": (v.counts or {}).get("categories", {}) if v else {},
            "source_sha256": v.source_sha256 if v else None,
            "source_path": v.source_path if v else None,
            "imported_at": v.imported_at.isoformat() + "Z" if v else None,
            "detail": v.format_detail if v else {},
            "warnings": len(v.warnings or []) if v else 0,
            "pdq_distance": v.pdq_distance if v else None,
            "role": v.role if v else None,
        })
    return out


def remove_set(session: Session, name: str) -> bool:
    """Delete a set, all its versions, entries and the matches made against it."""
    hs = session.scalar(select(HashSet).where(HashSet.name == name))
    if hs is None:
        return False
    vids = [v.id for v in hs.versions]
    if vids:
        session.execute(delete(HashMatch).where(HashMatch.version_id.in_(vids)))
        session.execute(delete(HashEntry).where(HashEntry.version_id.in_(vids)))
    session.delete(hs)
    session.flush()
    return True
