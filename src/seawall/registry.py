"""One shape for Seawall's plug-in points: evidence sources, hash-set formats, exporters.

A :class:`Registry` maps names to implementations.  Built-in implementations live in modules
that register themselves when imported (``@SOURCES.register``, ``FORMATS.register(Format(…))``,
``@EXPORTERS.named("dfxml")``); the registry imports them lazily, on first use, and
then loads the Python entry points of its group, so another package adds an implementation
by declaring, in its ``pyproject.toml``::

    [project.entry-points."seawall.exporters"]
    myformat = "my_package.exporter:export_myformat"

An entry point that names an object registers it (under the object's own name where the
registry has a ``name_of``, else under the entry point's name); one that names a module just
imports it, and the module registers what it defines.  Asking for a name nobody registered
raises :class:`UnknownName`, which lists the names that are known.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from importlib import metadata
from types import ModuleType
from typing import Generic, TypeVar

from seawall.errors import ConfigError, InvalidInput

T = TypeVar("T")


class UnknownName(InvalidInput):
    """A name (source kind, format, exporter) that no registry entry answers to."""

    def __init__(self, what: str, name: str, known: Sequence[str]) -> None:
        super().__init__(f"unknown {what} {name!r} (known: {', '.join(known) or 'none'})")
        self.name = name
        self.known = list(known)


class Registry(Generic[T]):
    """Named implementations of one plug-in point: built-ins plus entry points."""

    def __init__(self, what: str, group: str, builtin: Sequence[str],
                 name_of: Callable[[T], str] | None = None) -> None:
        self.what = what  # for messages: "evidence source kind", "hash-set format" …
        self.group = group  # entry-point group, e.g. "seawall.exporters"
        self._builtin = tuple(builtin)
        self._name_of = name_of
        self._items: dict[str, T] = {}
        self._loaded = False

    def register(self, item: T, name: str | None = None) -> T:
        """Register ``item`` under ``name`` (default: ``name_of(item)``) and return it, so
        it also serves as a class decorator.  A later registration of a name wins."""
        if name is None:
            if self._name_of is None:
                raise TypeError(f"{self.what}: register() needs a name")
            name = self._name_of(item)
        self._items[name] = item
        return item

    def named(self, name: str) -> Callable[[T], T]:
        """Decorator registering under ``name`` (for things without a name of their own)."""
        return lambda item: self.register(item, name)

    def get(self, name: str) -> T:
        self._load()
        try:
            return self._items[name]
        except KeyError:
            raise UnknownName(self.what, name, self.names()) from None

    def names(self) -> list[str]:
        self._load()
        return sorted(self._items)

    def items(self) -> dict[str, T]:
        self._load()
        return dict(self._items)

    def _load(self) -> None:
        if self._loaded:
            return
        self._loaded = True  # before importing: built-in modules import this registry
        for module in self._builtin:
            importlib.import_module(module)
        for entry_point in metadata.entry_points(group=self.group):
            try:
                loaded = entry_point.load()
            except Exception as exc:  # any failure of a plug-in's import, reported loudly
                raise ConfigError(f"entry point {entry_point.name!r} of group {self.group!r} "
                                  f"({entry_point.value}) cannot be loaded: {exc}") from exc
            if not isinstance(loaded, ModuleType):
                self.register(loaded, None if self._name_of else entry_point.name)


__all__ = ["Registry", "UnknownName"]
