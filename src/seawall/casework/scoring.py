"""The scoring engine: answers in, band + score + explanation out.

Rules that keep the output honest:

* Every item must be answered or explicitly marked ``unknown``.  Until then the result is
  ``incomplete``: no band and no single score, only the range the score could still take, so
  a missing answer can never quietly make someone look lower risk.
* ``unknown`` counts as the item's documented conservative default (``unknown_as``, by
  default the answer that adds the most risk), both for points and for decision rules, and
  the explanation says so.
* An instrument may cap how many unknowns it tolerates (CPORT: one); beyond that it is
  ``not_scorable`` rather than scored on guesswork.
* Points give a band; decision rules may only raise it (``band_at_least``).
"""

from __future__ import annotations

from seawall.casework import conditions
from seawall.casework.instruments import UNKNOWN, Instrument, Item
from seawall.errors import InvalidInput


class AnswerError(InvalidInput, ValueError):
    """Answers that do not fit the instrument (unknown item, answer not allowed)."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


def _rule_items(cond) -> set[str]:
    if "all" in cond or "any" in cond:
        return set().union(*(_rule_items(c) for c in cond.get("all", cond.get("any", []))))
    if "not" in cond:
        return _rule_items(cond["not"])
    return {cond["item"]} if "item" in cond else set()


def normalise(instrument: Instrument, answers: dict) -> dict[str, dict]:
    """{item id: {"answer", "evidence", "note", "source"}} for the answered items.

    An answer is the answer value, ``"unknown"``, ``null`` (not answered), ``true``/``false``
    for yes/no items, or a mapping with ``answer`` plus optional ``evidence``/``note``/
    ``source``.  Raises AnswerError listing every problem.
    """
    if not isinstance(answers, dict):
        raise AnswerError(["answers must be a mapping of item id to answer"])
    problems: list[str] = []
    out: dict[str, dict] = {}
    for item_id, raw in answers.items():
        item = instrument.item(str(item_id))
        if item is None:
            problems.append(f"{item_id}: not an item of {instrument.name} "
                            f"(items: {', '.join(i.id for i in instrument.items)})")
            continue
        entry = dict(raw) if isinstance(raw, dict) else {"answer": raw}
        value = entry.get("answer")
        if value is None or value == "":
            continue  # not answered yet
        if isinstance(value, bool) and {"yes", "no"} <= set(item.values):
            value = "yes" if value else "no"
        value = str(value).strip().lower() if isinstance(value, str) else str(value)
        if value != UNKNOWN and item.answer(value) is None:
            problems.append(f"{item_id}: {entry.get('answer')!r} is not allowed "
                            f"(allowed: {', '.join(item.values + [UNKNOWN])})")
            continue
        evidence = entry.get("evidence") or []
        if not isinstance(evidence, list):
            evidence = [evidence]
        out[item.id] = {"answer": value, "evidence": evidence,
                        "note": str(entry.get("note") or ""),
                        "source": str(entry.get("source") or "assessor")}
    if problems:
        raise AnswerError(problems)
    return out


def _counted(item: Item, value: str) -> str:
    return item.unknown_as if value == UNKNOWN else value


def score(instrument: Instrument, answers: dict) -> dict:
    """Score ``answers`` (see :func:`normalise`) with ``instrument``; a JSON-ready dict."""
    given = normalise(instrument, answers)
    missing = [i.id for i in instrument.items if i.id not in given]
    unknown = [i.id for i in instrument.items if given.get(i.id, {}).get("answer") == UNKNOWN]

    def lookup(kind: str, name: str):
        entry = given.get(name)
        if kind != "item" or entry is None:
            return None
        return _counted(instrument.item(name), entry["answer"])

    fired = []
    for rule in instrument.rules:
        if conditions.evaluate(rule.when, lookup) is True:
            fired.append({"rule": rule.id, "band_at_least": rule.band_at_least,
                          "explanation": rule.explanation,
                          "items": sorted(_rule_items(rule.when))})
    rule_items = {i for r in fired for i in r["items"]}

    reasons = []
    low = high = 0
    for item in instrument.items:
        entry = given.get(item.id)
        reason = {"item": item.id, "section": item.section, "question": item.question,
                  "explanation": item.explanation}
        if entry is None:
            low += item.min_points
            high += item.max_points
            reasons.append({**reason, "answer": None, "contribution": None, "drove": False,
                            "explanation": f"{item.explanation} Not answered yet: answer it "
                                           "or mark it unknown.".strip()})
            continue
        value = entry["answer"]
        counted = item.answer(_counted(item, value))
        if value == UNKNOWN:
            low += item.min_points
            high += item.max_points
            note = (f"Marked unknown: counted as '{counted.value}' ({counted.points} points), "
                    "the documented conservative default.")
            if item.unknown_note:
                note += " " + item.unknown_note
            explanation = f"{item.explanation} {note}".strip()
        else:
            low += counted.points
            high += counted.points
            explanation = f"{item.explanation} Answer: {counted.label}.".strip()
        reasons.append({**reason, "answer": value, "counted_as": counted.value,
                        "answer_label": counted.label, "contribution": counted.points,
                        "explanation": explanation, "evidence": entry["evidence"],
                        "note": entry["note"], "source": entry["source"],
                        "drove": counted.points > 0 or item.id in rule_items})

    floor = max(fired, key=lambda r: instrument.band_rank(r["band_at_least"]), default=None)
    result = {
        "instrument": instrument.name, "title": instrument.title,
        "version": instrument.version, "kind": instrument.kind, "label": instrument.label,
        "instrument_sha256": instrument.sha256,
        "max_score": instrument.max_score, "score_range": [low, high],
        "missing": missing, "unknown": unknown, "reasons": reasons, "rules_fired": fired,
        "band_at_least": floor["band_at_least"] if floor else None,
        "caveats": instrument.caveats,
    }
    if missing:
        return {**result, "status": "incomplete", "complete": False, "band": "incomplete",
                "band_label": "Incomplete", "score": None, "timescale_days": None,
                "drivers": [], "message": f"{len(missing)} item(s) not answered: "
                f"{', '.join(missing)}. Answer them or mark them unknown; no band is given "
                "until then."}
    if instrument.max_unknown is not None and len(unknown) > instrument.max_unknown:
        return {**result, "status": "not_scorable", "complete": True, "band": "not_scorable",
                "band_label": "Not scorable", "score": None, "timescale_days": None,
                "drivers": [], "message": f"{len(unknown)} items unknown; at most "
                f"{instrument.max_unknown} allowed. {instrument.max_unknown_reason}".strip()}
    total = sum(r["contribution"] for r in reasons)
    points_band = next(b for b in instrument.bands if b.min <= total <= b.max)
    band = points_band
    if floor and instrument.band_rank(floor["band_at_least"]) > instrument.band_rank(band.id):
        band = instrument.band(floor["band_at_least"])
    drivers = sorted((r for r in reasons if r["drove"]),
                     key=lambda r: (-(r["contribution"] or 0), r["item"]))
    message = f"Score {total} of {instrument.max_score}: {band.label}."
    if band is not points_band:
        message += (f" Raised from {points_band.label} by rule "
                    f"{floor['rule']}: {floor['explanation']}")
    return {**result, "status": "complete", "complete": True, "band": band.id,
            "band_label": band.label, "points_band": points_band.id, "score": total,
            "timescale_days": band.timescale_days, "action": band.action,
            "drivers": [r["item"] for r in drivers], "message": message}
