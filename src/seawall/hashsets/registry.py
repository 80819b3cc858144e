"""Hash-set formats.  One module per format; a new format is one new file.

A format module registers ``FORMAT = FORMATS.register(Format(...))``.  Third-party packages
add formats through the ``seawall.hashset_formats`` entry-point group (see
:mod:`seawall.registry`): an entry point names a ``Format`` or a module that registers one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from seawall.hashsets.base import ImportContext, Row
from seawall.registry import Registry


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


FORMATS: Registry[Format] = Registry(
    "hash-set format", "seawall.hashset_formats",
    builtin=("seawall.hashsets.vics", "seawall.hashsets.nsrl", "seawall.hashsets.hashlist",
             "seawall.hashsets.pdq_list", "seawall.hashsets.vpdq_list"),
    name_of=lambda fmt: fmt.name)

