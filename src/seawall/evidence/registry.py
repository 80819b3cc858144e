"""Registry of evidence source kinds (as dfVFS registers its resolver helpers)."""

from __future__ import annotations

from seawall.evidence.base import EvidenceError, EvidenceSource

_SOURCES: dict[str, type[EvidenceSource]] = {}


def register(source_class: type[EvidenceSource]) -> type[EvidenceSource]:
    """Class decorator: make a source kind available to :func:`open_exhibit`."""
    _SOURCES[source_class.NAME] = source_class
    return source_class


def _load_builtin() -> None:
    # Imported for their registration side effect; PRIORITY orders detection.
    from seawall.evidence import directory_source, disk_image_source  # noqa: F401


def source_class(name: str) -> type[EvidenceSource]:
    _load_builtin()
    try:
        return _SOURCES[name]
    except KeyError:
        raise EvidenceError(f"unknown evidence source kind {name!r}") from None


def detect(paths: list[str]) -> type[EvidenceSource]:
    """The first registered source kind that accepts ``paths``."""
    _load_builtin()
    for cls in sorted(_SOURCES.values(), key=lambda c: c.PRIORITY):
        if cls.accepts(paths):
            return cls
    raise EvidenceError(f"no evidence source can open {paths!r}")


def open_exhibit(paths: list[str], kind: str | None = None) -> EvidenceSource:
    cls = source_class(kind) if kind else detect(paths)
    return cls(paths)
