"""Risk bands: normalising spellings, and the one place that reads casework's bands.

:func:`case_bands` is the only coupling between the backlog and case triage
(``seawall.casework``): a case's band is the more urgent of its latest risk assessment and
the band stored on its backlog items (imported from CSV or entered by hand).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from seawall.store.casework_models import PathwayDecision, RiskAssessment
from seawall.store.models import Case

_ALIASES = {
    "vh": "very_high", "veryhigh": "very_high", "very_high": "very_high",
    "h": "high", "high": "high", "m": "medium", "med": "medium", "medium": "medium",
    "l": "low", "low": "low",
}


def normalise_band(value: str | None, known: Iterable[str] | None = None) -> str | None:
    """'Very High', 'very-high', 'VH' -> 'very_high'; None/'' -> None; unknown -> ValueError."""
    if value is None or not str(value).strip():
        return None
    key = str(value).strip().lower().replace("-", "_").replace(" ", "_")
    key = _ALIASES.get(key.replace("_", ""), _ALIASES.get(key, key))
    if known is not None and key not in set(known):
        raise ValueError(f"unknown risk band {value!r} (expected one of: "
                         f"{', '.join(sorted(known))})")
    return key


def _casework_bands(session: Session, references: list[str],
                    order: list[str]) -> dict[str, str]:
    """Most urgent band per case among its suspects' latest usable risk assessments.

    For each suspect, the newest assessment whose band is one of ``order`` counts (so an
    assessment with another instrument's bands, e.g. CPORT's, or an incomplete one, is
    passed over); a case takes the most urgent of its suspects' bands.
    """
    rank = {band: i for i, band in enumerate(order)}
    out: dict[str, str] = {}
    for i in range(0, len(references), 500):
        chunk = references[i:i + 500]
        latest = (select(func.max(RiskAssessment.id))
                  .join(Case, Case.id == RiskAssessment.case_id)
                  .where(Case.reference.in_(chunk), RiskAssessment.band.in_(order))
                  .group_by(RiskAssessment.suspect_id))
        rows = session.execute(
            select(Case.reference, RiskAssessment.band)
            .join(Case, Case.id == RiskAssessment.case_id)
            .where(RiskAssessment.id.in_(latest))).all()
        for ref, band in rows:
            if ref not in out or rank[band] < rank[out[ref]]:
                out[ref] = band
    return out


def diverted_cases(session: Session, references: list[str],
                   pathways: Iterable[str]) -> set[str]:
    """Cases whose suspects' latest pathway decisions (casework) all divert the case (one
    of ``pathways``, e.g. low_risk_diversion): their waiting exhibits leave the DF queue.
    A later decision for any suspect brings them back; every decision is audited."""
    diverting = set(pathways)
    if not references or not diverting:
        return set()
    latest: dict[str, list[str]] = {}
    for i in range(0, len(references), 500):
        chunk = references[i:i + 500]
        newest = (select(func.max(PathwayDecision.id))
                  .join(Case, Case.id == PathwayDecision.case_id)
                  .where(Case.reference.in_(chunk)).group_by(PathwayDecision.suspect_id))
        for ref, decided in session.execute(
                select(Case.reference, PathwayDecision.decided)
                .join(Case, Case.id == PathwayDecision.case_id)
                .where(PathwayDecision.id.in_(newest))).all():
            latest.setdefault(ref, []).append(decided)
    return {ref for ref, decided in latest.items() if set(decided) <= diverting}


def case_bands(session: Session, stored: dict[str, str | None],
               order: list[str]) -> dict[str, tuple[str | None, str]]:
    """{case reference: (band, source)} where source is 'casework', 'stored',
    'stored_over_casework' or 'none'.

    ``stored`` maps each case reference to the band held on its backlog items; ``order``
    lists the configured bands, most urgent first.  The more urgent of the two wins: a
    lower casework assessment does not silently move a case down the queue (a supervisor
    lowers the stored band with a recorded reason, ``seawall backlog band``).
    """
    from_casework = _casework_bands(session, sorted(stored), order) if stored else {}
    rank = {band: i for i, band in enumerate(order)}
    out: dict[str, tuple[str | None, str]] = {}
    for ref, band in stored.items():
        assessed = from_casework.get(ref)
        if assessed and band in rank and rank[band] < rank[assessed]:
            out[ref] = (band, "stored_over_casework")
        elif assessed:
            out[ref] = (assessed, "casework")
        elif band:
            out[ref] = (band, "stored")
        else:
            out[ref] = (None, "none")
    return out
