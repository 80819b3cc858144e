"""The priority policy: which waiting exhibit is examined next.

Exhibits of the ``always_first`` bands (default: very high) go before all others.  Within
that tier, and among all other exhibits,

    score = band weight
          + ageing_per_day  x days waiting
          + overdue_per_day x days past the band deadline
          + safeguarding_bonus if a child is flagged as currently at risk

The highest score goes first; ties go to the earlier receipt, then the reference, so the
order is total and repeatable.  Band weights put the riskiest work first; ageing makes
every waiting exhibit climb, so low-risk work cannot starve: after
:meth:`BacklogConfig.starvation_bound_days` days it outranks anything newly received.
All numbers come from configuration (defaults/backlog.toml).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import date, timedelta

from seawall.operations.config import BacklogConfig
from seawall.operations.model import Entry


def deadline_days(cfg: BacklogConfig, band: str) -> int:
    return cfg.bands[band].deadline_days


def due_date(entry: Entry, cfg: BacklogConfig) -> date:
    """Calendar date by which the band deadline falls (start or finish, per config)."""
    return entry.received + timedelta(days=deadline_days(cfg, entry.band))


def score_at(cfg: BacklogConfig, band: str, waited_days: float,
             safeguarding: bool = False) -> float:
    """Score of an exhibit of ``band`` that has waited ``waited_days`` (may be fractional)."""
    waited = max(0.0, waited_days)
    overdue = max(0.0, waited - deadline_days(cfg, band))
    return (cfg.bands[band].weight + cfg.ageing_per_day * waited
            + cfg.overdue_per_day * overdue + (cfg.safeguarding_bonus if safeguarding else 0.0))


def score(entry: Entry, as_of: date, cfg: BacklogConfig) -> float:
    return score_at(cfg, entry.band, (as_of - entry.received).days, entry.safeguarding)


def tier(cfg: BacklogConfig, band: str, safeguarding: bool = False) -> int:
    """0 for safeguarding-flagged work under a safeguarding-first policy, 1 for the
    always-first bands, 2 for the rest."""
    if cfg.safeguarding_first and safeguarding:
        return 0
    return 1 if band in cfg.always_first else 2


def sort_key(entry: Entry, as_of: date, cfg: BacklogConfig) -> tuple:
    return (tier(cfg, entry.band, entry.safeguarding), -score(entry, as_of, cfg),
            entry.received, entry.case_reference, entry.exhibit_reference)


def order(entries: Iterable[Entry], as_of: date, cfg: BacklogConfig) -> list[Entry]:
    """Waiting entries (received or triaged), highest priority first."""
    return sorted((e for e in entries if e.waiting), key=lambda e: sort_key(e, as_of, cfg))


def explain(entry: Entry, as_of: date, cfg: BacklogConfig) -> str:
    """The score's parts in words, for the queue view."""
    waited = max(0, (as_of - entry.received).days)
    overdue = max(0, waited - deadline_days(cfg, entry.band))
    parts = [f"{cfg.bands[entry.band].label} band {cfg.bands[entry.band].weight:g}",
             f"waiting {waited} d x {cfg.ageing_per_day:g}"]
    if overdue:
        parts.append(f"overdue {overdue} d x {cfg.overdue_per_day:g}")
    if entry.safeguarding:
        parts.append(f"safeguarding +{cfg.safeguarding_bonus:g}")
    text = " + ".join(parts) + f" = {score(entry, as_of, cfg):g}"
    first = tier(cfg, entry.band, entry.safeguarding)
    if first == 0:
        return "safeguarding first; " + text
    return ("always first; " + text) if first == 1 else text


def _strict_priority(cfg: BacklogConfig) -> BacklogConfig:
    """Band by band, oldest first within a band: no ageing, no safeguarding bonus."""
    return replace(cfg, ageing_per_day=0.0, overdue_per_day=0.0, safeguarding_bonus=0.0)


def _safeguarding_first(cfg: BacklogConfig) -> BacklogConfig:
    """The configured policy, but safeguarding-flagged work always goes first."""
    return replace(cfg, safeguarding_first=True)


def _fifo(cfg: BacklogConfig) -> BacklogConfig:
    """First in, first out: the longest waiting goes first, whatever its band."""
    bands = {k: replace(b, weight=0.0) for k, b in cfg.bands.items()}
    return replace(cfg, bands=bands, always_first=(), ageing_per_day=1.0,
                   overdue_per_day=0.0, safeguarding_bonus=0.0)


# Policies a manager can compare side by side (seawall backlog compare).
POLICIES: dict[str, tuple[str, Callable[[BacklogConfig], BacklogConfig]]] = {
    "default": ("the configured policy (band weight + ageing + overdue + safeguarding)",
                lambda cfg: cfg),
    "strict_priority": ("strict band priority, oldest first within a band",
                        _strict_priority),
    "safeguarding_first": ("the configured policy, safeguarding-flagged work always first",
                           _safeguarding_first),
    "fifo": ("first in, first out, whatever the band", _fifo),
}
