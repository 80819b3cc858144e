"""A small condition language shared by instrument rules, pre-fill rules and pathway rules.

A condition is a YAML mapping, one of::

    {all: [COND, ...]}  {any: [COND, ...]}  {not: COND}
    {item: ID, is: VALUE} / in: [..] / not_in: [..]      # an instrument item's answer
    {fact: NAME, is: VALUE} / in / not_in / at_least: N / at_most: N / present: true|false

Evaluation is three-valued: a fact or item that is not known (None) makes a comparison
*unknown*, never true and never false, so a rule cannot be satisfied by missing information.
``all`` is false if any part is false, else unknown if any part is unknown; ``any`` is true
if any part is true, else unknown if any part is unknown; ``not`` keeps unknown unknown.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from seawall.casework.yamlmarks import line_of

COMPARISONS = ("is", "in", "not_in", "at_least", "at_most", "present")
Lookup = Callable[[str, str], object]  # (kind "item"|"fact", name) -> value or None


def validate(cond, where: str, *, items: Mapping | None = None,
             facts: set[str] | None = None) -> list[str]:
    """Problems with a condition ("file:line: message"); ``items`` maps item id -> allowed
    answers (for item conditions), ``facts`` lists known fact names (None: any name)."""
    line = line_of(cond)
    at = f"{where}:{line}" if line else where
    if not isinstance(cond, dict) or not cond:
        return [f"{at}: a condition must be a mapping"]
    problems: list[str] = []
    if "all" in cond or "any" in cond:
        key = "all" if "all" in cond else "any"
        if len(cond) != 1:
            return [f"{at}: '{key}' must be the only key of its condition"]
        parts = cond[key]
        if not isinstance(parts, list) or not parts:
            return [f"{at}: '{key}' needs a non-empty list of conditions"]
        for part in parts:
            problems += validate(part, where, items=items, facts=facts)
        return problems
    if "not" in cond:
        if len(cond) != 1:
            return [f"{at}: 'not' must be the only key of its condition"]
        return validate(cond["not"], where, items=items, facts=facts)
    subject = [k for k in ("item", "fact") if k in cond]
    if len(subject) != 1:
        return [f"{at}: a condition needs exactly one of item, fact, all, any, not"]
    kind = subject[0]
    name = cond[kind]
    ops = [k for k in cond if k != kind]
    if len(ops) != 1 or ops[0] not in COMPARISONS:
        return [f"{at}: a condition needs exactly one comparison of {', '.join(COMPARISONS)}"]
    op, value = ops[0], cond[ops[0]]
    if kind == "item":
        if items is None:
            return [f"{at}: item conditions are not allowed here"]
        if name not in items:
            return [f"{at}: unknown item {name!r}"]
        allowed = items[name]
        values = value if op in ("in", "not_in") else [value]
        if op in ("at_least", "at_most", "present"):
            return [f"{at}: items are compared with is, in or not_in"]
        if not isinstance(values, list):
            return [f"{at}: '{op}' needs a list"]
        for v in values:
            if str(v) not in allowed:
                problems.append(f"{at}: {v!r} is not an answer of item {name!r} "
                                f"(allowed: {', '.join(allowed)})")
        return problems
    if facts is not None and name not in facts:
        problems.append(f"{at}: unknown fact {name!r} (known: {', '.join(sorted(facts))})")
    if op in ("in", "not_in") and not isinstance(value, list):
        problems.append(f"{at}: '{op}' needs a list")
    if op in ("at_least", "at_most") and (isinstance(value, bool)
                                          or not isinstance(value, int | float)):
        problems.append(f"{at}: '{op}' needs a number")
    if op == "present" and not isinstance(value, bool):
        problems.append(f"{at}: 'present' needs true or false")
    return problems


def _norm(value):
    # Answers are strings; facts may be booleans or numbers: compare like with like.
    if isinstance(value, bool):
        return value
    return str(value) if not isinstance(value, int | float) else value


def evaluate(cond, lookup: Lookup) -> bool | None:
    """True, False or None (unknown) for ``cond``."""
    if "all" in cond:
        results = [evaluate(c, lookup) for c in cond["all"]]
        if any(r is False for r in results):
            return False
        return None if any(r is None for r in results) else True
    if "any" in cond:
        results = [evaluate(c, lookup) for c in cond["any"]]
        if any(r is True for r in results):
            return True
        return None if any(r is None for r in results) else False
    if "not" in cond:
        result = evaluate(cond["not"], lookup)
        return None if result is None else not result
    kind = "item" if "item" in cond else "fact"
    value = lookup(kind, cond[kind])
    op = next(k for k in cond if k != kind)
    target = cond[op]
    if op == "present":
        return (value is not None) == target
    if value is None:
        return None
    if op == "is":
        return _norm(value) == _norm(target)
    if op == "in":
        return _norm(value) in [_norm(t) for t in target]
    if op == "not_in":
        return _norm(value) not in [_norm(t) for t in target]
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return value >= target if op == "at_least" else value <= target


def describe(cond) -> str:
    """A short human-readable rendering of a condition, for explanations."""
    if "all" in cond:
        return " and ".join(f"({describe(c)})" for c in cond["all"])
    if "any" in cond:
        return " or ".join(f"({describe(c)})" for c in cond["any"])
    if "not" in cond:
        return f"not ({describe(cond['not'])})"
    kind = "item" if "item" in cond else "fact"
    op = next(k for k in cond if k != kind)
    words = {"is": "is", "in": "is one of", "not_in": "is not one of", "at_least": ">=",
             "at_most": "<=", "present": "known:"}
    return f"{cond[kind]} {words[op]} {cond[op]}"
