"""The simulation against an independent queueing model on a stationary scenario.

One band, one exhibit type, no backlog today, Poisson arrivals and (near-)exponential
service with three examiners working every day: an M/M/c queue, whose mean number in the
system is given in closed form by Erlang's C formula (with the Allen-Cunneen factor
(1 + cs^2) / 2 for the small departure of the resampled service times from exponential,
i.e. an M/G/c check).  The simulation's own runs give the confidence band the closed form
must fall in.
"""

from __future__ import annotations

import math
import random
import statistics
from datetime import timedelta

from seawall.operations.model import Entry
from seawall.operations.simulation import Scenario, simulate

from .conftest import AS_OF

SERVERS = 3
HOURS_PER_DAY = 8.0
MEAN_SERVICE_HOURS = 8.0   # one examiner-day
ARRIVALS_PER_DAY = 2.4     # utilisation 0.8
HISTORY = 180
WARM_UP = 100


def erlang_c_in_system(arrival: float, service: float, servers: int, scv: float) -> float:
    """Mean number in an M/G/c system (Erlang C, Allen-Cunneen corrected)."""
    load = arrival / service
    rho = load / servers
    tail = load ** servers / math.factorial(servers) / (1 - rho)
    p_wait = tail / (sum(load ** k / math.factorial(k) for k in range(servers)) + tail)
    queue = p_wait * rho / (1 - rho) * (1 + scv) / 2
    return queue + load


def test_simulation_matches_erlang_c(bcfg):
    # History: exponential service times as exact quantiles (shuffled), received evenly.
    n = int(ARRIVALS_PER_DAY * HISTORY)
    hours = [-MEAN_SERVICE_HOURS * math.log(1 - (i + 0.5) / n) for i in range(n)]
    random.Random(7).shuffle(hours)
    history = [Entry(f"H{i}", "EX1", "phone", AS_OF - timedelta(days=HISTORY - i * HISTORY // n),
                     status="reported", band="low", started=AS_OF - timedelta(days=1),
                     reported=AS_OF - timedelta(days=1), actual_hours=h)
               for i, h in enumerate(hours)]
    bcfg.working_weekdays = (0, 1, 2, 3, 4, 5, 6)
    result = simulate(history, bcfg, AS_OF, Scenario(
        examiners=SERVERS, hours_per_day=HOURS_PER_DAY, horizon_days=1200, replications=30,
        seed=2026))
    assert result.replications == 30
    per_run = [statistics.fmean(r.backlog[WARM_UP:]) for r in result.runs]
    mean = statistics.fmean(per_run)
    half_width = 2.045 * statistics.stdev(per_run) / math.sqrt(len(per_run))  # t(29), 95%

    service_mean = statistics.fmean(hours)
    scv = statistics.pvariance(hours) / service_mean ** 2
    expected = erlang_c_in_system(ARRIVALS_PER_DAY, HOURS_PER_DAY / service_mean, SERVERS,
                                  scv)
    assert abs(mean - expected) <= half_width, (mean, half_width, expected)
    assert half_width < 0.15 * expected  # a band narrow enough to mean something
