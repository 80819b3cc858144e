"""Operations configuration: packaged TOML defaults, optionally overlaid by a force's file.

``SEAWALL_OPERATIONS_CONFIG`` / ``SEAWALL_WORKFORCE_CONFIG`` (or an explicit path) name a
TOML file whose keys replace the packaged ones key by key (tables merge, values replace), so
a force only writes what it changes.
"""

from __future__ import annotations

import copy
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from seawall.errors import ConfigError

DEFAULTS_DIR = Path(__file__).with_name("defaults")


def _merge(base: dict, override: dict) -> dict:
    out = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def load_toml(name: str, path: str | os.PathLike | None, env: str) -> dict:
    """Packaged ``defaults/<name>`` merged with ``path`` (or the file named by ``env``)."""
    with open(DEFAULTS_DIR / name, "rb") as fh:
        data = tomllib.load(fh)
    path = path or os.environ.get(env)
    if path:
        try:
            with open(path, "rb") as fh:
                data = _merge(data, tomllib.load(fh))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"{path}: {exc}") from exc
    return data


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


def backlog_config(path: str | os.PathLike | None = None, **overrides) -> BacklogConfig:
    """Load the backlog configuration; keyword overrides replace capacity/priority values."""
    raw = load_toml("backlog.toml", path, "SEAWALL_OPERATIONS_CONFIG")
    bands_raw = dict(raw.get("bands", {}))
    measure = bands_raw.pop("deadline_measure", "start")
    unbanded = bands_raw.pop("unbanded", "medium")
    bands = {}
    for key, spec in bands_raw.items():
        if not isinstance(spec, dict):
            raise ConfigError(f"bands.{key}: expected a table")
        try:
            bands[key] = Band(key, spec.get("label", key), int(spec["deadline_days"]),
                              float(spec.get("weight", 0)))
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigError(f"bands.{key}: {exc}") from exc
    if not bands:
        raise ConfigError("no risk bands configured")
    if unbanded not in bands:
        raise ConfigError(f"bands.unbanded: {unbanded!r} is not a band")
    prio, cap = raw.get("priority", {}), raw.get("capacity", {})
    unknown = set(prio.get("always_first", [])) - set(bands)
    if unknown:
        raise ConfigError(f"priority.always_first: unknown band(s) {sorted(unknown)}")
    if measure not in ("start", "finish"):
        raise ConfigError("bands.deadline_measure must be 'start' or 'finish'")
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


def workforce_config(path: str | os.PathLike | None = None) -> dict:
    """The workforce configuration as a dict (validated by seawall.operations.workforce)."""
    return load_toml("workforce.toml", path, "SEAWALL_WORKFORCE_CONFIG")
