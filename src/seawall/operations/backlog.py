"""The backlog in the database: loading entries with effective bands, status changes, and
the reports (queue, forecast, simulation) shared by the CLI, the web pages and the API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from seawall.errors import InvalidInput, NotFound
from seawall.operations import bands as band_lookup
from seawall.operations import policy
from seawall.operations.config import BacklogConfig
from seawall.operations.forecast import Forecast, forecast
from seawall.operations.model import WAITING, Entry
from seawall.operations.simulation import (
    Progress,
    Scenario,
    SimResult,
    compare,
    compare_policies,
)
from seawall.store import audit
from seawall.store.models import utcnow
from seawall.store.operations_models import BACKLOG_STATUSES, BacklogItem

# Allowed moves: forward one step, or back one step to correct a mistake.
_NEXT = {s: i for i, s in enumerate(BACKLOG_STATUSES)}


class BacklogError(InvalidInput, ValueError):
    """A backlog change that cannot be made (shown to the user)."""


def load_entries(session: Session, cfg: BacklogConfig) -> list[Entry]:
    """Every backlog item as an :class:`Entry` with its effective band (casework first)."""
    rows = session.scalars(select(BacklogItem).order_by(BacklogItem.id)).all()
    held: dict[str, set[str]] = {}
    for r in rows:
        bands = held.setdefault(r.case_reference, set())
        if r.risk_band in cfg.bands:
            bands.add(r.risk_band)
    # A case has one band: where its items' stored bands differ, the most urgent applies
    # (and the queue flags the conflict).
    rank = {band: i for i, band in enumerate(cfg.band_order)}
    stored: dict[str, str | None] = {ref: min(bands, key=rank.__getitem__) if bands else None
                                     for ref, bands in held.items()}
    effective = band_lookup.case_bands(session, stored, cfg.band_order)
    diverted = band_lookup.diverted_cases(session, sorted(held), cfg.diversion_pathways)
    out = []
    for r in rows:
        band, source = effective.get(r.case_reference, (None, "none"))
        if band not in cfg.bands:
            band, source = cfg.unbanded, "default"
        out.append(Entry(
            case_reference=r.case_reference, exhibit_reference=r.exhibit_reference,
            exhibit_type=r.exhibit_type if r.exhibit_type in cfg.exhibit_types else "storage",
            received=r.received_on, band=band, band_source=source,
            status="diverted" if r.case_reference in diverted and r.status in WAITING
            else r.status,
            safeguarding=bool(r.safeguarding), estimated_hours=r.estimated_hours,
            started=r.started_on, reported=r.reported_on, actual_hours=r.actual_hours,
            examiner=r.examiner.staff_number if r.examiner else None,
            band_conflict=len(held[r.case_reference]) > 1, scan=_scan_state(r)))
    return out


def _scan_state(item: BacklogItem) -> dict | None:
    if item.path is None:
        return None
    return {"status": item.scan_status or "waiting", "path": item.path,
            "files": item.scan_files, "errors": item.scan_errors, "counts": item.scan_counts,
            "error": item.scan_error}


def set_band(session: Session, actor: str, cfg: BacklogConfig, case_reference: str,
             band: str, reason: str | None = None) -> str | None:
    """Set the stored band of every backlog item of a case; audited.  Lowering a case's
    band below its current one (stored or assessed) needs a reason: a supervisor's recorded
    decision, not a side effect.  Returns the band it had.  Caller commits."""
    try:
        new = band_lookup.normalise_band(band, cfg.bands)
    except ValueError as exc:
        raise BacklogError(str(exc)) from exc
    if new is None:
        raise BacklogError("give a band")
    items = session.scalars(select(BacklogItem).where(
        BacklogItem.case_reference == case_reference)).all()
    if not items:
        raise NotFound(f"no backlog items for case {case_reference!r}")
    current = next((e.band for e in load_entries(session, cfg)
                    if e.case_reference == case_reference), None)
    rank = {b: i for i, b in enumerate(cfg.band_order)}
    lowering = current in rank and rank[new] > rank[current]
    reason = (reason or "").strip()
    if lowering and not reason:
        raise BacklogError(f"{case_reference} is {str(current).replace('_', ' ')}; lowering it to "
                           f"{new.replace('_', ' ')} needs a supervisor's reason (--reason)")
    for item in items:
        item.risk_band = new
    audit.record(session, actor, "operations.backlog.band", case=case_reference,
                 details={"from": current, "to": new, "lowered": lowering,
                          "reason": reason or None})
    return current


def set_status(session: Session, actor: str, case_reference: str, exhibit_reference: str,
               status: str, on: date | None = None, actual_hours: float | None = None,
               ) -> BacklogItem:
    """Move an exhibit one step along received -> triaged -> in_examination -> reported
    (or one step back to correct a mistake); audited.  Caller commits."""
    if status not in _NEXT:
        raise BacklogError(f"unknown status {status!r}; expected one of "
                           f"{', '.join(BACKLOG_STATUSES)}")
    item = session.scalar(select(BacklogItem).where(
        BacklogItem.case_reference == case_reference,
        BacklogItem.exhibit_reference == exhibit_reference))
    if item is None:
        raise BacklogError(f"no backlog item {case_reference}/{exhibit_reference}")
    if abs(_NEXT[status] - _NEXT[item.status]) != 1:
        raise BacklogError(f"cannot move from {item.status} to {status}")
    on = on or utcnow().date()
    before = item.status
    item.status = status
    if status == "in_examination" and item.started_on is None:
        item.started_on = on
    if status == "reported":
        item.reported_on = on
        if actual_hours is not None:
            item.actual_hours = actual_hours
    if before == "reported":
        item.reported_on = None
    audit.record(session, actor, "operations.backlog.status", case=case_reference,
                 target=exhibit_reference, details={"from": before, "to": status})
    return item


def add_item(session: Session, actor: str, cfg: BacklogConfig, case_reference: str,
             exhibit_reference: str, *, exhibit_type: str = "storage",
             received: date | None = None, band: str | None = None,
             safeguarding: bool = False, path: str | None = None) -> BacklogItem:
    """Add an exhibit to the backlog, or update the one already there (e.g. give an
    imported item the path of its evidence, for ``seawall process``); audited.  Caller
    commits."""
    if exhibit_type not in cfg.exhibit_types:
        raise BacklogError(f"unknown exhibit type {exhibit_type!r}; expected one of "
                           f"{', '.join(cfg.exhibit_types)}")
    try:
        band = band_lookup.normalise_band(band, cfg.bands)
    except ValueError as exc:
        raise BacklogError(str(exc)) from exc
    received = received or utcnow().date()
    if received > utcnow().date():
        raise BacklogError(f"received date {received} is in the future")
    item = session.scalar(select(BacklogItem).where(
        BacklogItem.case_reference == case_reference,
        BacklogItem.exhibit_reference == exhibit_reference))
    created = item is None
    if item is None:
        item = BacklogItem(case_reference=case_reference, exhibit_reference=exhibit_reference,
                           status="received", source="manual")
        session.add(item)
    item.exhibit_type, item.received_on = exhibit_type, received
    item.risk_band, item.safeguarding = band, safeguarding
    if path is not None:
        item.path = path
    audit.record(session, actor, "operations.backlog.add", case=case_reference,
                 target=exhibit_reference, details={
                     "created": created, "type": exhibit_type, "band": band,
                     "received": received.isoformat(), "path": path})
    return item


def scan_summary(scan: dict | None) -> str:
    """An item's processing state in a few words: status, records, provisional counts."""
    if scan is None:
        return "-"
    if scan["status"] == "failed":
        return f"failed: {scan['error']}"
    text = scan["status"]
    if scan["files"] is not None:
        text += f", {scan['files']} files"
    found = [f"{name} {c['still'] + c['moving']}" for name, c in (scan["counts"] or {}).items()
             if c["still"] + c["moving"]]
    return text + (f" ({', '.join(found)})" if found else "")


def queue_report(entries: list[Entry], cfg: BacklogConfig, as_of: date,
                 limit: int | None = None) -> dict:
    """Waiting exhibits in priority order with their scores explained."""
    ordered = policy.order(entries, as_of, cfg)
    rows = []
    for rank, e in enumerate(ordered[:limit] if limit else ordered, start=1):
        due = policy.due_date(e, cfg)
        rows.append({
            "rank": rank, "case_reference": e.case_reference,
            "exhibit_reference": e.exhibit_reference, "exhibit_type": e.exhibit_type,
            "band": e.band, "band_source": e.band_source, "band_conflict": e.band_conflict,
            "status": e.status,
            "received": e.received.isoformat(), "waiting_days": (as_of - e.received).days,
            "due": due.isoformat(), "overdue": as_of > due, "safeguarding": e.safeguarding,
            "score": round(policy.score(e, as_of, cfg), 2),
            "why": policy.explain(e, as_of, cfg), "scan": e.scan,
            "scan_text": scan_summary(e.scan)})
    return {
        "as_of": as_of.isoformat(), "waiting": len(ordered),
        "in_examination": sum(1 for e in entries if e.status == "in_examination"),
        "diverted": sum(1 for e in entries if e.status == "diverted"),
        "policy": policy_description(cfg), "items": rows}


def policy_description(cfg: BacklogConfig) -> dict:
    return {
        "always_first": list(cfg.always_first),
        "bands": {k: {"label": b.label, "deadline_days": b.deadline_days, "weight": b.weight}
                  for k, b in cfg.bands.items()},
        "deadline_measure": cfg.deadline_measure,
        "ageing_per_day": cfg.ageing_per_day, "overdue_per_day": cfg.overdue_per_day,
        "safeguarding_bonus": cfg.safeguarding_bonus,
        "starvation_bound_days": round(cfg.starvation_bound_days(), 1),
    }


def forecast_report(entries: list[Entry], cfg: BacklogConfig, as_of: date,
                    items: bool = True) -> tuple[dict, Forecast]:
    fc = forecast(entries, cfg, as_of)
    out = fc.summary(cfg)
    if items:
        out["items"] = [i.as_dict() for i in fc.items]
    return out, fc


@dataclass
class SimulationReport:
    baseline: SimResult
    scenario: SimResult

    def as_dict(self) -> dict:
        return {"baseline": self.baseline.summary(), "scenario": self.scenario.summary()}

    def charts(self, cfg: BacklogConfig) -> dict[str, str]:
        """SVG charts: backlog over time, waiting per band, breaches per band."""
        # Imported here: matplotlib takes longer to load than most backlog commands run.
        from seawall.operations import charts

        results = {"baseline": self.baseline, "scenario": self.scenario}
        labels = {k: b.label for k, b in cfg.bands.items()}
        deadlines = {k: b.deadline_days for k, b in cfg.bands.items()}
        note = (f"baseline: {self.baseline.describe()}; "
                f"scenario: {self.scenario.describe()}")
        return {
            "backlog": charts.backlog_over_time(results, note=note),
            "waiting": charts.waiting_by_band(results, cfg.band_order, labels, deadlines,
                                              note=note),
            "breaches": charts.breaches_by_band(results, cfg.band_order, labels, note=note),
        }


def simulation_report(entries: list[Entry], cfg: BacklogConfig, as_of: date,
                      scenario: Scenario, progress: Progress | None = None) -> SimulationReport:
    base, scen = compare(entries, cfg, as_of, scenario, progress)
    return SimulationReport(base, scen)


@dataclass
class PolicyComparison:
    """One scenario under each priority policy, on the same random streams."""

    results: dict[str, SimResult]

    def as_dict(self, cfg: BacklogConfig) -> dict:
        out: dict = {}
        for name, result in self.results.items():
            summary = result.summary()
            out[name] = {
                "description": policy.POLICIES[name][0],
                "replications": summary["replications"],
                "horizon_days": summary["horizon_days"],
                "backlog_end": summary["backlog_end"],
                "backlog_end_range": summary["ranges"]["backlog_end"],
                "initial_backlog_cleared": summary["initial_backlog_cleared"],
                "bands": {b: {"breaches": summary["bands"][b]["breaches"],
                              "breaches_range": summary["bands"][b]["breaches_range"]}
                          for b in cfg.band_order},
                "new_arrivals": summary["by_origin"]["new_arrivals"],
                "backlog": summary["by_origin"]["backlog"],
            }
        return out

    def chart(self, cfg: BacklogConfig) -> str:
        """Share of new arrivals that start late, per band, one bar per policy."""
        from seawall.operations import charts
        series = {}
        for name, result in self.results.items():
            rows = result.origins(cfg.band_order)["new_arrivals"]
            series[name] = [rows[b]["late_share"] or 0.0 for b in cfg.band_order]
        first = next(iter(self.results.values()))
        return charts.grouped_bars(
            series, [cfg.bands[b].label for b in cfg.band_order],
            "New arrivals starting after their band's deadline, by policy\n"
            f"{first.describe()}; same random streams for every policy",
            "share of new arrivals late")


def policy_report(entries: list[Entry], cfg: BacklogConfig, as_of: date,
                  scenario: Scenario) -> PolicyComparison:
    return PolicyComparison(compare_policies(entries, cfg, as_of, scenario))
