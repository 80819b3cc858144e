"""The workforce configuration (defaults/workforce.toml, overlaid by a force's file) parsed
into frozen, typed objects.

Every problem is a :class:`~seawall.errors.ConfigError` naming the file, line and key to
fix (``workforce.toml:71: tasks.grading.requires[1]: unknown credential 'iioc'``), so a
force's edited copy fails loudly at start-up rather than half-way through a report.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from seawall.operations.config import Key, LayeredToml, load_layers

_REQUIREMENT = re.compile(r"^\s*([a-z0-9_]+)\s*(?:>=\s*(\d+))?\s*$")


@dataclass(frozen=True)
class Requirement:
    code: str
    min_level: int | None = None

    def __str__(self) -> str:
        return self.code + (f">={self.min_level}" if self.min_level is not None else "")


@dataclass(frozen=True)
class Credential:
    """Something a person holds with dates: a course, an accreditation level, a screening."""

    code: str
    label: str
    levels: tuple[int, ...] = ()
    valid_years: float | None = None
    specialist_course: bool = False


@dataclass(frozen=True)
class Role:
    key: str
    label: str
    dedicated_ocsa: bool
    profile: tuple[Requirement, ...]


@dataclass(frozen=True)
class Task:
    key: str
    label: str
    requires: tuple[Requirement, ...]
    bands: Mapping[str, tuple[Requirement, ...]]
    hours_per_case: float
    exposure: bool
    # Roles expected to do the task; in a team with none of them the gap map shows the
    # capability as not applicable rather than as a gap.  Empty: every team.
    roles: tuple[str, ...] = ()

    def for_band(self, band: str | None) -> tuple[Requirement, ...]:
        return self.bands.get(band, self.requires) if band else self.requires


@dataclass(frozen=True)
class Assignment:
    """Hard limits on who may be suggested for new work."""

    new_case_tasks: tuple[str, ...]
    max_open_allocations: int
    max_load_share: float
    weekly_items_graded_limit: int | None
    weekly_grading_minutes_limit: int | None


@dataclass(frozen=True)
class Demand:
    horizon_weeks: int
    task_share: float


POPULATIONS = ("all", "dedicated", "role:<role>", "team:<team>")


@dataclass(frozen=True)
class Headline:
    """A headline figure: how many of ``population`` lack (or hold) ``credential`` (a
    credential code, or ``profile`` for the person's whole role profile)."""

    id: str
    label: str
    population: str
    credential: str
    lacking: bool


@dataclass(frozen=True)
class WorkforceConfig:
    credentials: Mapping[str, Credential]
    roles: Mapping[str, Role]
    tasks: Mapping[str, Task]
    assignment: Assignment
    demand: Demand
    headlines: tuple[Headline, ...]
    expiry_warning_days: int

    def credential_label(self, code: str) -> str:
        cred = self.credentials.get(code)
        return cred.label if cred else code

    def profile(self, role: str) -> tuple[Requirement, ...]:
        found = self.roles.get(role)
        return found.profile if found else ()

    def dedicated(self, role: str) -> bool:
        found = self.roles.get(role)
        return found.dedicated_ocsa if found else False


class _Reader:
    """Typed reads from the merged TOML, each failure located by file, line and key."""

    def __init__(self, source: LayeredToml) -> None:
        self.source = source

    def error(self, key: Key, message: str):
        return self.source.error(key, message)

    def raw(self, key: Key):
        value: object = self.source.data
        for part in key:
            if isinstance(value, dict) and isinstance(part, str):
                value = value.get(part)
            elif isinstance(value, list) and isinstance(part, int) and part < len(value):
                value = value[part]
            else:
                return None
        return value

    def table(self, key: Key, allowed: Sequence[str] | None = None) -> dict:
        value = self.raw(key)
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise self.error(key, "expected a table")
        if allowed is not None:
            for name in value:
                if name not in allowed:
                    raise self.error((*key, name), f"unknown setting (expected one of: "
                                                   f"{', '.join(allowed)})")
        return value

    def text(self, key: Key, default: str) -> str:
        value = self.raw(key)
        if value is None:
            return default
        if not isinstance(value, str) or not value.strip():
            raise self.error(key, "expected a non-empty string")
        return value

    def flag(self, key: Key, default: bool | None = None) -> bool:
        value = self.raw(key)
        if value is None and default is not None:
            return default
        if not isinstance(value, bool):
            raise self.error(key, "expected true or false" if value is not None
                             else "missing (true or false)")
        return value

    def number(self, key: Key, default: float | None, low: float = 0.0,
               high: float | None = None, integer: bool = False) -> float | None:
        value = self.raw(key)
        if value is None:
            return default
        kinds = (int,) if integer else (int, float)
        if isinstance(value, bool) or not isinstance(value, kinds):
            raise self.error(key, "expected a whole number" if integer else "expected a number")
        if value < low or (high is not None and value > high):
            span = f"between {low:g} and {high:g}" if high is not None else f"at least {low:g}"
            raise self.error(key, f"{value!r} out of range (expected {span})")
        return value

    def whole(self, key: Key, default: int, low: int = 0) -> int:
        return int(self.number(key, default, low, integer=True) or 0)

    def optional_whole(self, key: Key, low: int = 0) -> int | None:
        value = self.number(key, None, low, integer=True)
        return None if value is None else int(value)

    def strings(self, key: Key) -> list[str]:
        value = self.raw(key)
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.error(key, "expected a list of strings")
        for i, item in enumerate(value):
            if not isinstance(item, str):
                raise self.error((*key, i), "expected a string")
        return value

    def requirements(self, key: Key, credentials: Mapping[str, Credential]
                     ) -> tuple[Requirement, ...]:
        out = []
        for i, text in enumerate(self.strings(key)):
            match = _REQUIREMENT.match(text)
            if not match:
                raise self.error((*key, i), f"bad requirement {text!r} "
                                            "(use 'code' or 'code>=LEVEL')")
            code, level = match.group(1), match.group(2)
            if code not in credentials:
                raise self.error((*key, i), f"unknown credential {code!r}")
            levels = credentials[code].levels
            if level is not None and not levels:
                raise self.error((*key, i), f"{code} has no levels")
            out.append(Requirement(code, int(level) if level else None))
        return tuple(out)


_TOP = ("expiry_warning_days", "credentials", "roles", "tasks", "assignment", "demand",
        "headlines")


def parse_config(source: LayeredToml, bands: Sequence[str] | None = None) -> WorkforceConfig:
    """Validate the workforce configuration; ``bands`` (most urgent first) are the risk
    bands a task's per-band requirements may name."""
    read = _Reader(source)
    read.table((), _TOP)
    credentials = {}
    for code in read.table(("credentials",)):
        key: Key = ("credentials", code)
        read.table(key, ("label", "levels", "valid_years", "specialist_course"))
        levels = read.raw((*key, "levels"))
        if levels is not None and (not isinstance(levels, list) or not all(
                isinstance(v, int) and not isinstance(v, bool) for v in levels)):
            raise read.error((*key, "levels"), "expected a list of whole numbers")
        credentials[code] = Credential(
            code, read.text((*key, "label"), code), tuple(levels or ()),
            read.number((*key, "valid_years"), None, 0.0),
            read.flag((*key, "specialist_course"), False))
    if not credentials:
        raise read.error(("credentials",), "no credentials configured")

    roles = {}
    for role in read.table(("roles",)):
        key = ("roles", role)
        read.table(key, ("label", "dedicated_ocsa", "profile"))
        roles[role] = Role(role, read.text((*key, "label"), role),
                           read.flag((*key, "dedicated_ocsa")),
                           read.requirements((*key, "profile"), credentials))

    tasks = {}
    for name in read.table(("tasks",)):
        key = ("tasks", name)
        read.table(key, ("label", "requires", "bands", "hours_per_case", "exposure", "roles"))
        per_band = {}
        for band in read.table((*key, "bands")):
            if bands is not None and band not in bands:
                raise read.error((*key, "bands", band), f"unknown band {band!r} (expected "
                                                        f"one of: {', '.join(bands)})")
            per_band[band] = read.requirements((*key, "bands", band), credentials)
        task_roles = read.strings((*key, "roles"))
        for i, role in enumerate(task_roles):
            if role not in roles:
                raise read.error((*key, "roles", i), f"unknown role {role!r}")
        tasks[name] = Task(name, read.text((*key, "label"), name),
                           read.requirements((*key, "requires"), credentials), per_band,
                           float(read.number((*key, "hours_per_case"), 0.0) or 0.0),
                           read.flag((*key, "exposure"), False), tuple(task_roles))

    key = ("assignment",)
    read.table(key, ("new_case_tasks", "max_open_allocations", "max_load_share",
                     "weekly_items_graded_limit", "weekly_grading_minutes_limit"))
    new_case = read.strings((*key, "new_case_tasks"))
    for i, task in enumerate(new_case):
        if task not in tasks:
            raise read.error((*key, "new_case_tasks", i), f"unknown task {task!r}")
    assignment = Assignment(
        tuple(new_case), read.whole((*key, "max_open_allocations"), 8, low=1),
        float(read.number((*key, "max_load_share"), 1.0, 0.01) or 1.0),
        read.optional_whole((*key, "weekly_items_graded_limit")),
        read.optional_whole((*key, "weekly_grading_minutes_limit")))

    key = ("demand",)
    read.table(key, ("horizon_weeks", "task_share"))
    demand = Demand(read.whole((*key, "horizon_weeks"), 12, low=1),
                    float(read.number((*key, "task_share"), 0.6, 0.01, 1.0) or 0.6))

    headlines = []
    raw_headlines = read.raw(("headlines",)) or []
    if not isinstance(raw_headlines, list):
        raise read.error(("headlines",), "expected an array of tables ([[headlines]])")
    for i in range(len(raw_headlines)):
        key = ("headlines", i)
        spec = read.table(key, ("id", "label", "population", "lacking", "holding"))
        if ("lacking" in spec) == ("holding" in spec):
            raise read.error(key, "needs exactly one of 'lacking' or 'holding'")
        which = "lacking" if "lacking" in spec else "holding"
        code = read.text((*key, which), "")
        if code != "profile" and code not in credentials:
            raise read.error((*key, which), f"unknown credential {code!r}")
        population = read.text((*key, "population"), "all")
        kind, _, name = population.partition(":")
        if not (population in ("all", "dedicated") or (kind == "team" and name)
                or (kind == "role" and name in roles)):
            raise read.error((*key, "population"), f"unknown population {population!r} "
                                                   f"(expected {', '.join(POPULATIONS)})")
        ident = read.text((*key, "id"), f"headline{i + 1}")
        headlines.append(Headline(ident, read.text((*key, "label"), ident), population,
                                  code, which == "lacking"))

    return WorkforceConfig(credentials, roles, tasks, assignment, demand, tuple(headlines),
                           read.whole(("expiry_warning_days",), 90))


def load_workforce_config(path: str | os.PathLike | None = None,
                          bands: Sequence[str] | None = None) -> WorkforceConfig:
    """Packaged defaults overlaid by ``path`` (or ``SEAWALL_WORKFORCE_CONFIG``), parsed."""
    return parse_config(load_layers("workforce.toml", path, "SEAWALL_WORKFORCE_CONFIG"), bands)
