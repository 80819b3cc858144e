"""Evidence source kinds (as dfVFS registers its resolver helpers).

Built-in kinds register themselves with ``@SOURCES.register``; other packages add kinds
through the ``seawall.evidence_sources`` entry-point group (see :mod:`seawall.registry`).
"""

from __future__ import annotations

from seawall.evidence.base import EvidenceError, EvidenceSource
from seawall.registry import Registry

SOURCES: Registry[type[EvidenceSource]] = Registry(
    "evidence source kind", "seawall.evidence_sources",
    builtin=("seawall.evidence.directory_source", "seawall.evidence.disk_image"),
    name_of=lambda source_class: source_class.NAME)


def detect(paths: list[str]) -> type[EvidenceSource]:
    """The first source kind (lowest ``PRIORITY``) that accepts ``paths``."""
    for cls in sorted(SOURCES.items().values(), key=lambda c: c.PRIORITY):
        if cls.accepts(paths):
            return cls
    raise EvidenceError(f"no evidence source can open {paths!r}")


def open_exhibit(paths: list[str], kind: str | None = None) -> EvidenceSource:
    cls = SOURCES.get(kind) if kind else detect(paths)
    return cls(paths)
