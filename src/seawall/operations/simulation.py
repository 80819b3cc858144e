"""What-if: a discrete-event simulation (SimPy) of the examination queue.

Time is in calendar days; an examiner supplies ``hours_per_day x working days / 7`` hours per
calendar day (weekends are spread evenly, which is fine at the weeks-to-months scale this
answers).  The simulation starts from today's open backlog and adds Poisson arrivals at
the measured rate (times ``arrival_multiplier``) with the measured band/type mix.  Each
free examiner takes the waiting exhibit with the highest priority score at that moment
(:mod:`seawall.operations.policy`, ageing included).  Service times are resampled from the
force's completed work when a type has enough history, otherwise drawn from a lognormal
around the expected effort.  A share ``automated_share`` of exhibits is cleared by automated
triage and needs only ``automated_residual`` of its effort.

Runs are reproducible: the same seed gives the same result, and baseline and scenario use the
same random streams (common random numbers) so their difference is the scenario's effect,
not noise.  Several replications are pooled.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict, deque
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date

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
        if self.replications is not None and not 1 <= self.replications <= 50:
            raise ValueError("replications must be 1 to 50")


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
    extra: dict = field(default_factory=dict)

    def summary(self) -> dict:
        def pct(values: list[float], q: float) -> float | None:
            if not values:
                return None
            s = sorted(values)
            return round(s[min(len(s) - 1, int(q * len(s)))], 1)

        return {
            "scenario": {k: v for k, v in vars(self.scenario).items()},
            "examiners": self.examiners, "horizon_days": self.horizon_days,
            "replications": self.replications,
            "backlog_start": round(self.backlog[0], 1) if self.backlog else 0,
            "backlog_end": round(self.backlog[-1], 1) if self.backlog else 0,
            "backlog_peak": round(max(self.backlog), 1) if self.backlog else 0,
            "started": round(self.started, 1), "finished": round(self.finished, 1),
            "still_waiting": round(self.still_waiting, 1),
            "initial_backlog_cleared_day": (None if self.initial_cleared_day is None
                                            else round(self.initial_cleared_day, 1)),
            "bands": {b: {"breaches": round(self.breaches.get(b, 0.0), 1),
                          "started": round(len(w) / self.replications, 1),
                          "median_wait_days": pct(w, 0.5), "p90_wait_days": pct(w, 0.9)}
                      for b, w in self.waits.items()},
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
    sample = _service_sampler(effort, cfg, rng_service)
    examiners = cfg.examiners if scenario.examiners is None else scenario.examiners
    hpd = cfg.hours_per_day if scenario.hours_per_day is None else scenario.hours_per_day
    rate = hpd * len(set(cfg.working_weekdays)) / 7.0  # hours per calendar day
    residual = float(cfg.simulation.get("automated_residual", 0.45))
    arr = arrivals(entries, cfg, as_of, effort)
    env = simpy.Environment()
    groups: dict[tuple[str, bool], deque[_Job]] = defaultdict(deque)
    wake = [env.event()]
    log: list[tuple[_Job, float, float | None]] = []
    counter = [0]
    open_jobs: dict[int, _Job] = {}

    def automate(hours: float) -> float:
        # Drawn for every job in the same order, whatever the share, to keep streams aligned.
        hit = rng_auto.random() < scenario.automated_share
        return hours * residual if hit else hours

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
            yield env.timeout(busy_hours / rate)
        while True:
            heads = [g[0] for g in groups.values() if g]
            if not heads:
                wake[0] = env.event() if wake[0].triggered else wake[0]
                yield wake[0]
                continue
            now = env.now
            job = min(heads, key=lambda j: (
                policy.tier(cfg, j.band),
                -policy.score_at(cfg, j.band, math.floor(now - j.arrival), j.safeguarding),
                j.arrival, j.seq))
            groups[(job.band, job.safeguarding)].popleft()
            entry = [job, now, None]
            log.append(entry)
            yield env.timeout(job.hours / rate)
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
            flagged = rng_arrivals.random() < arr.safeguarding_share
            hours = automate(sample(etype))
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
            env.process(_finish_later(env, open_jobs, job.seq, busy[slot] / rate))
    for e in sorted((e for e in entries if e.waiting),
                    key=lambda e: (e.received, e.case_reference, e.exhibit_reference)):
        hours = automate(sample(e.exhibit_type, effort.hours(e)))
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


def simulate(entries: Iterable[Entry], cfg: BacklogConfig, as_of: date,
             scenario: Scenario | None = None) -> SimResult:
    """Simulate ``scenario`` from today's backlog; see the module docstring."""
    scenario = scenario or Scenario()
    scenario.validate()
    entries = list(entries)
    effort = learn_effort(entries, cfg, as_of)
    horizon = scenario.horizon_days or int(cfg.simulation.get("horizon_days", 180))
    reps = scenario.replications or int(cfg.simulation.get("replications", 3))
    seed = scenario.seed if scenario.seed is not None else int(cfg.simulation.get("seed", 1))
    bands = cfg.band_order
    backlog_sum = [0.0] * (horizon + 1)
    by_band = {b: [0.0] * (horizon + 1) for b in bands}
    waits: dict[str, list[float]] = {b: [] for b in bands}
    breaches: dict[str, float] = dict.fromkeys(bands, 0.0)
    started = finished = still = 0.0
    cleared: list[float] = []
    examiners = cfg.examiners
    for r in range(reps):
        out = _run_once(entries, cfg, as_of, effort, scenario, seed + r, horizon)
        examiners = out["examiners"]
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
            started += 1 / reps
            finished += (finish is not None) / reps
            limit = cfg.bands[job.band].deadline_days
            if cfg.deadline_measure == "finish":
                late = (finish if finish is not None else out["now"]) - job.arrival > limit
            else:
                late = wait > limit
            breaches[job.band] += late / reps
            if job.initial:
                last_initial_start = max(last_initial_start, start)
        started_seqs = {job.seq for job, start, _f in out["log"]}
        for job in out["open"]:
            if job.seq in started_seqs:
                continue
            still += 1 / reps
            initial_waiting = initial_waiting or job.initial
            if out["now"] - job.arrival > cfg.bands[job.band].deadline_days:
                breaches[job.band] += 1 / reps  # certain to breach, though not yet started
        if not initial_waiting:
            cleared.append(last_initial_start)
    return SimResult(
        scenario=scenario, examiners=examiners, horizon_days=horizon, replications=reps,
        days=list(range(horizon + 1)), backlog=backlog_sum, backlog_by_band=by_band,
        waits=waits, breaches=breaches, started=started, finished=finished,
        still_waiting=still,
        initial_cleared_day=sum(cleared) / len(cleared) if len(cleared) == reps else None)


def compare(entries: Iterable[Entry], cfg: BacklogConfig, as_of: date,
            scenario: Scenario) -> tuple[SimResult, SimResult]:
    """(baseline, scenario) with the same seed, horizon and replications."""
    entries = list(entries)
    base = replace(Scenario(), horizon_days=scenario.horizon_days,
                   replications=scenario.replications, seed=scenario.seed)
    return simulate(entries, cfg, as_of, base), simulate(entries, cfg, as_of, scenario)
