"""Matching scanned files against known-hash sets: exact (MD5/SHA-1/SHA-256), PDQ
near-duplicates (with dihedral variants) and vPDQ videos; category policy and counts.

Public API: :func:`seawall.matching.service.match_case`, :func:`~.service.file_results`
(a :class:`FileVerdict` per file), :func:`~.service.has_hashsets`,
:func:`seawall.matching.counts.case_counts`."""

from seawall.matching.verdict import NO_VERDICT, FileVerdict, SetMatch, VerdictLookup

__all__ = ["NO_VERDICT", "FileVerdict", "SetMatch", "VerdictLookup"]
