"""Risk instruments as data: load, validate and look up YAML instrument files.

An instrument file lists items (question, explanation, allowed answers with points, the
conservative default used when an item is marked unknown, optional pre-fill rules from case
facts), optional decision rules that set a minimum band, and bands over the total score with
a target action timescale.  ``docs`` in each shipped file show the format; a force adds or
replaces instruments with ``*.yaml`` files in a directory named by ``SEAWALL_INSTRUMENT_DIR``
(several separated by ``os.pathsep``): a file with the same ``name`` as a shipped one wins.

Every problem found is reported with its file and line, all at once, so a force can fix a
file in one pass.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from seawall.casework import conditions
from seawall.casework.yamlmarks import MarkedDict, MarkedList, line_of, load
from seawall.errors import ConfigError, NotFound

FORMAT = "seawall-instrument/1"
SHIPPED_DIR = Path(__file__).with_name("instruments")
INSTRUMENT_DIR_ENV = "SEAWALL_INSTRUMENT_DIR"
UNKNOWN = "unknown"  # the explicit "marked unknown" answer, valid for every item
KINDS = ("published", "seawall", "force")
ID_RE = re.compile(r"^[a-z][a-z0-9_]*$")
NAME_RE = re.compile(r"^[a-z][a-z0-9_.-]*$")
# Facts that pre-fill rules may read (see seawall.casework.indicators.assessment_facts).
PREFILL_FACTS = {
    "suspect.age", "indicator.category_a", "indicator.indecent_total",
    "indicator.indecent_moving", "indicator.unknown_share", "indicator.possible_production",
    "indicator.multi_device", "indicator.time_span_days",
}


@dataclass(frozen=True)
class Answer:
    value: str
    label: str
    points: int


@dataclass(frozen=True)
class Item:
    id: str
    question: str
    explanation: str
    answers: tuple[Answer, ...]
    unknown_as: str
    section: str | None = None
    unknown_note: str = ""
    prefill: tuple[dict, ...] = ()

    def answer(self, value: str) -> Answer | None:
        return next((a for a in self.answers if a.value == value), None)

    @property
    def values(self) -> list[str]:
        return [a.value for a in self.answers]

    @property
    def max_points(self) -> int:
        return max(a.points for a in self.answers)

    @property
    def min_points(self) -> int:
        return min(a.points for a in self.answers)


@dataclass(frozen=True)
class Band:
    id: str
    label: str
    min: int
    max: int
    timescale_days: int | None = None
    action: str = ""


@dataclass(frozen=True)
class Rule:
    id: str
    when: dict
    band_at_least: str
    explanation: str


@dataclass
class Instrument:
    name: str
    title: str
    version: str
    kind: str
    label: str
    description: str
    items: list[Item]
    bands: list[Band]
    rules: list[Rule] = field(default_factory=list)
    sections: list[dict] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    population: str = ""
    caveats: list[str] = field(default_factory=list)
    max_unknown: int | None = None
    max_unknown_reason: str = ""
    path: str = ""
    sha256: str = ""

    def item(self, item_id: str) -> Item | None:
        return next((i for i in self.items if i.id == item_id), None)

    def band(self, band_id: str) -> Band | None:
        return next((b for b in self.bands if b.id == band_id), None)

    def band_rank(self, band_id: str) -> int:
        return [b.id for b in self.bands].index(band_id)

    @property
    def max_score(self) -> int:
        return sum(i.max_points for i in self.items)

    @property
    def min_score(self) -> int:
        return sum(i.min_points for i in self.items)

    def summary(self) -> dict:
        return {"name": self.name, "title": self.title, "version": self.version,
                "kind": self.kind, "label": self.label, "items": len(self.items),
                "bands": [b.id for b in self.bands], "path": self.path}

    def describe(self) -> dict:
        """Everything an assessor (or a script) needs to answer the instrument."""
        return {
            **self.summary(),
            "description": self.description, "population": self.population,
            "caveats": self.caveats, "sources": self.sources,
            "max_unknown": self.max_unknown,
            "sections": self.sections,
            "items": [{"id": i.id, "section": i.section, "question": i.question,
                       "explanation": i.explanation,
                       "answers": [{"value": a.value, "label": a.label, "points": a.points}
                                   for a in i.answers] + [{"value": UNKNOWN,
                                                           "label": "Unknown",
                                                           "counts_as": i.unknown_as}],
                       "unknown_as": i.unknown_as} for i in self.items],
            "rules": [{"id": r.id, "when": conditions.describe(r.when),
                       "band_at_least": r.band_at_least, "explanation": r.explanation}
                      for r in self.rules],
            "bands": [{"id": b.id, "label": b.label, "min": b.min, "max": b.max,
                       "timescale_days": b.timescale_days, "action": b.action}
                      for b in self.bands],
        }


class _Checker:
    """Collects problems with their line numbers while reading one file."""

    def __init__(self, source: str):
        self.source = source
        self.problems: list[str] = []

    def add(self, line: int, message: str) -> None:
        self.problems.append(f"{self.source}:{line}: {message}")

    def text(self, mapping: MarkedDict, key: str, required: bool = True,
             default: str = "") -> str:
        value = mapping.get(key)
        if value is None:
            if required:
                self.add(mapping.line, f"missing '{key}'")
            return default
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            self.add(mapping.line_of(key), f"'{key}' must be text")
            return default
        return str(value).strip()

    def mapping(self, value, line: int, what: str) -> MarkedDict | None:
        if not isinstance(value, MarkedDict):
            self.add(line_of(value, line), f"{what} must be a mapping")
            return None
        return value

    def unknown_keys(self, mapping: MarkedDict, allowed: set[str], what: str) -> None:
        for key in mapping:
            if key not in allowed:
                self.add(mapping.line_of(key), f"unknown key {key!r} in {what} "
                                               f"(allowed: {', '.join(sorted(allowed))})")

    def integer(self, mapping: MarkedDict, key: str, required: bool = True,
                default: int | None = None) -> int | None:
        value = mapping.get(key)
        if value is None:
            if required:
                self.add(mapping.line, f"missing '{key}'")
            return default
        if isinstance(value, bool) or not isinstance(value, int):
            self.add(mapping.line_of(key), f"'{key}' must be a whole number")
            return default
        return value


TOP_KEYS = {"format", "name", "title", "version", "kind", "label", "description", "sources",
            "population", "caveats", "scoring", "sections", "items", "rules", "bands"}
ITEM_KEYS = {"id", "section", "question", "explanation", "answers", "unknown_as",
             "unknown_note", "prefill"}


def _string_list(chk: _Checker, doc: MarkedDict, key: str) -> list[str]:
    value = doc.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        chk.add(doc.line_of(key), f"'{key}' must be a list of text")
        return []
    return [v.strip() for v in value]


def _answers(chk: _Checker, raw, line: int, item_id: str) -> list[Answer]:
    if not isinstance(raw, MarkedList) or len(raw) < 2:
        chk.add(line_of(raw, line), f"item {item_id!r}: 'answers' needs at least two answers")
        return []
    out: list[Answer] = []
    for index, entry in enumerate(raw):
        entry = chk.mapping(entry, raw.line_of(index), f"an answer of item {item_id!r}")
        if entry is None:
            continue
        chk.unknown_keys(entry, {"value", "label", "points"}, f"an answer of item {item_id!r}")
        value = chk.text(entry, "value")
        if isinstance(entry.get("value"), bool):
            # YAML 1.1 reads yes/no as booleans; demand quotes so answers stay as written.
            chk.add(entry.line_of("value"), f"item {item_id!r}: quote the answer value "
                                            "(e.g. \"yes\"), YAML reads it as true/false")
            value = "yes" if entry["value"] else "no"
        if value == UNKNOWN:
            chk.add(entry.line_of("value"), f"item {item_id!r}: 'unknown' is reserved (every "
                                            "item accepts it; set unknown_as instead)")
        if value in [a.value for a in out]:
            chk.add(entry.line_of("value"), f"item {item_id!r}: duplicate answer {value!r}")
        points = chk.integer(entry, "points", default=0)
        out.append(Answer(value, chk.text(entry, "label", required=False, default=value),
                          points or 0))
    return out


def _item(chk: _Checker, raw, line: int, section_ids: set[str]) -> Item | None:
    raw = chk.mapping(raw, line, "an item")
    if raw is None:
        return None
    chk.unknown_keys(raw, ITEM_KEYS, "an item")
    item_id = chk.text(raw, "id")
    if item_id and not ID_RE.match(item_id):
        chk.add(raw.line_of("id"), f"item id {item_id!r} must be lower case letters, digits "
                                   "and _")
    answers = _answers(chk, raw.get("answers"), raw.line_of("answers"), item_id)
    values = [a.value for a in answers]
    if "unknown_as" in raw:
        unknown_as = chk.text(raw, "unknown_as")
        if answers and unknown_as not in values:
            chk.add(raw.line_of("unknown_as"), f"item {item_id!r}: unknown_as {unknown_as!r} "
                                               f"is not one of its answers ({', '.join(values)})")
    else:
        # Conservative default: unknown counts as the answer that adds the most risk.
        unknown_as = max(answers, key=lambda a: a.points).value if answers else ""
    section = raw.get("section")
    if section is not None and section not in section_ids:
        chk.add(raw.line_of("section"), f"item {item_id!r}: unknown section {section!r}")
    prefill = raw.get("prefill") or MarkedList()
    if not isinstance(prefill, MarkedList):
        chk.add(raw.line_of("prefill"), f"item {item_id!r}: 'prefill' must be a list")
        prefill = MarkedList()
    for index, rule in enumerate(prefill):
        rule = chk.mapping(rule, prefill.line_of(index), f"a prefill rule of {item_id!r}")
        if rule is None:
            continue
        chk.unknown_keys(rule, {"when", "answer", "note"}, "a prefill rule")
        if rule.get("answer") not in values:
            chk.add(rule.line_of("answer"), f"item {item_id!r}: prefill answer "
                                            f"{rule.get('answer')!r} is not one of its answers")
        chk.problems += conditions.validate(rule.get("when"), chk.source, facts=PREFILL_FACTS)
    return Item(id=item_id, question=chk.text(raw, "question"),
                explanation=chk.text(raw, "explanation"), answers=tuple(answers),
                unknown_as=unknown_as, section=section,
                unknown_note=chk.text(raw, "unknown_note", required=False),
                prefill=tuple(prefill))


def _bands(chk: _Checker, doc: MarkedDict, low: int, high: int) -> list[Band]:
    raw = doc.get("bands")
    if not isinstance(raw, MarkedList) or not raw:
        chk.add(doc.line_of("bands"), "'bands' needs a non-empty list")
        return []
    bands: list[Band] = []
    for index, entry in enumerate(raw):
        entry = chk.mapping(entry, raw.line_of(index), "a band")
        if entry is None:
            continue
        chk.unknown_keys(entry, {"id", "label", "min", "max", "timescale_days", "action"},
                         "a band")
        band_id = chk.text(entry, "id")
        if band_id in [b.id for b in bands]:
            chk.add(entry.line_of("id"), f"duplicate band {band_id!r}")
        lo, hi = chk.integer(entry, "min", default=0), chk.integer(entry, "max", default=0)
        if lo is not None and hi is not None and lo > hi:
            chk.add(entry.line, f"band {band_id!r}: min {lo} is above max {hi}")
        days = chk.integer(entry, "timescale_days", required=False)
        if days is not None and days < 0:
            chk.add(entry.line_of("timescale_days"), "timescale_days cannot be negative")
        bands.append(Band(band_id, chk.text(entry, "label", required=False, default=band_id),
                          lo or 0, hi or 0, days, chk.text(entry, "action", required=False)))
    # Bands are listed from least to most severe and must tile every possible score.
    expected = low
    for band, index in zip(bands, range(len(raw)), strict=False):
        line = raw.line_of(index)
        if band.min != expected:
            word = "gap" if band.min > expected else "overlap"
            chk.add(line, f"band {band.id!r} starts at {band.min}, expected {expected} "
                          f"({word}: bands must cover scores {low}..{high} in order)")
        expected = band.max + 1
    if bands and bands[-1].max < high:
        chk.add(raw.line_of(len(raw) - 1), f"bands end at {bands[-1].max} but the score can "
                                           f"reach {high}")
    return bands


def parse(text: str, source: str = "<string>") -> Instrument:
    """Parse and validate instrument YAML; raise ConfigError listing every problem."""
    doc = load(text, source)
    chk = _Checker(source)
    if not isinstance(doc, MarkedDict):
        raise ConfigError(problems=[f"{source}:{line_of(doc, 1)}: an instrument must be a mapping"])
    chk.unknown_keys(doc, TOP_KEYS, "the instrument")
    if doc.get("format") != FORMAT:
        chk.add(doc.line_of("format"), f"'format' must be {FORMAT!r}")
    name = chk.text(doc, "name")
    if name and not NAME_RE.match(name):
        chk.add(doc.line_of("name"), f"name {name!r} must be lower case letters, digits, "
                                     "'-', '.' and '_'")
    kind = chk.text(doc, "kind")
    if kind and kind not in KINDS:
        chk.add(doc.line_of("kind"), f"kind must be one of {', '.join(KINDS)}")
    sections = doc.get("sections") or MarkedList()
    if not isinstance(sections, MarkedList):
        chk.add(doc.line_of("sections"), "'sections' must be a list")
        sections = MarkedList()
    section_ids = set()
    for index, section in enumerate(sections):
        section = chk.mapping(section, sections.line_of(index), "a section")
        if section is not None:
            chk.unknown_keys(section, {"id", "title", "description"}, "a section")
            section_ids.add(chk.text(section, "id"))
            chk.text(section, "title")
    raw_items = doc.get("items")
    items: list[Item] = []
    if not isinstance(raw_items, MarkedList) or not raw_items:
        chk.add(doc.line_of("items"), "'items' needs a non-empty list")
        raw_items = MarkedList()
    for index, raw in enumerate(raw_items):
        item = _item(chk, raw, raw_items.line_of(index), section_ids)
        if item is None:
            continue
        if item.id in [i.id for i in items]:
            chk.add(raw.line_of("id"), f"duplicate item id {item.id!r}")
        items.append(item)
    scoring = doc.get("scoring") or MarkedDict()
    max_unknown, max_unknown_reason = None, ""
    if chk.mapping(scoring, doc.line_of("scoring"), "'scoring'") is not None:
        chk.unknown_keys(scoring, {"method", "max_unknown", "max_unknown_reason"}, "'scoring'")
        if scoring.get("method", "sum") != "sum":
            chk.add(scoring.line_of("method"), "scoring method must be 'sum' (points, then "
                                               "rules that raise the band)")
        max_unknown = chk.integer(scoring, "max_unknown", required=False)
        max_unknown_reason = chk.text(scoring, "max_unknown_reason", required=False)
    low = sum(min((a.points for a in i.answers), default=0) for i in items)
    high = sum(max((a.points for a in i.answers), default=0) for i in items)
    bands = _bands(chk, doc, low, high)
    band_ids = [b.id for b in bands]
    rules: list[Rule] = []
    raw_rules = doc.get("rules") or MarkedList()
    if not isinstance(raw_rules, MarkedList):
        chk.add(doc.line_of("rules"), "'rules' must be a list")
        raw_rules = MarkedList()
    answer_sets = {i.id: i.values for i in items}
    for index, raw in enumerate(raw_rules):
        raw = chk.mapping(raw, raw_rules.line_of(index), "a rule")
        if raw is None:
            continue
        chk.unknown_keys(raw, {"id", "when", "band_at_least", "explanation"}, "a rule")
        floor = chk.text(raw, "band_at_least")
        if floor and floor not in band_ids:
            chk.add(raw.line_of("band_at_least"), f"unknown band {floor!r} "
                                                  f"(bands: {', '.join(band_ids)})")
        chk.problems += conditions.validate(raw.get("when"), source, items=answer_sets)
        rules.append(Rule(chk.text(raw, "id"), raw.get("when") or {}, floor,
                          chk.text(raw, "explanation")))
    if chk.problems:
        raise ConfigError(problems=chk.problems)
    return Instrument(
        name=name, title=chk.text(doc, "title"), version=str(doc.get("version", "")),
        kind=kind, label=chk.text(doc, "label", required=False),
        description=chk.text(doc, "description", required=False), items=items, bands=bands,
        rules=rules, sections=[dict(s) for s in sections],
        sources=_string_list(chk, doc, "sources"),
        population=chk.text(doc, "population", required=False),
        caveats=_string_list(chk, doc, "caveats"), max_unknown=max_unknown,
        max_unknown_reason=max_unknown_reason, path=source,
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest())


def load_file(path: str | Path) -> Instrument:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(problems=[f"{path}: cannot read: {exc}"]) from None
    return parse(text, str(path))


def instrument_dirs() -> list[Path]:
    extra = os.environ.get(INSTRUMENT_DIR_ENV, "")
    return [SHIPPED_DIR] + [Path(p) for p in extra.split(os.pathsep) if p]


def load_all(dirs: list[Path] | None = None) -> dict[str, Instrument]:
    """Every instrument by name; later directories override earlier ones.  Raises
    ConfigError listing the problems of every invalid file."""
    found: dict[str, Instrument] = {}
    problems: list[str] = []
    for directory in dirs or instrument_dirs():
        if not directory.is_dir():
            problems.append(f"{directory}: instrument directory not found")
            continue
        for path in sorted(directory.glob("*.yaml")) + sorted(directory.glob("*.yml")):
            try:
                instrument = load_file(path)
            except ConfigError as exc:
                problems += exc.problems
                continue
            found[instrument.name] = instrument
    if problems:
        raise ConfigError(problems=problems)
    return found


class UnknownInstrument(NotFound, KeyError):
    """No loaded instrument has this name (a ``KeyError`` too, as it always was)."""


def get(name: str, dirs: list[Path] | None = None) -> Instrument:
    instruments = load_all(dirs)
    if name not in instruments:
        raise UnknownInstrument(
            f"no instrument {name!r} (loaded: {', '.join(sorted(instruments))})")
    return instruments[name]
