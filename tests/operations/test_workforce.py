"""Workforce: gap-map and headline figures on synthetic data, expiry, training need, and
assignment suggestions that respect capability, workload and welfare limits."""

from __future__ import annotations

from datetime import date, timedelta

from seawall.operations import reports
from seawall.operations.synthetic import workforce as synthetic_workforce
from seawall.operations.workforce import planning
from seawall.operations.workforce.loading import Held, Person, Workload
from seawall.store.db import session_scope

from .conftest import AS_OF


def _people(wcfg):
    out = []
    for s in synthetic_workforce(seed=1, as_of=AS_OF):
        out.append(Person(s.staff_number, s.name, s.team, s.role,
                          wcfg.roles[s.role].dedicated_ocsa, s.hours_per_week,
                          credentials=[Held(c["code"], c["level"], c["status"],
                                            c["achieved_on"], c["expires_on"])
                                       for c in s.credentials]))
    return out


def test_gap_map_and_headlines_match_a_direct_count(db_url, cfgs):
    bcfg, wcfg = cfgs
    people = _people(wcfg)
    with session_scope(db_url) as s:
        report = reports.gaps(s, bcfg, wcfg, AS_OF)
    dedicated = [p for p in people if p.dedicated]
    without = [p for p in dedicated
               if not any(c.code == "scaidp" and c.current(AS_OF) for c in p.credentials)]
    head = {h["id"]: h for h in report["headlines"]}
    assert head["dedicated_without_specialist_course"]["population"] == len(dedicated) == 17
    assert head["dedicated_without_specialist_course"]["count"] == len(without)
    assert head["dedicated_without_specialist_course"]["share"] == round(
        len(without) / len(dedicated), 3)
    # The DFU can examine but nobody there can grade or interview; POLIT cannot examine.
    cols = [c["label"] for c in report["gap_map"]["columns"]]
    rows = {r["team"]: dict(zip(cols, r["cells"], strict=True))
            for r in report["gap_map"]["rows"]}
    assert rows["Digital Forensic Unit"]["DF examination"]["capable"] >= 1
    assert rows["Digital Forensic Unit"]["Grading"]["capable"] == 0
    assert rows["POLIT North"]["DF examination"]["capable"] == 0
    graders = [p for p in people if p.team == "POLIT North" and not p.missing(
        wcfg.tasks["grading"].requires, AS_OF)]
    assert rows["POLIT North"]["Grading"]["capable"] == len(graders)
    assert "Interview (high+)" in cols  # band-specific requirement gets its own column
    svg = planning.gap_chart(report["gap_map"])
    assert "<svg" in svg and svg == planning.gap_chart(report["gap_map"])


def test_expiry_and_band_requirements(cfgs):
    _bcfg, wcfg = cfgs
    p = Person("P1", "P", "T", "polit_dc", True, 37.0, credentials=[
        Held("pip", 1, "held", date(2020, 1, 1), None),
        Held("abe_interview", None, "held", date(2024, 1, 1), AS_OF + timedelta(days=10)),
        Held("scaidp", None, "in_training", None, None)])
    interview = wcfg.tasks["interview"]
    assert not p.missing(interview.for_band("low"), AS_OF)
    assert [str(r) for r in p.missing(interview.for_band("high"), AS_OF)] == ["pip>=2",
                                                                               "scaidp"]
    late = AS_OF + timedelta(days=11)
    assert [str(r) for r in p.missing(interview.for_band("low"), late)] == ["abe_interview"]
    soon = planning.expiring([p], wcfg, AS_OF)
    assert [(e["credential"], e["days_left"], e["state"]) for e in soon] == [
        ("abe_interview", 10, "expiring")]


def test_training_needs_name_the_nearest_people(cfgs):
    bcfg, wcfg = cfgs
    people = _people(wcfg)
    examiners = [p for p in people if not p.missing(wcfg.tasks["examination"].requires,
                                                    AS_OF)]
    per_person = 37.0 * 0.6 * 12
    demand = {("examination", "low"): per_person * (len(examiners) + 2)}
    needs = planning.training_needs(people, wcfg, bcfg.band_order, demand, AS_OF)
    (need,) = [n for n in needs if n["task"] == "examination"]
    assert need["people_to_train"] >= 2 and need["qualified"] == len(examiners)
    assert need["candidates"] and all(c["needs"] for c in need["candidates"])


def _person(number, creds, hours=37.0):
    return Person(number, f"Person {number}", "T", "grader", True, hours,
                  credentials=[Held(c, None, "held", date(2025, 1, 1), None) for c in creds])


def test_assignment_respects_capability_workload_and_welfare(cfgs):
    _bcfg, wcfg = cfgs
    grader = ["iioc_grader", "welfare_screening"]
    people = [_person("A", grader), _person("B", grader), _person("C", ["iioc_grader"]),
              _person("D", grader), _person("E", grader), _person("F", grader)]
    workload = {"B": Workload(open_allocations=2, open_hours=20.0),
                "D": Workload(open_allocations=8, open_hours=8.0),
                "E": Workload(open_allocations=1, open_hours=70.0)}
    exposure = {"A": {"items_graded_7d": 100, "minutes_7d": 90},
                "F": {"items_graded_7d": 6000, "minutes_7d": 100},
                "B": {"items_graded_7d": 0, "minutes_7d": 0, "paused_today": False}}
    out = planning.suggest(people, wcfg, ["grading"], "high", AS_OF, workload, exposure)
    assert [s["staff_number"] for s in out["suggestions"]] == ["A", "B"]
    assert "holds iioc_grader, welfare_screening" in out["suggestions"][0]["why"]
    assert "exposure last 7 days: 100 items, 90 min" in out["suggestions"][0]["why"]
    reasons = {e["staff_number"]: " ".join(e["reasons"]) for e in out["excluded"]}
    assert reasons["C"] == "lacks welfare_screening"
    assert "8 open allocations (limit 8)" in reasons["D"]
    assert "of weekly hours" in reasons["E"]
    assert "graded 6000 items in 7 days (limit 5000)" in reasons["F"]
    paused = planning.suggest(people, wcfg, ["grading"], None, AS_OF, workload,
                               {**exposure, "A": {"paused_today": True}})
    assert "A" not in [s["staff_number"] for s in paused["suggestions"]]


def test_new_case_needs_every_task(db_url, cfgs):
    _bcfg, wcfg = cfgs
    with session_scope(db_url) as s:
        out = reports.suggestions(s, wcfg, list(wcfg.assignment.new_case_tasks), "high", AS_OF)
    people = {p.staff_number: p for p in _people(wcfg)}
    reqs = [*wcfg.tasks["risk_assessment"].for_band("high"),
            *wcfg.tasks["interview"].for_band("high")]
    assert out["suggestions"], out["excluded"]
    for s in out["suggestions"]:
        assert not people[s["staff_number"]].missing(reqs, AS_OF)


def test_exposure_is_read_from_grading_counters(db_url, cfgs):
    from seawall.store.accounts_models import User
    from seawall.store.grading_models import ExposureDay
    from seawall.store.operations_models import Staff

    _bcfg, wcfg = cfgs
    with session_scope(db_url) as s:
        alice = s.query(User).filter_by(username="alice").one()
        s.add(ExposureDay(user_id=alice.id, day=AS_OF - timedelta(days=2), category="A",
                          reveals=3, items_graded=5200, seconds_grading=3600))
        grader = s.query(Staff).filter_by(role="grader").order_by(Staff.staff_number).first()
        grader.username = "alice"
        number = grader.staff_number
    with session_scope(db_url) as s:
        out = reports.suggestions(s, wcfg, ["grading"], None, AS_OF)
    reasons = {e["staff_number"]: e["reasons"] for e in out["excluded"]}
    assert reasons[number] == ["graded 5200 items in 7 days (limit 5000)"]
