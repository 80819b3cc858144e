"""Match a case's files against every current hash-set version, and report per file.

* Exact: MD5, SHA-1 and SHA-256 of every file, looked up in batches on the entries index.
* PDQ: files with quality >= 50, queried with all 8 dihedral hashes (rotated and flipped
  copies) within each version's ``pdq_distance`` (default 31; ``radius=`` overrides it
  for every version), through :class:`~seawall.matching.pdq_index.PdqIndex`
  (exact: same result as brute force).  Indexes are built once per version and cached on
  disk (see :func:`index_dir`), memory-mapped when reused.
* vPDQ: videos with frame hashes, by the explicit threshold in :mod:`seawall.matching.vpdq`.

``match_case`` replaces the case's previous matches; every match names its set and version.
The caller's transaction (e.g. ``session_scope``) commits.

A set entry that matches more than ``flood_limit`` (default 50) distinct files of the case by
PDQ is a likely false positive (a flat or generic picture): its PDQ matches are recorded as
*held* (``detail["held"]``: the file count), never count, and are listed for a supervisor
(``summary["held"]``); the files stay unknown, in the grading queue.

Matches against a *negative* version (known false positives, e.g. flat or generic pictures)
are recorded but never count, and a file with one is not categorised by any PDQ match:
:func:`file_results` makes those matches indicative and says why.  Exact matches count.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

import numpy as np
from sqlalchemy import delete, exists, select
from sqlalchemy.orm import Session

import seawall.store.hashset_models  # noqa: F401  (registers the tables)
from seawall.hashsets.scheme import (
    KNOWN_BENIGN,
    Scheme,
    case_scheme,
    named_scheme,
    parse_scheme,
)
from seawall.matching import policy
from seawall.matching.pdq_index import BRUTE_FORCE_BELOW, PdqIndex
from seawall.matching.verdict import FileVerdict, SetMatch
from seawall.matching.vpdq import VideoBank, VpdqPolicy, parse_payload, unique_frames
from seawall.store.hashset_models import HashEntry, HashMatch, HashSet, HashSetVersion
from seawall.store.models import Case, Exhibit, FileRecord, VideoFrame, utcnow
from seawall.store.queries import case_by_reference, final_grades

log = logging.getLogger(__name__)
EXACT_KINDS = ("md5", "sha1", "sha256")
KIND_ORDER = {"sha256": 0, "sha1": 1, "md5": 2, "pdq": 3, "vpdq": 4}
LOOKUP_BATCH = 500
INDEX_DIR_ENV = "SEAWALL_INDEX_DIR"
MIN_PDQ_QUALITY = 50
FLOOD_LIMIT = 50  # PDQ matches of one entry to more distinct files of a case are held


def has_hashsets(session: Session) -> bool:
    """True when at least one hash set has a current version."""
    return bool(session.scalar(select(exists().where(HashSet.current_version_id.is_not(None)))))


def index_dir(session: Session) -> Path:
    """Where version indexes are cached: $SEAWALL_INDEX_DIR, else next to an SQLite file,
    else a per-database folder under ~/.cache/seawall.  Versions never change, but their ids
    can be reused (a set removed and imported again, a database re-created at the same
    path), so a cached index is checked against the entries before use."""
    if os.environ.get(INDEX_DIR_ENV):
        return Path(os.environ[INDEX_DIR_ENV])
    url = session.get_bind().url
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        db = Path(url.database).resolve()
        return db.with_name(db.name + ".indexes")
    key = hashlib.sha256(url.render_as_string(hide_password=True).encode()).hexdigest()[:16]
    return Path.home() / ".cache" / "seawall" / "indexes" / key


def _current_versions(session: Session) -> list[tuple[HashSet, HashSetVersion]]:
    rows = session.execute(
        select(HashSet, HashSetVersion)
        .join(HashSetVersion, HashSetVersion.id == HashSet.current_version_id)
        .order_by(HashSet.name)).all()
    return [(s, v) for s, v in rows]


def match_case(session: Session, case_reference: str, *, radius: int | None = None,
               vpdq_policy: VpdqPolicy | None = None,
               progress: Callable[[str, int, int], None] | None = None,
               client=None, flood_limit: int = FLOOD_LIMIT) -> dict:
    """Match every file of the case against every current hash-set version.

    With a Dask ``client``, PDQ searches against large banks run on the cluster's workers,
    each memory-mapping the version's saved index once (see seawall.matching.distributed).

    Returns a summary: files examined, matches by kind, files matched, versions used."""
    case = case_by_reference(session, case_reference)
    vpdq_policy = vpdq_policy or VpdqPolicy()
    versions = _current_versions(session)
    file_ids = select(FileRecord.id).join(Exhibit).where(Exhibit.case_id == case.id)
    session.execute(delete(HashMatch).where(HashMatch.file_id.in_(file_ids))
                    .execution_options(synchronize_session=False))
    pending: list[dict] = []
    by_kind: dict[str, int] = defaultdict(int)
    matched: set[int] = set()
    warnings: list[str] = []
    held: list[dict] = []
    now = utcnow()

    def add(file_id, version, entry_id, kind, distance, category, detail=None):
        pending.append({"file_id": file_id, "version_id": version.id, "entry_id": entry_id,
                        "kind": kind, "distance": distance, "category": category,
                        "detail": detail, "matched_at": now})
        by_kind[kind] += 1
        matched.add(file_id)
        if len(pending) >= 5000:
            flush()

    def flush():
        if pending:
            session.execute(HashMatch.__table__.insert(), pending)
            pending.clear()

    files = session.execute(
        select(FileRecord.id, FileRecord.md5, FileRecord.sha1, FileRecord.sha256,
               FileRecord.pdq, FileRecord.pdq_quality, FileRecord.pdq_dihedral,
               FileRecord.media_class)
        .join(Exhibit).where(Exhibit.case_id == case.id).order_by(FileRecord.id)).all()
    stages = ["exact", "pdq", "vpdq"]
    for n, stage in enumerate(stages):
        if progress:
            progress(stage, n, len(stages))
        for _set, version in versions:
            kinds = (version.counts or {}).get("kinds", {})
            if stage == "exact":
                for kind in EXACT_KINDS:
                    if kinds.get(kind):
                        _exact(session, files, version, kind, add)
            elif stage == "pdq" and kinds.get("pdq"):
                held += _pdq(session, files, version, version.pdq_distance if radius is None
                             else radius, add, warnings, client, flood_limit)
            elif stage == "vpdq" and kinds.get("vpdq"):
                _vpdq(session, case, version, vpdq_policy, add)
    flush()
    session.flush()
    if progress:
        progress("done", len(stages), len(stages))
    return {
        "case": case_reference,
        "files": len(files),
        "files_matched": len(matched),
        "matches": dict(by_kind),
        "sets": [{"set": hs.name, "version": v.version, "pdq_distance": v.pdq_distance,
                  "role": v.role} for hs, v in versions],
        "radius": radius,
        "vpdq": {"query_pct": vpdq_policy.query_pct, "compared_pct": vpdq_policy.compared_pct},
        "warnings": warnings,
        "flood_limit": flood_limit,
        "held": held,
    }


def rematch_all(session: Session, progress: Callable[[str], None] | None = None
                ) -> list[dict]:
    """Match every case again (after a new set version: no case keeps counts from a
    replaced version).  ``progress(case reference)`` before each; returns the summaries."""
    summaries = []
    for reference in session.scalars(select(Case.reference).order_by(Case.reference)):
        if progress:
            progress(reference)
        summaries.append(match_case(session, reference))
    return summaries


def _exact(session, files, version, kind, add) -> None:
    col = {"md5": 1, "sha1": 2, "sha256": 3}[kind]
    by_value: dict[bytes, list[int]] = defaultdict(list)
    for row in files:
        text = row[col]
        if text:
            try:
                by_value[bytes.fromhex(text)].append(row[0])
            except ValueError:
                continue  # not hex: cannot be in any set
    values = list(by_value)
    for i in range(0, len(values), LOOKUP_BATCH):
        chunk = values[i:i + LOOKUP_BATCH]
        hits = session.execute(
            select(HashEntry.id, HashEntry.value, HashEntry.category)
            .where(HashEntry.version_id == version.id, HashEntry.kind == kind,
                   HashEntry.value.in_(chunk)))
        for entry_id, value, category in hits:
            for file_id in by_value[value]:
                add(file_id, version, entry_id, kind, 0, category)


def _index_path(session, version) -> Path:
    n = (version.counts or {}).get("kinds", {}).get("pdq", 0)
    # The import time too: ids alone come back after a set is removed and imported again.
    stamp = version.imported_at.strftime("%Y%m%dT%H%M%S%f") if version.imported_at else "-"
    return index_dir(session) / f"pdq-v{version.id}-{version.source_sha256[:16]}-{n}-{stamp}"


def _load_pdq_index(session, version) -> tuple[PdqIndex, np.ndarray]:
    """The version's PDQ index and the entry id of each bank row (cached on disk)."""
    n = (version.counts or {}).get("kinds", {}).get("pdq", 0)
    path = _index_path(session, version)
    if n >= BRUTE_FORCE_BELOW and (path / "meta.json").exists():
        try:
            index = PdqIndex.load(path)
            entry_ids = np.load(path / "entry_ids.npy", mmap_mode="r")
            if _cache_fits(session, version, index, entry_ids):
                return index, entry_ids
            log.warning("rebuilding PDQ index %s: it names other entries", path)
        except (OSError, ValueError) as exc:
            log.warning("rebuilding PDQ index %s: %s", path, exc)
    values = bytearray()
    ids = []
    q = (select(HashEntry.id, HashEntry.value)
         .where(HashEntry.version_id == version.id, HashEntry.kind == "pdq")
         .order_by(HashEntry.id).execution_options(yield_per=100_000))
    for entry_id, value in session.execute(q):
        values += value
        ids.append(entry_id)
    words = np.frombuffer(bytes(values), dtype=">u8").reshape(-1, 4).astype(np.uint64)
    entry_ids = np.array(ids, dtype=np.int64)
    index = PdqIndex.build(words)
    if index.has_tables:
        try:
            index.save(path)
            np.save(path / "entry_ids.npy", entry_ids)
        except OSError as exc:
            log.warning("cannot cache PDQ index at %s: %s", path, exc)
    return index, entry_ids


def _cache_fits(session, version, index, entry_ids, samples: int = 16) -> bool:
    """True when sampled rows of a cached index (first, last and evenly spaced) are still
    this version's PDQ entries with the same hashes: entry ids name the categories."""
    n = len(entry_ids)
    if n == 0 or n != len(index):
        return False
    rows = sorted({int(r) for r in np.linspace(0, n - 1, min(n, samples))})
    want = {int(entry_ids[r]): np.asarray(index.hashes[r]).astype(">u8").tobytes()
            for r in rows}
    found = dict(session.execute(
        select(HashEntry.id, HashEntry.value)
        .where(HashEntry.id.in_(list(want)), HashEntry.version_id == version.id,
               HashEntry.kind == "pdq")).all())
    return found == want


def _file_queries(files, warnings) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Query hashes (8 dihedrals per eligible file), their file ids and dihedral numbers."""
    raw, owner, which = [], [], []
    for row in files:
        fid, pdq, quality, dihedral = row[0], row[4], row[5], row[6]
        if not pdq or (quality or 0) < MIN_PDQ_QUALITY:
            continue
        hashes = dihedral.split() if dihedral else [pdq]
        try:
            blobs = [bytes.fromhex(h) for h in hashes]
            if any(len(b) != 32 for b in blobs):
                raise ValueError
        except ValueError:
            warnings.append(f"file {fid}: malformed PDQ hash, not matched")
            continue
        for k, b in enumerate(blobs):
            raw.append(b)
            owner.append(fid)
            which.append(k)
    if not raw:
        return np.zeros((0, 4), np.uint64), np.zeros(0, np.int64), np.zeros(0, np.int64)
    words = np.frombuffer(b"".join(raw), dtype=">u8").reshape(-1, 4).astype(np.uint64)
    return words, np.array(owner, np.int64), np.array(which, np.int64)


def _pdq(session, files, version, radius, add, warnings, client=None,
         flood_limit: int = FLOOD_LIMIT) -> list[dict]:
    """PDQ-match the files against one version; returns the entries held (flood)."""
    queries, owner, which = _file_queries(files, warnings)
    if not len(queries):
        return []
    index, entry_ids = _load_pdq_index(session, version)
    path = _index_path(session, version)
    if client is not None and index.has_tables and (path / "meta.json").exists():
        from seawall.matching.distributed import search_on_cluster

        qi, row, dist = search_on_cluster(client, path, queries, radius)
    else:
        qi, row, dist = index.search(queries, radius)
    if not len(qi):
        return []
    fid = owner[qi]
    # Keep, per (file, bank row), the closest dihedral variant.
    order = np.lexsort((which[qi], dist, row, fid))
    fid, row, dist, dih = fid[order], row[order], dist[order], which[qi][order]
    first = np.ones(len(fid), bool)
    first[1:] = (fid[1:] != fid[:-1]) | (row[1:] != row[:-1])
    fid, row, dist, dih = fid[first], row[first], dist[first], dih[first]
    eids = [int(entry_ids[r]) for r in row]
    cats = {}
    for i in range(0, len(eids), LOOKUP_BATCH):
        chunk = eids[i:i + LOOKUP_BATCH]
        cats.update(session.execute(select(HashEntry.id, HashEntry.category)
                                    .where(HashEntry.id.in_(chunk))).all())
    rows, files_per_row = np.unique(row, return_counts=True)  # one (file, row) pair each
    flooded = {int(entry_ids[r]): int(n) for r, n in zip(rows, files_per_row, strict=True)
               if n > flood_limit}
    for f, e, d, k in zip(fid, eids, dist, dih, strict=True):
        detail = {"dihedral": int(k)}
        if e in flooded:
            detail["held"] = flooded[e]
        add(int(f), version, e, "pdq", int(d), cats[e], detail)
    return [{"set": version.hash_set.name, "version": version.version, "entry_id": e,
             "category": cats[e], "files": n} for e, n in sorted(flooded.items())]


def held_entries(session: Session, case_reference: str) -> list[dict]:
    """The set entries whose PDQ matches are held in a case (flood), for a supervisor:
    set, version, entry id and PDQ hash (when the version is current), category, files."""
    case = case_by_reference(session, case_reference)
    files: dict[tuple[int, int], set[int]] = defaultdict(set)
    category: dict[tuple[int, int], str] = {}
    for m in session.scalars(
            select(HashMatch).join(FileRecord, FileRecord.id == HashMatch.file_id)
            .join(Exhibit, Exhibit.id == FileRecord.exhibit_id)
            .where(Exhibit.case_id == case.id, HashMatch.kind == "pdq")):
        if (m.detail or {}).get("held") and m.entry_id is not None:
            files[(m.version_id, m.entry_id)].add(m.file_id)
            category[(m.version_id, m.entry_id)] = m.category
    out = []
    for (vid, eid), fids in sorted(files.items()):
        version = session.get(HashSetVersion, vid)
        entry = session.get(HashEntry, eid)
        out.append({"set": version.hash_set.name if version else None,
                    "version": version.version if version else None, "entry_id": eid,
                    "pdq": entry.value.hex() if entry else None,
                    "category": category[(vid, eid)], "files": len(fids)})
    return out


def _vpdq(session, case, version, vpdq_policy, add) -> None:
    entries = session.execute(
        select(HashEntry.id, HashEntry.category, HashEntry.payload)
        .where(HashEntry.version_id == version.id, HashEntry.kind == "vpdq")
        .order_by(HashEntry.id)).all()
    videos = [unique_frames(parse_payload(p or ""), vpdq_policy.quality) for _, _, p in entries]
    bank = VideoBank(videos)
    frames = defaultdict(list)
    q = (select(VideoFrame.file_id, VideoFrame.pdq, VideoFrame.quality)
         .join(FileRecord, FileRecord.id == VideoFrame.file_id).join(Exhibit)
         .where(Exhibit.case_id == case.id))
    for file_id, pdq, quality in session.execute(q):
        try:
            frames[file_id].append((bytes.fromhex(pdq), quality))
        except ValueError:
            continue
    for file_id, fr in sorted(frames.items()):
        query = unique_frames(fr, vpdq_policy.quality)
        for v, (qp, cp) in sorted(bank.match(query, vpdq_policy.radius).items()):
            if vpdq_policy.accepts(qp, cp):
                entry_id, category, _ = entries[v]
                add(file_id, version, entry_id, "vpdq", None, category,
                    {"query_pct": round(float(qp), 2), "compared_pct": round(float(cp), 2)})


# -- per-file results -----------------------------------------------------------------------

def _version_schemes(session, version_ids: Iterable[int]
                     ) -> dict[int, tuple[Scheme, bool, bool]]:
    """version id -> (scheme snapshot it was imported with, version trusted?, negative?)."""
    out = {}
    ids = list(set(version_ids))
    if not ids:
        return out
    rows = session.execute(
        select(HashSetVersion.id, HashSetVersion.scheme, HashSetVersion.scheme_toml,
               HashSetVersion.trusted, HashSetVersion.role)
        .where(HashSetVersion.id.in_(ids))).all()
    for vid, name, toml_text, trusted, role in rows:
        scheme = None
        if toml_text:
            try:
                scheme = parse_scheme(toml_text, f"version {vid}")
            except ValueError:
                scheme = None
        out[vid] = (scheme or named_scheme(name), trusted, role == "negative")
    return out


def file_results(session: Session, file_ids: Iterable[int],
                 local_grades: Mapping[int, str] | policy.LocalGradeProvider = final_grades
                 ) -> dict[int, FileVerdict]:
    """For each file id: its :class:`~seawall.matching.verdict.FileVerdict` (effective
    category, known-benign flag and every match).  Matches that cannot decide the category
    (untrusted set, or another scheme than the case's) are ``indicative``.  ``local_grades``
    is a {file id: grade} mapping or a provider asked per case (default: the final grades
    in the store)."""
    ids = sorted({int(i) for i in file_ids})
    out: dict[int, FileVerdict] = {}
    if not ids:
        return out
    case_of: dict[int, tuple[str, str]] = {}
    for i in range(0, len(ids), LOOKUP_BATCH):
        chunk = ids[i:i + LOOKUP_BATCH]
        for fid, ref, scheme in session.execute(
                select(FileRecord.id, Case.reference, Case.scheme)
                .join(Exhibit, Exhibit.id == FileRecord.exhibit_id)
                .join(Case, Case.id == Exhibit.case_id).where(FileRecord.id.in_(chunk))):
            case_of[fid] = (ref, scheme)
    rows: dict[int, list] = defaultdict(list)
    for i in range(0, len(ids), LOOKUP_BATCH):
        chunk = ids[i:i + LOOKUP_BATCH]
        for m, set_name, ver in session.execute(
                select(HashMatch, HashSet.name, HashSetVersion.version)
                .join(HashSetVersion, HashSetVersion.id == HashMatch.version_id)
                .join(HashSet, HashSet.id == HashSetVersion.hash_set_id)
                .where(HashMatch.file_id.in_(chunk))):
            rows[m.file_id].append((m, set_name, ver))
    vschemes = _version_schemes(session, (m.version_id for r in rows.values() for m, _, _ in r))
    grades = _grades(session, local_grades, {ref for ref, _ in case_of.values()})
    for fid in ids:
        ref, scheme_name = case_of.get(fid, (None, "uk"))
        graded_in = case_scheme(scheme_name)
        facts, matches = [], []
        file_rows = sorted(rows.get(fid, []), key=lambda r: (
            KIND_ORDER.get(r[0].kind, 9), r[1], r[0].distance or 0))
        negative = next((f"{name} v{ver}" for m, name, ver in file_rows
                         if vschemes[m.version_id][2]), None)
        for m, set_name, ver in file_rows:
            vscheme, trusted, in_negative = vschemes[m.version_id]
            excluded = None
            held = (m.detail or {}).get("held") if m.kind == "pdq" else None
            if held:
                excluded = (f"held for review: this entry matched {held} files of the case "
                            "by PDQ (a likely false positive)")
            elif in_negative:
                excluded = "negative set: a known false positive, never counted"
            elif m.kind == "pdq" and negative:
                excluded = f"PDQ match not counted: the file matches negative set {negative}"
            indicative = excluded is not None or not trusted or (
                m.category != KNOWN_BENIGN and vscheme.name != graded_in.name)
            if excluded is None:
                facts.append(policy.MatchFact(m.category, vscheme.name, trusted,
                                              vscheme.is_benign(m.category)))
            detail = (m.detail or {}) if m.kind == "vpdq" else {}
            matches.append(SetMatch(
                set=set_name, version=ver, kind=m.kind, distance=m.distance,
                category=m.category, indicative=indicative, excluded=excluded,
                query_pct=detail.get("query_pct"), compared_pct=detail.get("compared_pct")))
        grade = grades.get(ref, {}).get(fid) if ref else None
        category, benign = policy.effective(facts, graded_in, grade)
        out[fid] = FileVerdict(category=category, known_benign=benign, matches=tuple(matches),
                               local_grade=grade)
    return out


def _grades(session, local_grades, case_refs) -> dict[str, Mapping[int, str]]:
    """{case reference: {file id: grade}} from a mapping or a provider."""
    if isinstance(local_grades, Mapping):
        return {ref: local_grades for ref in case_refs}
    return {ref: local_grades(session, ref) or {} for ref in case_refs}
