"""What-if: a discrete-event simulation (SimPy) of the examination queue.

Time is in calendar days from the report date.  Examiners work ``hours_per_day`` on the
working days of the one calendar the forecast also uses (working weekdays, bank holidays:
:mod:`seawall.operations.calendar`); exhibits arrive on any day.  The simulation starts
from today's open backlog and adds Poisson arrivals at the measured rate (times
``arrival_multiplier``) with the measured band/type mix and each band's measured share of
safeguarding-flagged exhibits.  Each free examiner takes the waiting exhibit with the
highest priority score at that moment (:mod:`seawall.operations.policy`, ageing included).
Service times are resampled from the force's completed work when a type has enough
history, otherwise drawn from a lognormal around the expected effort.  A share
``automated_share`` of exhibits is cleared by automated
triage and needs only ``automated_residual`` of its effort.

Runs are reproducible: the same seed gives the same result, and baseline and scenario use the
same random streams (common random numbers) so their difference is the scenario's effect,
not noise.  Replications (30 by default) are pooled for the means, and each run's figures
are kept so every report shows the 10th-90th percentile across runs: with fewer runs a
manager reads noise as a result (3 runs put the baseline's backlog after 180 days ~20%
low).  Waits and breaches are also reported apart for today's backlog and for new
arrivals, which a mixed count hides.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

import simpy

from seawall.operations import policy
from seawall.operations.config import BacklogConfig
from seawall.operations.forecast import EffortModel, arrivals, learn_effort
from seawall.operations.model import Entry


@dataclass(frozen=True)
class Scenario:
    """Changes to simulate; the defaults reproduce the current situation."""

    examiners: int | None = None       # None: configured capacity
    hours_per_day: float | None = None
    arrival_multiplier: float = 1.0
    automated_share: float = 0.0
    horizon_days: int | None = None
    replications: int | None = None
    seed: int | None = None
    # (band, share): that share of the band's cases is diverted out of the DF queue (e.g.
    # low-risk cases to a lighter-touch pathway), today's waiting exhibits and new arrivals.
    diversion: tuple[tuple[str, float], ...] = ()

    def validate(self) -> None:
        if self.examiners is not None and not 0 <= self.examiners <= 1000:
            raise ValueError("examiners must be between 0 and 1000")
        if self.hours_per_day is not None and not 0 < self.hours_per_day <= 24:
            raise ValueError("hours per day must be in (0, 24]")
        if not 0 <= self.arrival_multiplier <= 20:
            raise ValueError("arrival multiplier must be between 0 and 20")
        if not 0 <= self.automated_share <= 1:
            raise ValueError("automated share must be between 0 and 1")
        if self.horizon_days is not None and not 1 <= self.horizon_days <= 1825:
            raise ValueError("horizon must be 1 to 1825 days")
        if self.replications is not None and not 1 <= self.replications <= 200:
            raise ValueError("replications must be 1 to 200")
        for band, share in self.diversion:
            if not 0 <= share <= 1:
                raise ValueError(f"diverted share of {band} must be between 0 and 1")

    def diverted_share(self, band: str) -> float:
        return dict(self.diversion).get(band, 0.0)


PERCENTILES = (10, 90)
ORIGINS = ("backlog", "new_arrivals")  # today's open exhibits / exhibits arriving later


def quantile(values: list[float], q: float) -> float | None:
    """The ``q`` quantile (0..1) by linear interpolation; None when empty or when it falls
    on an infinite value (a run that never got there within the horizon)."""
    if not values:
        return None
    s = sorted(values)
    pos = q * (len(s) - 1)
    lo, hi = math.floor(pos), math.ceil(pos)
    if math.isinf(s[lo]) or math.isinf(s[hi]):
        return None
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def spread(values: list[float]) -> list[float | None]:
    """[10th, 90th] percentile across runs, rounded for reports."""
    return [_r(quantile(values, p / 100)) for p in PERCENTILES]


@dataclass
class RunStats:
    """One replication's figures, kept so reports can show the spread across runs."""

    backlog: list[int]                     # open exhibits at the end of each day
    started: int
    finished: int
    still_waiting: int
    breaches: dict[str, int]
    cleared_day: float                     # inf: today's backlog not all started in time
    # (origin, band) -> [exhibits, started, breaches]
    by_origin: dict[tuple[str, str], list[int]]

    def tally(self, initial: bool, band: str, late: bool, began: bool) -> None:
        counts = self.by_origin.setdefault((ORIGINS[0] if initial else ORIGINS[1], band),
                                           [0, 0, 0])
        counts[0] += 1
        counts[1] += began
        counts[2] += late
        self.breaches[band] += late


@dataclass
class SimResult:
    scenario: Scenario
    examiners: int
    horizon_days: int
    replications: int
    days: list[int]
    backlog: list[float]                   # open exhibits at the end of each day (mean)
    backlog_by_band: dict[str, list[float]]
    waits: dict[str, list[float]]          # days from receipt to start, pooled
    breaches: dict[str, float]             # mean per replication
    started: float
    finished: float
    still_waiting: float
    initial_cleared_day: float | None      # mean day the last of today's backlog started
    as_of: date | None = None
    runs: list[RunStats] = field(default_factory=list)
    origin_waits: dict[tuple[str, str], list[float]] = field(default_factory=dict)
    extra: dict = field(default_factory=dict)

    def backlog_percentile(self, p: int) -> list[float]:
        """Open exhibits per day at the ``p``-th percentile across runs."""
        return [quantile([float(r.backlog[d]) for r in self.runs], p / 100) or 0.0
                for d in range(len(self.days))] if self.runs else list(self.backlog)

    def breach_range(self, band: str) -> tuple[float, float]:
        """10th and 90th percentile of ``band``'s breaches across runs."""
        values = [float(r.breaches.get(band, 0)) for r in self.runs]
        return (quantile(values, 0.1) or 0.0, quantile(values, 0.9) or 0.0)

    def describe(self) -> str:
        """The scenario in words, with the runs: for chart captions."""
        s = self.scenario
        parts = [f"{self.examiners} examiner(s)"]
        if s.hours_per_day is not None:
            parts.append(f"{s.hours_per_day:g} h/day")
        if s.arrival_multiplier != 1.0:
            parts.append(f"arrivals ×{s.arrival_multiplier:g}")
        if s.automated_share:
            parts.append(f"{s.automated_share:.0%} automated")
        for band, share in s.diversion:
            if share:
                parts.append(f"{share:.0%} of {band.replace('_', ' ')} diverted")
        return ", ".join(parts) + f"; {self.replications} run(s), seed {s.seed or 'default'}"

    def clearance(self) -> dict:
        """Day (and date) by which today's backlog has all started: median and 10th-90th
        percentile across runs; None where runs had not got there within the horizon."""
        days = [r.cleared_day for r in self.runs]
        out: dict = {"runs": len(days),
                     "runs_cleared": sum(1 for d in days if not math.isinf(d))}
        for name, q in (("p10", 0.1), ("median", 0.5), ("p90", 0.9)):
            value = quantile(days, q)
            out[f"{name}_day"] = _r(value)
            out[f"{name}_date"] = (None if value is None or self.as_of is None else
                                   (self.as_of + timedelta(days=math.ceil(value))).isoformat())
        return out

    def origins(self, bands: list[str]) -> dict:
        """Waits and breaches of today's backlog and of new arrivals, per band, apart."""
        out: dict = {}
        n = max(1, self.replications)
        for origin in ORIGINS:
            rows = {}
            for band in bands:
                counts = [r.by_origin.get((origin, band), [0, 0, 0]) for r in self.runs]
                exhibits = sum(c[0] for c in counts)
                breaches = [float(c[2]) for c in counts]
                waits = self.origin_waits.get((origin, band), [])
                rows[band] = {
                    "exhibits": round(exhibits / n, 1),
                    "started": round(sum(c[1] for c in counts) / n, 1),
                    "breaches": round(sum(breaches) / n, 1),
                    "breaches_range": spread(breaches),
                    "late_share": round(sum(breaches) / exhibits, 3) if exhibits else None,
                    "median_wait_days": _r(quantile(waits, 0.5)),
                    "p90_wait_days": _r(quantile(waits, 0.9))}
            out[origin] = rows
        return out

    def summary(self) -> dict:
        def pct(values: list[float], q: float) -> float | None:
            if not values:
                return None
            s = sorted(values)
            return round(s[min(len(s) - 1, int(q * len(s)))], 1)

        runs = self.runs
        return {
            "scenario": {k: v for k, v in vars(self.scenario).items()},
            "examiners": self.examiners, "horizon_days": self.horizon_days,
            "replications": self.replications, "percentiles": list(PERCENTILES),
            "backlog_start": round(self.backlog[0], 1) if self.backlog else 0,
            "backlog_end": round(self.backlog[-1], 1) if self.backlog else 0,
            # The mean of each run's peak (the peak of the mean line would understate it).
            "backlog_peak": (round(sum(max(r.backlog) for r in runs) / len(runs), 1) if runs
                             else round(max(self.backlog), 1) if self.backlog else 0),
            "started": round(self.started, 1), "finished": round(self.finished, 1),
            "still_waiting": round(self.still_waiting, 1),
            "initial_backlog_cleared_day": (None if self.initial_cleared_day is None
                                            else round(self.initial_cleared_day, 1)),
            "ranges": {
                "backlog_end": spread([float(r.backlog[-1]) for r in runs]),
                "backlog_peak": spread([float(max(r.backlog)) for r in runs]),
                "started": spread([float(r.started) for r in runs]),
                "still_waiting": spread([float(r.still_waiting) for r in runs]),
            },
            "initial_backlog_cleared": self.clearance(),
            "bands": {b: {"breaches": round(self.breaches.get(b, 0.0), 1),
                          "breaches_range": spread([float(r.breaches.get(b, 0))
                                                    for r in runs]),
                          "started": round(len(w) / self.replications, 1),
                          "median_wait_days": pct(w, 0.5), "p90_wait_days": pct(w, 0.9)}
                      for b, w in self.waits.items()},
            "by_origin": self.origins(list(self.waits)),
        }


@dataclass
class _Job:
    seq: int
    band: str
    safeguarding: bool
    arrival: float  # days relative to as_of (negative: already waiting)
    hours: float
    initial: bool


def _service_sampler(effort: EffortModel, cfg: BacklogConfig, rng: random.Random):
    cv = float(cfg.simulation.get("service_cv", 0.5))
    sigma = math.sqrt(math.log(1 + cv * cv))

    def noise() -> float:
        # Lognormal with mean 1.
        return rng.lognormvariate(-sigma * sigma / 2, sigma) if cv > 0 else 1.0

    def sample(exhibit_type: str, expected: float | None = None) -> float:
        t = effort.types[exhibit_type]
        if expected is not None:
            return expected * noise()
        if t.source == "history" and t.samples:
            return rng.choice(t.samples)
        return t.hours * noise()

    return sample


def _run_once(entries: list[Entry], cfg: BacklogConfig, as_of: date, effort: EffortModel,
              scenario: Scenario, seed: int, horizon: int) -> dict:
    rng_arrivals = random.Random(seed * 7919 + 1)
    rng_service = random.Random(seed * 7919 + 2)
    rng_auto = random.Random(seed * 7919 + 3)
    rng_divert = random.Random(seed * 7919 + 4)
    sample = _service_sampler(effort, cfg, rng_service)
    examiners = cfg.examiners if scenario.examiners is None else scenario.examiners
    hpd = cfg.hours_per_day if scenario.hours_per_day is None else scenario.hours_per_day
    cal = cfg.calendar(as_of)  # the forecast's calendar: examiners work on working days

    def done_after(start: float, hours: float) -> float:
        """Calendar time (days from as_of) at which ``hours`` of work begun at ``start``
        ends."""
        return cal.advance(start, hours / hpd)
    residual = float(cfg.simulation.get("automated_residual", 0.45))
    arr = arrivals(entries, cfg, as_of, effort)
    env = simpy.Environment()
    groups: dict[tuple[str, bool], deque[_Job]] = defaultdict(deque)
    wake = [env.event()]
    log: list[list] = []  # [job, start or None (in progress at the start), finish or None]
    counter = [0]
    open_jobs: dict[int, _Job] = {}

    def automate(hours: float) -> float:
        # Drawn for every job in the same order, whatever the share, to keep streams aligned.
        hit = rng_auto.random() < scenario.automated_share
        return hours * residual if hit else hours

    def diverted(band: str) -> bool:
        # Drawn for every job in the same order, whatever the shares (aligned streams).
        return rng_divert.random() < scenario.diverted_share(band)

    def add(job: _Job) -> None:
        groups[(job.band, job.safeguarding)].append(job)
        open_jobs[job.seq] = job
        if not wake[0].triggered:
            wake[0].succeed()

    def new_job(band, safeguarding, arrival, hours, initial) -> _Job:
        counter[0] += 1
        return _Job(counter[0], band, safeguarding, arrival, hours, initial)

    def examiner(busy_hours: float):
        if busy_hours > 0:
            yield env.timeout(done_after(0.0, busy_hours))
        while True:
            heads = [g[0] for g in groups.values() if g]
            if not heads:
                wake[0] = env.event() if wake[0].triggered else wake[0]
                yield wake[0]
                continue
            opens = cal.next_working(env.now)
            if opens > env.now:  # a weekend or holiday: choose when work resumes
                yield env.timeout(opens - env.now)
                continue
            now = env.now
            job = min(heads, key=lambda j: (
                policy.tier(cfg, j.band, j.safeguarding),
                -policy.score_at(cfg, j.band, math.floor(now - j.arrival), j.safeguarding),
                j.arrival, j.seq))
            groups[(job.band, job.safeguarding)].popleft()
            entry = [job, now, None]
            log.append(entry)
            yield env.timeout(done_after(now, job.hours) - now)
            entry[2] = env.now
            open_jobs.pop(job.seq, None)

    def arrivals_process():
        lam = arr.per_day * scenario.arrival_multiplier
        if lam <= 0 or not arr.mix:
            return
        keys = list(arr.mix)
        weights = [arr.mix[k] for k in keys]
        while True:
            yield env.timeout(rng_arrivals.expovariate(lam))
            band, etype = rng_arrivals.choices(keys, weights)[0]
            flagged = rng_arrivals.random() < arr.safeguarding_by_band.get(band, 0.0)
            hours = automate(sample(etype))
            if not diverted(band):
                add(new_job(band, flagged, env.now, hours, False))

    series: list[dict[str, int]] = []

    def monitor():
        while True:
            counts: dict[str, int] = defaultdict(int)
            for job in open_jobs.values():
                counts[job.band] += 1
            series.append(counts)
            yield env.timeout(1.0)

    # Work in progress: each exhibit in examination keeps an examiner (least loaded first)
    # for its remaining effort, on average half its expected effort; then that examiner
    # starts taking from the queue.
    busy = [0.0] * examiners
    in_exam = sorted((e for e in entries if e.status == "in_examination"),
                     key=lambda e: (e.started or e.received, e.key))
    for e in in_exam:
        job = new_job(e.band, e.safeguarding, float((e.received - as_of).days),
                      max(1.0, 0.5 * sample(e.exhibit_type, effort.hours(e))), True)
        open_jobs[job.seq] = job
        log.append([job, None, None])
        if examiners:
            slot = min(range(examiners), key=lambda s: busy[s])
            busy[slot] += job.hours
            env.process(_finish_later(env, open_jobs, job.seq, done_after(0.0, busy[slot])))
    for e in sorted((e for e in entries if e.waiting),
                    key=lambda e: (e.received, e.case_reference, e.exhibit_reference)):
        hours = automate(sample(e.exhibit_type, effort.hours(e)))
        if not diverted(e.band):
            add(new_job(e.band, e.safeguarding, float((e.received - as_of).days), hours, True))
    for slot in range(examiners):
        env.process(examiner(busy[slot]))
    env.process(arrivals_process())
    env.process(monitor())
    env.run(until=horizon + 1e-9)
    return {"series": series[: horizon + 1], "log": log, "open": list(open_jobs.values()),
            "examiners": examiners, "now": float(horizon)}


def _finish_later(env, open_jobs, seq, at):
    yield env.timeout(at)
    open_jobs.pop(seq, None)


# Told (runs done, runs in all) after each run, e.g. to show a long simulation's progress.
Progress = Callable[[int, int], None]


def simulate(entries: Iterable[Entry], cfg: BacklogConfig, as_of: date,
             scenario: Scenario | None = None, progress: Progress | None = None) -> SimResult:
    """Simulate ``scenario`` from today's backlog; see the module docstring."""
    scenario = scenario or Scenario()
    scenario.validate()
    unknown = {band for band, _share in scenario.diversion} - set(cfg.bands)
    if unknown:
        raise ValueError(f"cannot divert unknown band(s): {', '.join(sorted(unknown))}")
    entries = list(entries)
    effort = learn_effort(entries, cfg, as_of)
    horizon = scenario.horizon_days or int(cfg.simulation.get("horizon_days", 180))
    reps = scenario.replications or int(cfg.simulation.get("replications", 30))
    seed = scenario.seed if scenario.seed is not None else int(cfg.simulation.get("seed", 1))
    bands = cfg.band_order
    backlog_sum = [0.0] * (horizon + 1)
    by_band = {b: [0.0] * (horizon + 1) for b in bands}
    waits: dict[str, list[float]] = {b: [] for b in bands}
    origin_waits: dict[tuple[str, str], list[float]] = defaultdict(list)
    breaches: dict[str, float] = dict.fromkeys(bands, 0.0)
    started = finished = still = 0.0
    cleared: list[float] = []
    runs: list[RunStats] = []
    examiners = cfg.examiners
    for r in range(reps):
        out = _run_once(entries, cfg, as_of, effort, scenario, seed + r, horizon)
        examiners = out["examiners"]
        run = RunStats([sum(c.values()) for c in out["series"]], 0, 0, 0,
                       dict.fromkeys(bands, 0), 0.0, {})
        for day, counts in enumerate(out["series"]):
            for b in bands:
                by_band[b][day] += counts.get(b, 0) / reps
                backlog_sum[day] += counts.get(b, 0) / reps

        last_initial_start = 0.0
        initial_waiting = False
        for job, start, finish in out["log"]:
            if start is None:  # work in progress at the start
                continue
            wait = start - job.arrival
            waits[job.band].append(wait)
            origin_waits[(ORIGINS[0] if job.initial else ORIGINS[1], job.band)].append(wait)
            run.started += 1
            run.finished += finish is not None
            limit = cfg.bands[job.band].deadline_days
            if cfg.deadline_measure == "finish":
                late = (finish if finish is not None else out["now"]) - job.arrival > limit
            else:
                late = wait > limit
            run.tally(job.initial, job.band, late, True)
            if job.initial:
                last_initial_start = max(last_initial_start, start)
        started_seqs = {job.seq for job, start, _f in out["log"]}
        for job in out["open"]:
            if job.seq in started_seqs:
                continue
            run.still_waiting += 1
            initial_waiting = initial_waiting or job.initial
            # Certain to breach, though not yet started, once past the deadline.
            run.tally(job.initial, job.band,
                      out["now"] - job.arrival > cfg.bands[job.band].deadline_days, False)
        run.cleared_day = math.inf if initial_waiting else last_initial_start
        if not initial_waiting:
            cleared.append(last_initial_start)
        runs.append(run)
        if progress is not None:
            progress(r + 1, reps)
        started += run.started / reps
        finished += run.finished / reps
        still += run.still_waiting / reps
        for b in bands:
            breaches[b] += run.breaches[b] / reps
    return SimResult(
        scenario=scenario, examiners=examiners, horizon_days=horizon, replications=reps,
        days=list(range(horizon + 1)), backlog=backlog_sum, backlog_by_band=by_band,
        waits=waits, breaches=breaches, started=started, finished=finished,
        still_waiting=still,
        initial_cleared_day=sum(cleared) / len(cleared) if len(cleared) == reps else None,
        as_of=as_of, runs=runs, origin_waits=dict(origin_waits))


def compare_policies(entries: Iterable[Entry], cfg: BacklogConfig, as_of: date,
                     scenario: Scenario, names: Iterable[str] | None = None
                     ) -> dict[str, SimResult]:
    """The same scenario under each priority policy (policy.POLICIES), on the same random
    streams, so the differences are the policies' alone."""
    entries = list(entries)
    chosen = list(names or policy.POLICIES)
    for name in chosen:
        if name not in policy.POLICIES:
            raise ValueError(f"unknown policy {name!r}; expected one of "
                             f"{', '.join(policy.POLICIES)}")
    return {name: simulate(entries, policy.POLICIES[name][1](cfg), as_of, scenario)
            for name in chosen}


def compare(entries: Iterable[Entry], cfg: BacklogConfig, as_of: date,
            scenario: Scenario, progress: Progress | None = None) -> tuple[SimResult, SimResult]:
    """(baseline, scenario) with the same seed, horizon and replications."""
    entries = list(entries)
    base = replace(Scenario(), horizon_days=scenario.horizon_days,
                   replications=scenario.replications, seed=scenario.seed)
    if progress is None:
        return simulate(entries, cfg, as_of, base), simulate(entries, cfg, as_of, scenario)
    report = progress  # both simulations count towards one total (named: narrowed for mypy)
    return (simulate(entries, cfg, as_of, base, lambda done, reps: report(done, 2 * reps)),
            simulate(entries, cfg, as_of, scenario,
                     lambda done, reps: report(reps + done, 2 * reps)))
