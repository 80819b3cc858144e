"""Which category a file gets from its matches: the documented policy.

1. **A final local grade wins.**  When dual grading has settled a file, that grade is its
   category (by default read from the store, :func:`seawall.store.queries.final_grades`).
2. **Otherwise, the most severe trusted match in the case's scheme.**  Only matches from
   *trusted* sets whose scheme is the case's scheme decide; severity is the scheme's order.
   Untrusted sets, and grades in another scheme (e.g. a VICS-US "CAM" in a UK case), are
   kept and shown as ``indicative`` but never decide: nobody can honestly translate CAM into
   A/B/C, so such a file still needs a grade.
3. **Known-benign** (out of the review queue) only when every trusted match is benign
   (``known_benign`` entries such as NSRL, or benign categories such as "not indecent" /
   "non-pertinent") and the file has no local grade saying otherwise.  One non-benign
   trusted match anywhere keeps the file in review: a known-good hash never hides a known-bad
   one.
4. Otherwise the file has no category (``None``): unknown, awaiting a grade.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from sqlalchemy.orm import Session

from seawall.hashsets.scheme import KNOWN_BENIGN, Scheme, SchemeError

# (session, case reference) -> {file id: final local category}
LocalGradeProvider = Callable[[Session, str], Mapping[int, str]]


@dataclass(frozen=True)
class MatchFact:
    category: str
    scheme: str  # the scheme of the hash-set version
    trusted: bool
    benign: bool  # known_benign entry or a benign category of its scheme


def decides(fact: MatchFact, case_scheme: Scheme) -> bool:
    return fact.trusted and fact.scheme == case_scheme.name and fact.category != KNOWN_BENIGN


def effective(facts: list[MatchFact], case_scheme: Scheme,
              local_grade: str | None = None) -> tuple[str | None, bool]:
    """(effective category or None, known_benign) for one file."""
    if local_grade is not None:
        try:
            grade = case_scheme.resolve(local_grade)
        except SchemeError:
            grade = local_grade  # a human decision is never dropped, even if unlisted
        if grade == KNOWN_BENIGN:
            return None, True
        return grade, case_scheme.is_benign(grade)
    trusted = [f for f in facts if f.trusted]
    any_bad = any(not f.benign for f in trusted)
    deciding = [f for f in trusted if decides(f, case_scheme)]
    if deciding:
        best = max(deciding, key=lambda f: case_scheme.severity(f.category))
        if case_scheme.is_benign(best.category) and any_bad:
            return None, False  # benign here, graded elsewhere: a human must look
        return best.category, case_scheme.is_benign(best.category)
    if trusted and not any_bad:
        return None, True
    return None, False
