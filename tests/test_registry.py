"""One registry shape for evidence sources, hash-set formats and exporters: built-ins,
Python entry points, and one unknown-name error that lists the known names."""

from __future__ import annotations

import importlib.metadata
import sys
import types

import pytest

from seawall.errors import ConfigError, InvalidInput
from seawall.evidence.base import EvidenceSource
from seawall.evidence.registry import SOURCES, open_exhibit
from seawall.exports.registry import EXPORTERS
from seawall.hashsets.registry import FORMATS, Format
from seawall.registry import Registry, UnknownName


class PluginSource(EvidenceSource):
    NAME = "plugin_source"

    @classmethod
    def accepts(cls, paths):
        return False

    def iter_entries(self):
        return iter(())

    def open(self, locator):
        raise NotImplementedError


def plugin_exporter(session, case_reference, out, **options) -> int:
    return 0


PLUGIN_FORMAT = Format(name="plugin_format", description="test plug-in",
                       read=lambda source, ctx: iter(()))


def _entry_points(monkeypatch, group: str, name: str, obj: object) -> None:
    """Serve one entry point ``name`` in ``group`` pointing at ``obj`` (from a fake module)."""
    module = types.ModuleType("seawall_test_plugin")
    module.plugin = obj
    monkeypatch.setitem(sys.modules, "seawall_test_plugin", module)
    entry_point = importlib.metadata.EntryPoint(name, "seawall_test_plugin:plugin", group)
    real = importlib.metadata.entry_points

    def entry_points(**params):
        if params.get("group") == group:
            return importlib.metadata.EntryPoints([entry_point])
        return real(**params)

    monkeypatch.setattr(importlib.metadata, "entry_points", entry_points)


@pytest.mark.parametrize(("registry", "name", "obj", "builtin"), [
    (SOURCES, "plugin_source", PluginSource, "disk_image"),
    (FORMATS, "plugin_format", PLUGIN_FORMAT, "vics"),
    (EXPORTERS, "plugin_exporter", plugin_exporter, "dfxml"),
], ids=["evidence_sources", "hashset_formats", "exporters"])
def test_entry_point_plugin_appears_next_to_builtins(monkeypatch, registry, name, obj, builtin):
    registry.names()  # built-ins loaded; the test then reloads into a copy it throws away
    monkeypatch.setattr(registry, "_items", dict(registry._items))
    monkeypatch.setattr(registry, "_loaded", False)
    _entry_points(monkeypatch, registry.group, name, obj)
    assert name not in registry._items
    assert {name, builtin} <= set(registry.names())
    assert registry.get(name) is obj


def test_evidence_plugin_opens_exhibits_by_kind(monkeypatch):
    SOURCES.names()
    monkeypatch.setattr(SOURCES, "_items", dict(SOURCES._items))
    monkeypatch.setattr(SOURCES, "_loaded", False)
    _entry_points(monkeypatch, "seawall.evidence_sources", "whatever", PluginSource)
    # Registered under the class's own NAME (what exhibits store), not the entry point's.
    assert isinstance(open_exhibit(["x"], kind="plugin_source"), PluginSource)


@pytest.mark.parametrize("registry", [SOURCES, FORMATS, EXPORTERS])
def test_unknown_name_is_one_error_listing_known_names(registry):
    with pytest.raises(UnknownName) as caught:
        registry.get("no-such-thing")
    assert isinstance(caught.value, InvalidInput)
    message = str(caught.value)
    assert "'no-such-thing'" in message
    assert all(name in message for name in registry.names())


def test_register_as_decorator_and_broken_plugin(monkeypatch):
    registry: Registry[object] = Registry("widget", "seawall.test_widgets", builtin=())

    @registry.named("one")
    def one() -> None: ...

    assert registry.names() == ["one"] and registry.get("one") is one
    with pytest.raises(UnknownName, match=r"unknown widget 'two' \(known: one\)"):
        registry.get("two")

    broken = importlib.metadata.EntryPoint("bad", "seawall_no_such_module:x", "seawall.bad")
    monkeypatch.setattr(importlib.metadata, "entry_points",
                        lambda **params: importlib.metadata.EntryPoints([broken]))
    with pytest.raises(ConfigError, match="entry point 'bad'"):
        Registry("widget", "seawall.bad", builtin=()).names()
