"""The what-if page and API (issue 12, defect 8): long simulations run off the request with
progress, inputs are validated (400 with a message), the number of runs is honoured, and an
empty backlog draws no negative or fractional count axis."""

from __future__ import annotations

import re
import time

import pytest

from seawall.operations import backlog
from seawall.operations.config import backlog_config
from seawall.operations.simulation import Scenario
from seawall.web import simulations
from tests.browser import chromium_page, login, needs_chromium, server  # noqa: F401

from .conftest import AS_OF

LONG = {"days": "1825", "examiners": "0", "arrivals": "20", "replications": "1",
        "as_of": AS_OF.isoformat()}
# Quicker, for the tests that need a job but not the 24-second one.
SHORTER = {**LONG, "days": "200", "arrivals": "2"}
HTMX = {"HX-Request": "true"}


def _poll(user, url: str, timeout: float = 300) -> str:
    deadline = time.monotonic() + timeout
    while True:
        fragment = user.get(url, headers=HTMX)
        assert fragment.status_code == 200
        if "<progress" not in fragment.text:
            return fragment.text
        assert time.monotonic() < deadline
        time.sleep(0.5)


@pytest.fixture
def no_inline_wait(monkeypatch):
    """Every simulation answers with its progress, however fast this machine is."""
    monkeypatch.setattr(simulations, "INLINE_WAIT", 0.0)


def test_long_simulation_answers_at_once_with_progress(as_user, no_inline_wait):
    sam = as_user("sam")
    began = time.monotonic()
    page = sam.get("/operations/backlog/simulate", params=LONG)
    assert page.status_code == 200
    assert time.monotonic() - began < 5  # not the 24 s it took in the request
    assert '<progress id="sim-progress"' in page.text and 'hx-trigger="every 1s"' in page.text
    job_url = re.search(r'hx-get="(/operations/backlog/simulate/jobs/[^"]+)"', page.text)[1]
    result = _poll(sam, job_url)
    assert 'id="sim-summary"' in result and "<html" not in result  # the fragment alone
    assert "Mean of 1 runs over 1825 days" in result
    # The same job's page, reloaded without htmx, is the whole page with the result.
    full = sam.get(job_url)
    assert "<html" in full.text and 'id="sim-summary"' in full.text
    assert 'name="days" min="1" max="1825" value="1825"' in full.text


def test_jobs_are_their_owners_only(as_user, no_inline_wait):
    sam = as_user("sam")
    page = sam.get("/operations/backlog/simulate", params=SHORTER)
    job_url = re.search(r'/operations/backlog/simulate/jobs/[\w-]+', page.text)
    admin = as_user("admin")
    assert admin.get(job_url[0]).status_code == 404
    assert admin.get("/api" + job_url[0]).status_code == 404


def test_api_runs_long_simulations_as_jobs(as_user, no_inline_wait):
    sam = as_user("sam")
    first = sam.get("/api/operations/backlog/simulate", params=SHORTER)
    assert first.status_code == 202
    job = first.json()
    assert job["status"] == "running" and job["runs_total"] == 2
    assert job["url"].startswith("/api/operations/backlog/simulate/jobs/")
    deadline = time.monotonic() + 300
    while (response := sam.get(job["url"])).status_code == 202:
        assert time.monotonic() < deadline
        time.sleep(0.5)
    assert response.status_code == 200
    assert response.json()["scenario"]["replications"] == 1


def test_replications_are_honoured(as_user):
    sam = as_user("sam")
    params = {"as_of": AS_OF.isoformat(), "days": "20", "replications": "2"}
    response = sam.get("/api/operations/backlog/simulate", params=params)
    while response.status_code == 202:
        time.sleep(0.5)
        response = sam.get(response.json()["url"])
    data = response.json()
    assert data["scenario"]["replications"] == data["baseline"]["replications"] == 2


@pytest.mark.parametrize("params,message", [
    ({"examiners": "-3"}, "examiners must be between 0 and 1000"),
    ({"examiners": "many"}, "examiners must be a number."),
    ({"replications": "0"}, "replications must be 1 to 200"),
    ({"replications": "201"}, "replications must be 1 to 200"),
    ({"days": "1826"}, "horizon must be 1 to 1825 days"),
    ({"arrivals": "21"}, "arrival multiplier must be between 0 and 20"),
    ({"hours_per_day": "nan"}, "hours per day must be in (0, 24]"),
    ({"seed": "-1"}, "seed must be between 0 and 4294967295"),
    ({"seed": "9" * 30}, "seed must be between 0 and 4294967295"),
])
def test_bad_inputs_answer_400_with_the_reason(as_user, params, message):
    sam = as_user("sam")
    page = sam.get("/operations/backlog/simulate", params=params,
                   headers={"Accept": "text/html"})
    assert page.status_code == 400 and message in page.text
    api = sam.get("/api/operations/backlog/simulate", params=params)
    assert api.status_code == 400 and api.json()["detail"] == message


def test_simulations_at_once_are_bounded(as_user, monkeypatch):
    monkeypatch.setattr(simulations, "MAX_RUNNING_PER_USER", 0)
    response = as_user("sam").get("/api/operations/backlog/simulate", params=LONG)
    assert response.status_code == 429 and "Too many simulations" in response.json()["detail"]


def test_empty_backlog_draws_a_count_axis_from_zero():
    cfg = backlog_config()
    report = backlog.simulation_report([], cfg, AS_OF, Scenario(horizon_days=30,
                                                                replications=2))
    svg = report.charts(cfg)["backlog"]
    labels = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    y_ticks = labels[labels.index("days from today") + 1:labels.index("open exhibits")]
    assert y_ticks == ["0", "1"]


@needs_chromium
def test_simulation_progress_in_the_browser(server, no_inline_wait):  # noqa: F811
    from playwright.sync_api import expect

    with chromium_page() as (page, errors):
        login(page, server, "sam")
        expect(page).to_have_url(f"{server}/cases")
        query = "&".join(f"{k}={v}" for k, v in SHORTER.items())
        page.goto(f"{server}/operations/backlog/simulate?{query}")
        expect(page.locator("#sim-progress")).to_be_visible()
        # htmx polls the job; the result replaces the progress without a reload.
        expect(page.locator("#sim-summary")).to_be_visible(timeout=300_000)
        expect(page.locator("#simulation")).to_contain_text("Mean of 1 runs over 200 days")
        assert errors == []
