"""Operations configuration: packaged TOML defaults, optionally overlaid by a force's file.

``SEAWALL_OPERATIONS_CONFIG`` / ``SEAWALL_WORKFORCE_CONFIG`` (or an explicit path) name a
TOML file whose keys replace the packaged ones key by key (tables merge, values replace), so
a force only writes what it changes.
"""

from __future__ import annotations

import copy
import os
import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from seawall.errors import ConfigError
from seawall.operations.calendar import WorkCalendar

DEFAULTS_DIR = Path(__file__).with_name("defaults")

Key = tuple[str | int, ...]


def _merge(base: dict, override: dict) -> dict:
    out = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def dotted(key: Key) -> str:
    """('tasks', 'grading', 'requires', 1) -> 'tasks.grading.requires[1]'."""
    out = ""
    for part in key:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?$")
_ASSIGN = re.compile(r"^\s*((?:[A-Za-z0-9_-]+|\"[^\"]*\"|'[^']*')"
                     r"(?:\s*\.\s*(?:[A-Za-z0-9_-]+|\"[^\"]*\"|'[^']*'))*)\s*=")


def _key_parts(text: str) -> tuple[str, ...]:
    return tuple(p.strip().strip("\"'") for p in re.findall(
        r"\"[^\"]*\"|'[^']*'|[^.]+", text))


def key_line(text: str, key: Key) -> int | None:
    """The line of a TOML document that sets ``key`` or, failing that, the nearest table or
    key above it (a header ``[tasks.grading]`` for ``tasks.grading.requires``)."""
    table: Key = ()
    arrays: dict[Key, int] = {}
    best: tuple[int, int] | None = None  # (length of the matched prefix, line)
    for number, line in enumerate(text.splitlines(), 1):
        header = _HEADER.match(line)
        if header:
            names: Key = _key_parts(header.group(2))
            if header.group(1) == "[[":
                arrays[names] = arrays.get(names, -1) + 1
                names = (*names, arrays[names])
            table, found = names, names
        else:
            assign = _ASSIGN.match(line)
            if not assign:
                continue
            found = (*table, *_key_parts(assign.group(1)))
        if found == key[:len(found)] and (best is None or len(found) > best[0]):
            best = (len(found), number)
    return best[1] if best else None


def _present(data: object, key: Key) -> int:
    """How many leading parts of ``key`` exist in ``data``."""
    for depth, part in enumerate(key):
        if isinstance(part, int) and isinstance(data, list) and part < len(data):
            data = data[part]
        elif isinstance(part, str) and isinstance(data, dict) and part in data:
            data = data[part]
        else:
            return depth
    return len(key)


@dataclass(frozen=True)
class TomlLayer:
    path: str
    text: str
    data: dict


@dataclass(frozen=True)
class LayeredToml:
    """Packaged defaults overlaid by a force's file, remembering which file set what so an
    error names the file, line and key to fix."""

    layers: tuple[TomlLayer, ...]
    data: dict

    def error(self, key: Sequence[str | int], message: str) -> ConfigError:
        """A ConfigError for ``key``, located in the last file that sets it (or most of it)."""
        key = tuple(key)
        layer = max(reversed(self.layers), key=lambda lay: _present(lay.data, key))
        line = key_line(layer.text, key)
        where = f"{layer.path}:{line}" if line else layer.path
        return ConfigError(f"{where}: {dotted(key)}: {message}" if key
                           else f"{where}: {message}")


def _read_layer(path: str | os.PathLike) -> TomlLayer:
    try:
        text = Path(path).read_text(encoding="utf-8")
        return TomlLayer(str(path), text, tomllib.loads(text))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: {exc}") from exc


def load_layers(name: str, path: str | os.PathLike | None, env: str) -> LayeredToml:
    """Packaged ``defaults/<name>`` merged with ``path`` (or the file named by ``env``)."""
    layers = [_read_layer(DEFAULTS_DIR / name)]
    path = path or os.environ.get(env)
    if path:
        layers.append(_read_layer(path))
    data: dict = {}
    for layer in layers:
        data = _merge(data, layer.data)
    return LayeredToml(tuple(layers), data)


@dataclass(frozen=True)
class Band:
    key: str
    label: str
    deadline_days: int
    weight: float


@dataclass(frozen=True)
class ExhibitType:
    key: str
    label: str
    default_hours: float


@dataclass
class BacklogConfig:
    """Priority policy, capacity and simulation defaults (see defaults/backlog.toml)."""

    bands: dict[str, Band]
    unbanded: str
    deadline_measure: str
    ageing_per_day: float
    overdue_per_day: float
    safeguarding_bonus: float
    always_first: tuple[str, ...]
    examiners: int
    hours_per_day: float
    working_weekdays: tuple[int, ...]
    min_history: int
    history_days: int
    exhibit_types: dict[str, ExhibitType]
    simulation: dict = field(default_factory=dict)
    bank_holidays: tuple[date, ...] = ()
    # Casework pathway decisions that take a case's waiting exhibits out of the DF queue.
    diversion_pathways: tuple[str, ...] = ("low_risk_diversion",)
    # Safeguarding-flagged exhibits before everything else (a policy to compare, see
    # policy.POLICIES; not a configured default).
    safeguarding_first: bool = False

    def calendar(self, start: date) -> WorkCalendar:
        """The working calendar (weekdays, bank holidays) from ``start``: the same one for
        the forecast and the simulation."""
        return WorkCalendar(start, self.working_weekdays, self.bank_holidays)

    @property
    def band_order(self) -> list[str]:
        """Band keys from most to least urgent (highest weight first)."""
        return sorted(self.bands, key=lambda b: -self.bands[b].weight)

    def starvation_bound_days(self, band: str | None = None) -> float:
        """Days after which an item of ``band`` (default: the lowest) outranks any newly
        received item outside the always-first bands, safeguarding-flagged or not: the
        policy's guarantee against starvation."""
        band = band or self.band_order[-1]
        ranked = [b.weight for k, b in self.bands.items() if k not in self.always_first]
        top = max(ranked or [0.0]) + self.safeguarding_bonus
        gap = top - self.bands[band].weight
        deadline = self.bands[band].deadline_days
        # Solve weight + a*d + o*max(0, d - deadline) >= top for d.
        if self.ageing_per_day * deadline >= gap:
            return gap / self.ageing_per_day if self.ageing_per_day else float("inf")
        rate = self.ageing_per_day + self.overdue_per_day
        if rate <= 0:
            return float("inf")
        return deadline + (gap - self.ageing_per_day * deadline) / rate


def _holidays(source: LayeredToml, values: object) -> tuple[date, ...]:
    key = ("capacity", "bank_holidays")
    if not isinstance(values, list):
        raise source.error(key, "expected a list of dates (2026-12-25)")
    out = []
    for i, value in enumerate(values):
        if isinstance(value, date) and not isinstance(value, datetime):
            out.append(value)
            continue
        try:
            out.append(date.fromisoformat(str(value)))
        except ValueError:
            raise source.error((*key, i), f"{value!r} is not a date (YYYY-MM-DD)") from None
    return tuple(sorted(out))


def backlog_config(path: str | os.PathLike | None = None, **overrides) -> BacklogConfig:
    """Load the backlog configuration; keyword overrides replace capacity/priority values."""
    source = load_layers("backlog.toml", path, "SEAWALL_OPERATIONS_CONFIG")
    raw = source.data
    bands_raw = dict(raw.get("bands", {}))
    measure = bands_raw.pop("deadline_measure", "start")
    unbanded = bands_raw.pop("unbanded", "medium")
    bands = {}
    for key, spec in bands_raw.items():
        if not isinstance(spec, dict):
            raise source.error(("bands", key), "expected a table")
        try:
            bands[key] = Band(key, str(spec.get("label", key)), int(spec["deadline_days"]),
                              float(spec.get("weight", 0)))
        except KeyError as exc:
            raise source.error(("bands", key), f"{exc.args[0]} missing") from exc
        except (TypeError, ValueError) as exc:
            raise source.error(("bands", key), str(exc)) from exc
    if not bands:
        raise source.error(("bands",), "no risk bands configured")
    if unbanded not in bands:
        raise source.error(("bands", "unbanded"), f"{unbanded!r} is not a band")
    prio, cap = raw.get("priority", {}), raw.get("capacity", {})
    unknown = set(prio.get("always_first", [])) - set(bands)
    if unknown:
        raise source.error(("priority", "always_first"),
                           f"unknown band(s) {sorted(unknown)}")
    if measure not in ("start", "finish"):
        raise source.error(("bands", "deadline_measure"), "must be 'start' or 'finish'")
    types = {k: ExhibitType(k, v.get("label", k), float(v["default_hours"]))
             for k, v in raw.get("exhibit_types", {}).items()}
    cfg = BacklogConfig(
        bands=bands, unbanded=unbanded, deadline_measure=measure,
        ageing_per_day=float(prio.get("ageing_per_day", 1.0)),
        overdue_per_day=float(prio.get("overdue_per_day", 0.0)),
        safeguarding_bonus=float(prio.get("safeguarding_bonus", 0.0)),
        always_first=tuple(prio.get("always_first", [])),
        examiners=int(cap.get("examiners", 1)),
        hours_per_day=float(cap.get("hours_per_day", 6.0)),
        working_weekdays=tuple(int(d) for d in cap.get("working_weekdays", [0, 1, 2, 3, 4])),
        bank_holidays=_holidays(source, cap.get("bank_holidays", [])),
        diversion_pathways=tuple(raw.get("diversion", {}).get(
            "pathways", ["low_risk_diversion"])),
        min_history=int(cap.get("min_history", 5)),
        history_days=int(cap.get("history_days", 180)),
        exhibit_types=types, simulation=dict(raw.get("simulation", {})))
    for key, value in overrides.items():
        if value is None:
            continue
        if not hasattr(cfg, key):
            raise ConfigError(f"unknown setting {key!r}")
        setattr(cfg, key, value)
    if cfg.examiners < 0 or cfg.hours_per_day <= 0 or not cfg.working_weekdays:
        raise ConfigError("capacity needs examiners >= 0, hours_per_day > 0 and working days")
    return cfg

