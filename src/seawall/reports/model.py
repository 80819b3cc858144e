"""The data of a category report: counts, the basis of every count, exhibit identity.

Everything the renderers print comes from :func:`build_report`, a plain, JSON-ready dict.
The figures themselves come from :func:`seawall.matching.counts.case_counts` (the single
source of truth, also behind ``seawall counts``); this module re-derives which distinct
hash landed in which column, with the same documented rule, only to say *why* (basis) and
*which files* (drill-down) — and refuses to build a report if its tally disagrees with
``case_counts`` (:class:`ReportError`), so a printed figure can always be traced to files.

Reproducibility: nothing here reads the clock or the environment except through the
arguments; ``as_of`` is the report's date, and all lists are in a stable order.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, datetime
from typing import overload

from sqlalchemy import func, select
from sqlalchemy.orm import Session

import seawall
import seawall.store.hashset_models  # noqa: F401  (registers the hash-set tables)
from seawall.errors import SeawallError
from seawall.hashsets.scheme import COLUMN_LABELS, KNOWN_BENIGN, case_scheme
from seawall.matching import counts as counts_mod
from seawall.matching.service import EXACT_KINDS, MIN_PDQ_QUALITY, file_results
from seawall.matching.verdict import NO_VERDICT, FileVerdict, SetMatch
from seawall.store.grading_models import FinalGrade
from seawall.store.hashset_models import HashMatch, HashSet, HashSetVersion
from seawall.store.models import Case, Exhibit, FileRecord
from seawall.store.queries import case_by_reference

# 2: basis method "override" (who, when, why, what it replaced)
# 3: PDQ distance and role per hash-set version (matching.pdq_radius gone); basis "notes"
REPORT_FORMAT_VERSION = 3
MOTION = counts_mod.MOTION  # media_class -> "still" | "moving"
# How a file's column was decided, strongest first: a supervisor's override of the hash
# evidence or of a grade (reason recorded), a local grade, then hash evidence.
METHODS = ("override", "local_grade", "exact", "pdq", "vpdq", "none")
METHOD_LABELS = {
    "override": "supervisor override (reason recorded)",
    "local_grade": "local grade (trained staff)",
    "exact": "exact hash (MD5/SHA-1/SHA-256)",
    "pdq": "PDQ near-duplicate",
    "vpdq": "vPDQ video match",
    "none": "no deciding match",
}


class ReportError(SeawallError, RuntimeError):
    """The report cannot be produced honestly (e.g. figures that do not reconcile): a fault in
    the stored data, not in the request, hence a server error on the web."""

    http_status = 500


def parse_as_of(value: str | datetime | None) -> datetime:
    """The report date as naive UTC; ``None`` means now.  Accepts ISO 8601 (``Z`` allowed)."""
    if value is None:
        return datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    if isinstance(value, datetime):
        dt = value
    else:
        text = value.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            dt = datetime.fromisoformat(text)
        except ValueError as exc:
            raise ReportError(f"--as-of {value!r} is not an ISO 8601 date/time") from exc
    if dt.tzinfo is not None:
        dt = dt.astimezone(UTC).replace(tzinfo=None)
    return dt


@overload
def iso(value: datetime) -> str: ...
@overload
def iso(value: None) -> None: ...
@overload
def iso(value: datetime | None) -> str | None: ...
def iso(value: datetime | None) -> str | None:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value is not None else None


def _method_of(kinds: set[str]) -> str:
    if kinds & set(EXACT_KINDS):
        return "exact"
    for kind in ("pdq", "vpdq"):
        if kind in kinds:
            return kind
    return "none"


def file_basis(verdict: FileVerdict, grade_info: dict | None = None) -> dict:
    """Why one file sits in its column: method, deciding sets and any indicative hints.

    An override (a supervisor's final grade replacing a hash-set category or a grade) is its
    own method, with who, when, why and the trusted matches it overrode."""
    matches = verdict.matches
    deciding: list[SetMatch] = []
    if verdict.local_grade is not None:
        method = ("override" if (grade_info or {}).get("method") == "override"
                  else "local_grade")
    else:
        if verdict.category is not None:
            deciding = [m for m in matches
                        if not m.indicative and m.category == verdict.category]
        elif verdict.known_benign:
            deciding = [m for m in matches if not m.indicative]
        method = _method_of({m.kind for m in deciding}) if deciding else "none"
    sets = sorted({(m.set, m.version) for m in deciding})
    basis = {
        "method": method,
        "hash_sets": [{"set": s, "version": v} for s, v in sets],
        "match_kinds": sorted({m.kind for m in deciding}),
        "pdq_distance": min((m.distance for m in deciding
                             if m.kind == "pdq" and m.distance is not None), default=None),
        "indicative": [{"set": m.set, "version": m.version, "kind": m.kind,
                        "category": m.category}
                       for m in matches if m.indicative],
        # Why matches did not count (a negative set's match and the PDQ matches it stops).
        "notes": sorted({f"{m.set} v{m.version} {m.kind}: {m.excluded}"
                         for m in matches if m.excluded}),
    }
    if method in ("local_grade", "override"):
        basis["local_grade"] = {"category": verdict.local_grade,
                                **(grade_info or {"method": None, "decided_by": None,
                                                  "at": None, "reason": None})}
    if method == "override":
        basis["overridden"] = [m.summary() for m in matches if not m.indicative]
    return basis


def _grade_provenance(session: Session, case: Case) -> dict[int, dict]:
    """file id -> how its final local grade was reached."""
    rows = session.execute(select(FinalGrade.file_id, FinalGrade.method, FinalGrade.decided_by,
                                  FinalGrade.at, FinalGrade.reason)
                           .where(FinalGrade.case_id == case.id))
    return {fid: {"method": method, "decided_by": by, "at": iso(at), "reason": reason}
            for fid, method, by, at, reason in rows}


def _hash_sets(session: Session, case: Case) -> list[dict]:
    """Every current hash-set version, and any older version a match of this case names."""
    used = set(session.scalars(
        select(HashMatch.version_id).join(FileRecord, FileRecord.id == HashMatch.file_id)
        .join(Exhibit, Exhibit.id == FileRecord.exhibit_id).where(Exhibit.case_id == case.id)
        .distinct()))
    rows = session.execute(select(HashSet, HashSetVersion)
                           .join(HashSetVersion, HashSetVersion.hash_set_id == HashSet.id)
                           .order_by(HashSet.name, HashSetVersion.version)).all()
    out = []
    for hs, v in rows:
        current = hs.current_version_id == v.id
        if not current and v.id not in used:
            continue
        detail = v.format_detail or {}
        out.append({
            "set": hs.name, "version": v.version, "current": current,
            "format": v.format, "scheme": v.scheme, "trusted": bool(v.trusted),
            "dialect": detail.get("dialect"), "data_model": detail.get("data_model"),
            "entries": v.entry_count, "kinds": (v.counts or {}).get("kinds", {}),
            "source_file": (v.source_path or "").replace("\\", "/").rsplit("/", 1)[-1],
            "source_sha256": v.source_sha256, "source_size": v.source_size,
            "imported_at": iso(v.imported_at), "import_warnings": len(v.warnings or []),
            "pdq_distance": v.pdq_distance, "role": v.role,
            "matched_files": 0,
        })
    return out


def _exhibit_identity(session: Session, exhibit: Exhibit) -> dict:
    ident = exhibit.identity or {}
    ewf = ident.get("ewf") or {}
    verification = ewf.get("verification") or ident.get("verification")
    if verification:
        verdict = verification.get("result")
    elif ewf:
        verdict = "not performed during the scan"
    else:
        verdict = "not applicable (format stores no hash)"
    images = [{"name": i.get("name"), "size": i.get("size")} for i in ident.get("images", [])]
    if not images:  # folders and loose files: the names given to the scan
        images = [{"name": p.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1], "size": None}
                  for p in ident.get("paths", [])]
    is_media = FileRecord.media_class.in_(list(MOTION))
    n_files, n_errors, n_media, n_media_errors = session.execute(
        select(func.count(), func.count(FileRecord.error),
               func.count().filter(is_media),
               func.count(FileRecord.error).filter(is_media))
        .where(FileRecord.exhibit_id == exhibit.id)).one()
    deleted = session.scalar(select(func.count()).where(
        FileRecord.exhibit_id == exhibit.id, FileRecord.allocated.is_(False)))
    return {
        "reference": exhibit.reference,
        "source_kind": exhibit.source_kind,
        "status": exhibit.status,
        "format": ident.get("format"),
        "images": images,
        "acquisition": {
            "media_size": ewf.get("media_size"),
            "stored_md5": ewf.get("stored_md5"),
            "stored_sha1": ewf.get("stored_sha1"),
            "case_number": (ewf.get("headers") or {}).get("case_number"),
            "evidence_number": (ewf.get("headers") or {}).get("evidence_number"),
            "examiner_name": (ewf.get("headers") or {}).get("examiner_name"),
            "acquiry_date": (ewf.get("headers") or {}).get("acquiry_date"),
            "acquiry_software_version": (ewf.get("headers") or {}).get(
                "acquiry_software_version"),
        },
        "verification": {"result": verdict,
                         "computed_md5": (verification or {}).get("media_md5")},
        "file_systems": [{"volume": fs.get("volume"), "type": fs.get("tsk_type")
                          or fs.get("type")} for fs in ident.get("file_systems", [])],
        "scan_started": iso(exhibit.scan_started),
        "scan_finished": iso(exhibit.scan_finished),
        "tool_version": exhibit.tool_version,
        "dependency_versions": dict(sorted((exhibit.versions or {}).items())),
        "file_records": n_files,
        "deleted_records": deleted,
        "media_records": n_media,
        "errors": {"files_with_errors": n_errors, "media_with_errors": n_media_errors,
                   "scan_warnings": list(ident.get("warnings", [])),
                   "scan_errors": list(ident.get("errors", []))},
    }


def _empty_basis() -> dict:
    return {"distinct": 0, "files": 0, "methods": {m: 0 for m in METHODS}, "hash_sets": [],
            "local_grades": 0}


def build_report(session: Session, case_reference: str, as_of: str | datetime | None = None,
                 ) -> dict:
    """Everything a report prints, as a JSON-ready dict (see the module docstring)."""
    generated = parse_as_of(as_of)
    case = case_by_reference(session, case_reference)
    scheme = case_scheme(case.scheme)
    counts = counts_mod.case_counts(session, case_reference)
    columns = list(counts["total"])

    rows = session.execute(
        select(FileRecord, Exhibit.reference).join(Exhibit, Exhibit.id == FileRecord.exhibit_id)
        .where(Exhibit.case_id == case.id, FileRecord.media_class.in_(list(MOTION)))
        .order_by(Exhibit.reference, FileRecord.volume, FileRecord.path, FileRecord.id)).all()
    results = file_results(session, [r.id for r, _ in rows])
    grades = _grade_provenance(session, case)
    rank = {c: i for i, c in enumerate(columns)}

    files: list[dict] = []
    # (scope, motion, identity) -> (column, [file entries in that column])
    cells: dict[tuple, tuple[str, list[dict]]] = {}
    for rec, exhibit_ref in rows:
        verdict = results.get(rec.id, NO_VERDICT)
        column = verdict.column
        rank.setdefault(column, len(rank))
        basis = file_basis(verdict, grades.get(rec.id))
        identity = rec.sha256 or rec.sha1 or rec.md5 or f"file:{rec.id}"
        entry = {
            "exhibit": exhibit_ref, "volume": rec.volume, "path": rec.path,
            "full_path": f"{rec.volume}{rec.path}" if rec.volume else rec.path,
            "inode": rec.inode, "allocated": bool(rec.allocated), "kind": rec.kind,
            "size": rec.size, "md5": rec.md5, "sha1": rec.sha1, "sha256": rec.sha256,
            "media_type": rec.media_type, "motion": MOTION[rec.media_class],
            "pdq": rec.pdq, "pdq_quality": rec.pdq_quality,
            "category": column, "counted_as": identity, "basis": basis, "error": rec.error,
        }
        files.append(entry)
        for scope in (exhibit_ref, None):
            key = (scope, entry["motion"], identity)
            old = cells.get(key)
            if old is None or rank[column] < rank[old[0]]:
                cells[key] = (column, [entry])
            elif old[0] == column:
                old[1].append(entry)

    basis_tree: dict = {"exhibits": {e: {c: {"still": _empty_basis(), "moving": _empty_basis()}
                                         for c in columns} for e in counts["exhibits"]},
                        "total": {c: {"still": _empty_basis(), "moving": _empty_basis()}
                                  for c in columns}}
    set_names: dict[tuple, set] = defaultdict(set)
    for (scope, motion, _identity), (column, entries) in sorted(
            cells.items(), key=lambda kv: (kv[0][0] or "", kv[0][1], kv[0][2])):
        tree = basis_tree["total"] if scope is None else basis_tree["exhibits"][scope]
        cell = tree.setdefault(column, {"still": _empty_basis(), "moving": _empty_basis()})[motion]
        cell["distinct"] += 1
        cell["files"] += len(entries)
        best = min((e["basis"]["method"] for e in entries), key=METHODS.index)
        cell["methods"][best] += 1
        if any(e["basis"]["method"] in ("local_grade", "override") for e in entries):
            cell["local_grades"] += 1
        for e in entries:
            for hs in e["basis"]["hash_sets"]:
                set_names[(scope, column, motion)].add((hs["set"], hs["version"]))
    for (scope, column, motion), names in set_names.items():
        tree = basis_tree["total"] if scope is None else basis_tree["exhibits"][scope]
        tree[column][motion]["hash_sets"] = [{"set": s, "version": v} for s, v in sorted(names)]

    _reconcile(counts, basis_tree)

    hash_sets = _hash_sets(session, case)
    matched = Counter((m["set"], m["version"]) for f in files
                      for m in f["basis"]["hash_sets"])
    for hs in hash_sets:
        hs["matched_files"] = matched.get((hs["set"], hs["version"]), 0)

    exhibits = [_exhibit_identity(session, e) for e in session.scalars(
        select(Exhibit).where(Exhibit.case_id == case.id).order_by(Exhibit.reference))]
    labels = {c.name: c.label for c in scheme.categories}
    labels.update(COLUMN_LABELS)
    grade_methods = Counter(g["method"] for g in grades.values())
    return {
        "report": {
            "title": "Indecent images of children: category counts",
            "format_version": REPORT_FORMAT_VERSION,
            "generated_at": iso(generated),
            "tool": "Seawall", "tool_version": seawall.__version__,
        },
        "case": {"reference": case.reference, "scheme": scheme.name,
                 "scheme_title": scheme.title, "created_at": iso(case.created_at)},
        "columns": [{"name": c, "label": labels.get(c, c),
                     "graded": c in scheme.names and not scheme.is_benign(c),
                     "benign": c == KNOWN_BENIGN or scheme.is_benign(c)} for c in columns],
        "counts": counts,
        "basis": basis_tree,
        "exhibits": exhibits,
        "hash_sets": hash_sets,
        "local_grades": {"final_grades": len(grades), "by_method": dict(sorted(
            grade_methods.items()))},
        "matching": {"exact": list(EXACT_KINDS), "pdq_min_quality": MIN_PDQ_QUALITY,
                     "vpdq": _vpdq_policy()},
        "errors": {
            "files_with_errors": sum(e["errors"]["files_with_errors"] for e in exhibits),
            "media_with_errors": sum(e["errors"]["media_with_errors"] for e in exhibits),
            "exhibits_with_scan_errors": sum(bool(e["errors"]["scan_errors"])
                                            for e in exhibits),
            "exhibits_not_complete": [e["reference"] for e in exhibits
                                      if e["status"] != "complete"],
        },
        "files": files,
    }


def _vpdq_policy() -> dict:
    from seawall.matching.vpdq import VpdqPolicy

    p = VpdqPolicy()
    return {"query_pct": p.query_pct, "compared_pct": p.compared_pct, "radius": p.radius,
            "min_quality": p.quality}


def _reconcile(counts: dict, basis_tree: dict) -> None:
    """Raise unless every cell's distinct tally equals the count ``case_counts`` gave."""
    scopes = [("total", counts["total"], basis_tree["total"])]
    scopes += [(f"exhibit {e}", counts["exhibits"][e], basis_tree["exhibits"][e])
               for e in counts["exhibits"]]
    for name, got, basis in scopes:
        for column in set(got) | set(basis):
            for motion in ("still", "moving"):
                a = got.get(column, {}).get(motion, 0)
                b = basis.get(column, {}).get(motion, {}).get("distinct", 0)
                if a != b:
                    raise ReportError(
                        f"{name}, {column} {motion}: counts say {a} but the files traced "
                        f"give {b}; refusing to report figures that do not reconcile")
