"""What matching says about one file, as the other stages (grading, reports, casework, the
CLI and the web app) receive it from :func:`seawall.matching.service.file_results`."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from sqlalchemy.orm import Session

from seawall.hashsets.scheme import KNOWN_BENIGN, UNKNOWN


@dataclass(frozen=True)
class SetMatch:
    """One match of a file against a hash-set version."""

    set: str
    version: int
    kind: str  # md5, sha1, sha256, pdq or vpdq
    distance: int | None
    category: str
    # Cannot decide the file's category: an untrusted set, another scheme than the case's,
    # or ``excluded``.
    indicative: bool = False
    # Why this match never counts: a negative set's match, or a PDQ match of a file that
    # matches a negative set.
    excluded: str | None = None
    # vPDQ only: share of the file's frames matched, and of the set entry's frames.
    query_pct: float | None = None
    compared_pct: float | None = None

    def summary(self) -> dict:
        """Which entry of which set matched, and how: for audit entries and reports."""
        return {"set": self.set, "version": self.version, "kind": self.kind,
                "distance": self.distance, "category": self.category}

    def as_dict(self) -> dict:
        """The JSON form (``seawall files --format json``)."""
        out = self.summary()
        if self.indicative:
            out["indicative"] = True
        if self.excluded is not None:
            out["excluded"] = self.excluded
        if self.query_pct is not None:
            out["query_pct"] = self.query_pct
        if self.compared_pct is not None:
            out["compared_pct"] = self.compared_pct
        return out


@dataclass(frozen=True)
class FileVerdict:
    """A file's effective category (None: not decided), whether it is known-benign, every
    match, and the final local grade when dual grading or a supervisor settled it."""

    category: str | None
    known_benign: bool
    matches: tuple[SetMatch, ...] = ()
    local_grade: str | None = None

    @property
    def column(self) -> str:
        """The counts column: the category, else known-benign, else unknown."""
        if self.category is not None:
            return self.category
        return KNOWN_BENIGN if self.known_benign else UNKNOWN

    def as_dict(self) -> dict:
        out: dict = {"category": self.category, "known_benign": self.known_benign,
                     "matches": [m.as_dict() for m in self.matches]}
        if self.local_grade is not None:
            out["local_grade"] = self.local_grade
        return out


# A file no hash set knows and nobody has graded.
NO_VERDICT = FileVerdict(category=None, known_benign=False)

# (session, file ids) -> {file id: verdict}: file_results, or a stand-in in tests and tools.
VerdictLookup = Callable[[Session, Iterable[int]], Mapping[int, FileVerdict]]
