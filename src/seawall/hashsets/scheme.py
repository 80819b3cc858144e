"""Category schemes: configuration (TOML), not code.

A scheme lists categories with a position on the common severity order (larger = more
severe), marks the known-benign ones, and maps the numeric codes of VICS dialects to its
category names.  Shipped schemes live in ``schemes/*.toml`` next to this module; a force
overrides or adds schemes with files of the same name in a directory named by
``SEAWALL_SCHEME_DIR`` (several directories separated by ``os.pathsep``) or with an
explicit ``--scheme-file``.

``known_benign`` is a pseudo-category every scheme understands: it is what NSRL (and any
other "known good" list) entries carry, and takes a file out of the review queue without
giving it a grade.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from seawall.errors import ConfigError

KNOWN_BENIGN = "known_benign"
UNKNOWN = "unknown"
# Labels of the two count columns that are no category of a scheme.
COLUMN_LABELS = {KNOWN_BENIGN: "Known benign (e.g. NSRL), not graded",
                 UNKNOWN: "Unknown: awaiting a grade"}
SCHEME_DIR_ENV = "SEAWALL_SCHEME_DIR"


class SchemeError(ConfigError):
    """A scheme file is missing or malformed, or a category/code is not in the scheme."""


class UnknownScheme(SchemeError):
    """No scheme file (or alias) has this name."""


@dataclass(frozen=True)
class Category:
    name: str
    label: str
    severity: int
    known_benign: bool = False
    aliases: tuple[str, ...] = ()  # other spellings, e.g. the grading screen's "N"


@dataclass(frozen=True)
class Dialect:
    name: str
    codes: dict[str, str]
    unknown_code: str
    assumption: bool = False


@dataclass
class Scheme:
    name: str
    title: str
    categories: list[Category]
    dialects: dict[str, Dialect] = field(default_factory=dict)
    aliases: tuple[str, ...] = ()  # other names of the scheme (e.g. "us")
    source: str = ""  # file it was read from
    toml_text: str = ""  # verbatim definition, snapshotted into every hash-set version

    @property
    def names(self) -> list[str]:
        """Category names, most severe first (the column order of count tables)."""
        return [c.name for c in sorted(self.categories, key=lambda c: -c.severity)]

    def category(self, name: str) -> Category | None:
        for c in self.categories:
            if c.name == name:
                return c
        return None

    def resolve(self, name: str) -> str:
        """Return the canonical category name for ``name`` (case-insensitive) or raise."""
        if name == KNOWN_BENIGN or name.lower() == KNOWN_BENIGN:
            return KNOWN_BENIGN
        if self.category(name):
            return name
        for c in self.categories:
            if c.name.lower() == name.lower() or name in c.aliases:
                return c.name
        allowed = ", ".join([*self.names, KNOWN_BENIGN])
        raise SchemeError(f"category {name!r} is not in scheme {self.name!r} (allowed: {allowed})")

    def severity(self, name: str) -> int:
        c = self.category(name)
        return c.severity if c else -1

    def is_benign(self, name: str) -> bool:
        if name == KNOWN_BENIGN:
            return True
        c = self.category(name)
        return bool(c and c.known_benign)

    def dialect(self, name: str) -> Dialect:
        for key, d in self.dialects.items():
            if key.lower() == name.lower():
                return d
        raise SchemeError(
            f"scheme {self.name!r} has no code table for VICS dialect {name!r}; add a "
            f"[dialects.{name}] table to a scheme file (see --scheme-file / {SCHEME_DIR_ENV})"
        )


def parse_scheme(text: str, source: str = "<string>") -> Scheme:
    """Parse and validate a scheme definition."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SchemeError(f"{source}: not valid TOML: {exc}") from exc
    name = data.get("name")
    if not isinstance(name, str) or not name:
        raise SchemeError(f"{source}: missing 'name'")
    cats = []
    for i, raw in enumerate(data.get("categories", []), 1):
        if not isinstance(raw, dict) or not isinstance(raw.get("name"), str):
            raise SchemeError(f"{source}: categories[{i}] needs a string 'name'")
        sev = raw.get("severity")
        if not isinstance(sev, int) or isinstance(sev, bool):
            raise SchemeError(f"{source}: category {raw['name']!r} needs an integer 'severity'")
        if raw["name"] in (KNOWN_BENIGN, UNKNOWN):
            raise SchemeError(f"{source}: {raw['name']!r} is reserved")
        cats.append(Category(raw["name"], str(raw.get("label", raw["name"])), sev,
                             bool(raw.get("known_benign", False)),
                             tuple(str(a) for a in raw.get("aliases", []))))
    if not cats:
        raise SchemeError(f"{source}: no categories")
    if len({c.name for c in cats}) != len(cats):
        raise SchemeError(f"{source}: duplicate category names")
    scheme = Scheme(name, str(data.get("title", name)), cats, {},
                    tuple(str(a) for a in data.get("aliases", [])), source, text)
    for dname, raw in (data.get("dialects") or {}).items():
        codes = {str(k): str(v) for k, v in (raw.get("codes") or {}).items()}
        unknown = str(raw.get("unknown_code", "uncategorised"))
        for target in [*codes.values(), unknown]:
            if target != KNOWN_BENIGN and not scheme.category(target):
                raise SchemeError(f"{source}: dialect {dname!r} maps to unknown category "
                                  f"{target!r}")
        scheme.dialects[dname] = Dialect(dname, codes, unknown, bool(raw.get("assumption")))
    return scheme


def _config_dirs() -> list[Path]:
    raw = os.environ.get(SCHEME_DIR_ENV, "")
    return [Path(p) for p in raw.split(os.pathsep) if p]


def scheme_file(path: str | os.PathLike) -> Scheme:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise SchemeError(f"cannot read scheme file {p}: {exc}") from exc
    return parse_scheme(text, str(p))


def load_scheme(name: str) -> Scheme:
    """Load scheme ``name``: a force's config directories first, then the shipped files."""
    if name.endswith(".toml") or os.sep in name:
        return scheme_file(name)
    for d in _config_dirs():
        candidate = d / f"{name}.toml"
        if candidate.is_file():
            return scheme_file(candidate)
    res = resources.files("seawall.hashsets").joinpath("schemes").joinpath(f"{name}.toml")
    if res.is_file():
        return parse_scheme(res.read_text(encoding="utf-8"), f"seawall:schemes/{name}.toml")
    for other in available():
        if other != name:
            scheme = load_scheme(other)
            if name in scheme.aliases:
                return scheme
    raise UnknownScheme(
        f"unknown category scheme {name!r} (available: {', '.join(available())})")


def available() -> list[str]:
    names: set[str] = set()
    for d in _config_dirs():
        names.update(p.stem for p in d.glob("*.toml"))
    for res in resources.files("seawall.hashsets").joinpath("schemes").iterdir():
        if res.name.endswith(".toml"):
            names.add(res.name[:-5])
    return sorted(names)


_LOADED: dict[str, Scheme] = {}


def named_scheme(name: str) -> Scheme:
    """:func:`load_scheme`, once per process."""
    if name not in _LOADED:
        _LOADED[name] = load_scheme(name)
    return _LOADED[name]


def case_scheme(name: str | None) -> Scheme:
    """The scheme a case is graded in (``"uk"`` when the case names none).  An unknown or
    malformed scheme raises :class:`SchemeError` (a ConfigError): nothing is silently graded
    in another scheme's categories."""
    return named_scheme(name or "uk")
