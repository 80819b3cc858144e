"""The categories a case is graded in, taken from the hash-set scheme files
(``seawall.hashsets.scheme``), so local grades use the same names as hash-set categories and
feed ``file_results`` and ``seawall counts`` unchanged.

Graders choose among a scheme's categories except "uncategorised" (which means "known but
not graded"), most severe first; number keys 1, 2, 3 ... pick them in that order.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from seawall.hashsets.scheme import COLUMN_LABELS, case_scheme

NOT_GRADABLE = {"uncategorised"}


@dataclass(frozen=True)
class GradeCategory:
    code: str
    label: str
    severity: int  # the common severity order shared by all schemes: larger is worse


@lru_cache(maxsize=32)
def _load(scheme: str) -> tuple[GradeCategory, ...]:
    loaded = case_scheme(scheme)
    cats = sorted(loaded.categories, key=lambda c: -c.severity)
    return tuple(GradeCategory(c.name, c.label, c.severity) for c in cats
                 if c.name not in NOT_GRADABLE)


def grade_categories(scheme: str) -> list[GradeCategory]:
    return list(_load(scheme or "uk"))


def categories(scheme: str) -> list[tuple[str, str]]:
    """(code, label) pairs in key order."""
    return [(c.code, c.label) for c in grade_categories(scheme)]


def label(scheme: str | None, code: str | None) -> str:
    """The label shown for a category code or count column ("not_indecent" -> "Not
    indecent / non-pertinent"); codes of another scheme are looked up in the shipped
    schemes, and a code no scheme knows is shown as it is."""
    if not code:
        return ""
    if code in COLUMN_LABELS:
        return COLUMN_LABELS[code]
    for name in dict.fromkeys((scheme or "uk", "uk", "vics-us")):
        for c in case_scheme(name).categories:
            if c.name == code:
                return c.label
    return code


def codes(scheme: str) -> list[str]:
    return [c.code for c in grade_categories(scheme)]


def severity(scheme: str, category: str | None) -> int:
    """Severity of ``category`` on the common order (0 when unknown).  Categories of another
    scheme (an indicative match) are looked up in the shipped schemes."""
    if not category:
        return 0
    for name in (scheme, "uk", "vics-us"):
        for c in grade_categories(name):
            if c.code == category:
                return c.severity
    return 0
