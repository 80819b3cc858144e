"""Registry of hash-set formats.  One module per format; a new format is one new file.

A format module defines ``FORMAT = Format(...)``.  Built-in modules are listed in
``BUILTIN``; third-party packages can add formats through the ``seawall.hashset_formats``
entry-point group (each entry point names a module that defines ``FORMAT``).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from seawall.hashsets.base import ImportContext, Row

BUILTIN = [
    "seawall.hashsets.vics",
    "seawall.hashsets.nsrl",
    "seawall.hashsets.hashlist",
    "seawall.hashsets.pdq_list",
    "seawall.hashsets.vpdq_list",
]


@dataclass(frozen=True)
class Format:
    name: str
    description: str
    # read(source, ctx): ``source`` is a binary stream (a HashingReader) when ``streamed``,
    # else the file's Path (e.g. an SQLite database the plugin opens itself).
    read: Callable[[Any, ImportContext], Iterator[Row]]
    streamed: bool = True
    default_scheme: str = "uk"
    needs_category: bool = False  # one category for the whole list (--category)
    default_category: str | None = None


_FORMATS: dict[str, Format] = {}
_loaded = False


def register(fmt: Format) -> None:
    _FORMATS[fmt.name] = fmt


def _load() -> None:
    global _loaded
    if _loaded:
        return
    _loaded = True
    for mod in BUILTIN:
        register(importlib.import_module(mod).FORMAT)
    for ep in entry_points(group="seawall.hashset_formats"):
        register(importlib.import_module(ep.value).FORMAT)


def get_format(name: str) -> Format:
    _load()
    try:
        return _FORMATS[name]
    except KeyError:
        raise ValueError(f"unknown hash-set format {name!r} "
                         f"(known: {', '.join(sorted(_FORMATS))})") from None


def formats() -> dict[str, Format]:
    _load()
    return dict(_FORMATS)


def source_size(source: Any) -> int | None:
    try:
        return Path(source).stat().st_size
    except (TypeError, OSError):
        return None
