"""Export formats register a writer ``fn(session, case_reference, out_path, **options) -> int``."""

from __future__ import annotations

import importlib
from collections.abc import Callable

_EXPORTERS: dict[str, Callable] = {}
BUILTIN = ["seawall.exports.dfxml", "seawall.exports.vics", "seawall.exports.case_uco"]


def register(name: str):
    def decorate(fn):
        _EXPORTERS[name] = fn
        return fn
    return decorate


def _load() -> None:
    for module in BUILTIN:
        importlib.import_module(module)


def get(name: str) -> Callable:
    _load()
    return _EXPORTERS[name]


def names() -> list[str]:
    _load()
    return sorted(_EXPORTERS)
