"""Pathway decision support: configurable rules recommend a pathway and show the diversion
eligibility checklist.  The recommendation is advice; :mod:`seawall.casework.service`
records the human decision (with a reason for any departure) and audits it."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from seawall.casework import conditions
from seawall.casework.yamlmarks import MarkedDict, MarkedList, line_of, load
from seawall.errors import ConfigError

FORMAT = "seawall-pathways/1"
DEFAULT_FILE = Path(__file__).with_name("pathways") / "default.yaml"
PATHWAYS_FILE_ENV = "SEAWALL_PATHWAYS_FILE"
FACT_PREFIXES = ("assessment.", "answer.", "indicator.", "suspect.")


@dataclass
class Check:
    id: str
    label: str
    when: dict


@dataclass
class Pathway:
    id: str
    title: str
    description: str = ""
    when: dict | None = None
    eligibility: list[Check] = field(default_factory=list)


@dataclass
class PathwayRules:
    instrument: str
    facts: list[dict]
    pathways: list[Pathway]
    path: str = ""

    def pathway(self, pathway_id: str) -> Pathway | None:
        return next((p for p in self.pathways if p.id == pathway_id), None)


def _validate_facts(cond, where: str) -> list[str]:
    problems = conditions.validate(cond, where)
    if problems or not isinstance(cond, dict):
        return problems
    for key in ("all", "any"):
        if key in cond:
            return [p for c in cond[key] for p in _validate_facts(c, where)]
    if "not" in cond:
        return _validate_facts(cond["not"], where)
    if not str(cond["fact"]).startswith(FACT_PREFIXES):
        return [f"{where}:{line_of(cond)}: fact {cond['fact']!r} must start with one of "
                f"{', '.join(FACT_PREFIXES)}"]
    return []


def parse(text: str, source: str = "<string>") -> PathwayRules:
    doc = load(text, source)
    problems: list[str] = []
    if not isinstance(doc, MarkedDict):
        raise ConfigError(problems=[f"{source}:1: pathway rules must be a mapping"])
    if doc.get("format") != FORMAT:
        problems.append(f"{source}:{doc.line_of('format')}: 'format' must be {FORMAT!r}")
    for key in doc:
        if key not in {"format", "instrument", "facts", "pathways"}:
            problems.append(f"{source}:{doc.line_of(key)}: unknown key {key!r}")
    facts = doc.get("facts")
    if not isinstance(facts, MarkedList):
        facts = MarkedList()
    for index, fact in enumerate(facts):
        if not isinstance(fact, dict) or not fact.get("id") or not fact.get("question"):
            problems.append(f"{source}:{facts.line_of(index)}: a fact needs id and question")
    raw = doc.get("pathways")
    pathways: list[Pathway] = []
    if not isinstance(raw, MarkedList) or len(raw) < 2:
        problems.append(f"{source}:{doc.line_of('pathways')}: 'pathways' needs at least two "
                        "pathways (the last is the fallback)")
        raw = MarkedList()
    for index, entry in enumerate(raw):
        line = raw.line_of(index)
        if not isinstance(entry, MarkedDict) or not entry.get("id") or not entry.get("title"):
            problems.append(f"{source}:{line}: a pathway needs id and title")
            continue
        for key in entry:
            if key not in {"id", "title", "description", "when", "eligibility"}:
                problems.append(f"{source}:{entry.line_of(key)}: unknown key {key!r}")
        if "when" in entry:
            problems += _validate_facts(entry["when"], source)
        checks = []
        for check in entry.get("eligibility") or []:
            if not isinstance(check, MarkedDict) or not check.get("id") or "when" not in check:
                problems.append(f"{source}:{line_of(check, line)}: an eligibility check needs "
                                "id, label and when")
                continue
            problems += _validate_facts(check["when"], source)
            checks.append(Check(check["id"], str(check.get("label") or check["id"]),
                                check["when"]))
        if index < len(raw) - 1 and "when" not in entry and not checks:
            problems.append(f"{source}:{line}: pathway {entry['id']!r} needs 'when' or "
                            "'eligibility' (only the last pathway is an unconditional fallback)")
        pathways.append(Pathway(str(entry["id"]), str(entry["title"]),
                                str(entry.get("description") or "").strip(),
                                entry.get("when"), checks))
    if problems:
        raise ConfigError(problems=problems)
    return PathwayRules(str(doc.get("instrument") or ""), [dict(f) for f in facts], pathways,
                        source)


def load_rules(path: str | Path | None = None) -> PathwayRules:
    path = Path(path or os.environ.get(PATHWAYS_FILE_ENV) or DEFAULT_FILE)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(problems=[f"{path}: cannot read: {exc}"]) from None
    return parse(text, str(path))


def build_facts(result: dict | None, indicator_facts: dict, suspect_facts: dict,
                age: int | None) -> dict:
    """The flat fact mapping the rules read."""
    facts = dict(indicator_facts)
    facts["suspect.age"] = age
    for key, value in (suspect_facts or {}).items():
        facts[f"suspect.{key}"] = value if value not in ("", "unknown") else None
    if result:
        facts["assessment.status"] = result.get("status")
        facts["assessment.band"] = result.get("band")
        facts["assessment.band_at_least"] = result.get("band_at_least")
        facts["assessment.score"] = result.get("score")
        for reason in result.get("reasons", []):
            # Unknown answers count as their conservative default, as in scoring.
            facts[f"answer.{reason['item']}"] = reason.get("counted_as")
    return facts


def recommend(rules: PathwayRules, facts: dict) -> dict:
    """{"recommended", "title", "description", "why", "provisional", "pathways": [...],
    "eligibility": {pathway: [{"id", "label", "met"}]}, "advice_only": True}."""
    lookup = lambda kind, name: facts.get(name) if kind == "fact" else None  # noqa: E731
    chosen, why, listing, eligibility = None, "", [], {}
    for index, pathway in enumerate(rules.pathways):
        checks = [{"id": c.id, "label": c.label, "met": conditions.evaluate(c.when, lookup),
                   "condition": conditions.describe(c.when)} for c in pathway.eligibility]
        if checks:
            eligibility[pathway.id] = checks
        met_when = conditions.evaluate(pathway.when, lookup) if pathway.when else None
        if pathway.when is not None:
            matched = met_when is True
        elif checks:
            matched = all(c["met"] is True for c in checks)
        else:
            matched = index == len(rules.pathways) - 1
        listing.append({"id": pathway.id, "title": pathway.title,
                        "description": pathway.description, "matched": matched})
        if matched and chosen is None:
            chosen = pathway
            if pathway.when is not None:
                why = f"Conditions met: {conditions.describe(pathway.when)}"
            elif checks:
                why = "Every eligibility condition is met."
            else:
                why = "No earlier pathway's conditions are met."
    if chosen is None:  # a force's rules without a fallback: say so rather than guess
        chosen = rules.pathways[-1]
        why = "No pathway's conditions are met; showing the last pathway as the fallback."
    provisional = facts.get("assessment.status") != "complete"
    if provisional:
        why += (" The assessment is not complete, so this is provisional and diversion cannot "
                "be recommended.")
    return {"recommended": chosen.id, "title": chosen.title,
            "description": chosen.description, "why": why, "provisional": provisional,
            "pathways": listing, "eligibility": eligibility, "advice_only": True,
            "instrument": rules.instrument}
