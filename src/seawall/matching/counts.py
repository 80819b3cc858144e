"""Category counts for a case, as a Streamlined Forensic Report needs them.

Shape::

    {"case": REF, "scheme": NAME,
     "exhibits": {EXHIBIT_REF: COUNTS, …},
     "total": COUNTS}

COUNTS maps every category of the case's scheme (most severe first), then
``"known_benign"`` and ``"unknown"``, to ``{"still": n, "moving": n}``.

Rules (documented here because reports quote them):

* Only media are counted: ``media_class`` "image" is *still*, "video" is *moving*.
* Each media file lands in exactly one column: its effective category (see
  :mod:`seawall.matching.policy`; a benign category such as "not indecent" is a column of its
  own), else ``known_benign`` (known-good without a grade, e.g. NSRL), else ``unknown``
  (awaiting a grade).
* Counts are distinct by content: files with the same hash (SHA-256, else SHA-1, else MD5)
  count once per exhibit, and once in the case total even when several exhibits hold them.
  If copies of one hash somehow differ in category, the most severe one counts.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from seawall.hashsets.scheme import KNOWN_BENIGN, UNKNOWN, case_scheme
from seawall.matching import policy
from seawall.matching.service import file_results
from seawall.matching.verdict import NO_VERDICT
from seawall.store.models import Exhibit, FileRecord
from seawall.store.queries import case_by_reference, final_grades

MOTION: dict[str | None, str] = {"image": "still", "video": "moving"}


def _empty(columns: list[str]) -> dict[str, dict[str, int]]:
    return {c: {"still": 0, "moving": 0} for c in columns}


def case_counts(session: Session, case_reference: str,
                local_grades: Mapping[int, str] | policy.LocalGradeProvider = final_grades
                ) -> dict:
    case = case_by_reference(session, case_reference)
    scheme = case_scheme(case.scheme)
    columns = [*scheme.names, KNOWN_BENIGN, UNKNOWN]
    rank = {c: i for i, c in enumerate(columns)}  # lower = more severe

    rows = session.execute(
        select(FileRecord.id, Exhibit.reference, FileRecord.media_class, FileRecord.sha256,
               FileRecord.sha1, FileRecord.md5)
        .join(Exhibit, Exhibit.id == FileRecord.exhibit_id)
        .where(Exhibit.case_id == case.id, FileRecord.media_class.in_(list(MOTION)))
        .order_by(Exhibit.reference, FileRecord.id)).all()
    exhibits = session.scalars(select(Exhibit.reference).where(Exhibit.case_id == case.id)
                               .order_by(Exhibit.reference)).all()
    results = file_results(session, [r[0] for r in rows], local_grades)

    per_exhibit: dict[str, dict[tuple, str]] = {e: {} for e in exhibits}
    total: dict[tuple, str] = {}
    for fid, exhibit, media_class, sha256, sha1, md5 in rows:
        column = results.get(fid, NO_VERDICT).column
        if column not in rank:  # e.g. an unlisted local grade: still counted, visibly
            rank[column] = len(rank)
            columns.append(column)
        identity = sha256 or sha1 or md5 or f"file:{fid}"
        key = (MOTION[media_class], identity)
        for bucket in (per_exhibit[exhibit], total):
            old = bucket.get(key)
            if old is None or rank[column] < rank[old]:
                bucket[key] = column

    def tally(bucket: dict[tuple, str]) -> dict[str, dict[str, int]]:
        counts = _empty(columns)
        for (motion, _), column in bucket.items():
            counts[column][motion] += 1
        return counts

    return {
        "case": case.reference,
        "scheme": scheme.name,
        "exhibits": {e: tally(b) for e, b in per_exhibit.items()},
        "total": tally(total),
    }
