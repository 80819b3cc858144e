"""Members of zip, tar, gzip and 7z archives, streamed with expansion limits.

Nothing is extracted to disk: every member is read through a capped stream, so a zip bomb
ends in an "expansion limit exceeded" error instead of exhausting memory or disk.  Member
names are only ever used as labels ("../x" and "/etc/x" are recorded, never written).
Recursion into nested archives is the caller's: it calls :func:`iter_archive_members` again
with ``depth + 1`` on a member whose first bytes :func:`seawall.signatures.archive_kind`
recognises.

One module per format (``zip``, ``tar``, ``gz``, ``sevenzip``), each with an
``iter_members``; the limits and member entries they share are in ``limits`` and
``members``, the dispatch in ``expansion``.
"""

from seawall.evidence.archives.expansion import iter_archive_members
from seawall.evidence.archives.limits import (
    ArchiveLimits,
    ExpansionBudget,
    ExpansionLimitExceeded,
)

__all__ = [
    "ArchiveLimits",
    "ExpansionBudget",
    "ExpansionLimitExceeded",
    "iter_archive_members",
]
