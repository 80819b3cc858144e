"""Pathway rules: urgent specialist action, low-risk diversion with its checklist, standard
investigation as the fallback."""

from __future__ import annotations

import pytest

from seawall.casework import instruments, pathways
from seawall.casework.scoring import score

ELIGIBLE_FACTS = {"admission": "yes", "consent": "yes", "evidence_sufficient": "yes"}


@pytest.fixture(scope="module")
def rules():
    return pathways.load_rules()


def answers(**changes) -> dict:
    base = {i.id: "no" for i in instruments.get("seawall-prioritisation").items}
    return base | changes


def advise(rules, *, result_answers=None, indicators=None, suspect=None, age=40):
    result = None if result_answers is None else score(
        instruments.get("seawall-prioritisation"), result_answers)
    facts = pathways.build_facts(result, {"indicator.possible_production": False,
                                          **(indicators or {})},
                                 ELIGIBLE_FACTS if suspect is None else suspect, age)
    return pathways.recommend(rules, facts)


def checklist(advice) -> dict:
    return {c["id"]: c["met"] for c in advice["eligibility"]["low_risk_diversion"]}


def test_low_risk_diversion_when_every_condition_is_met(rules):
    advice = advise(rules, result_answers=answers())
    assert advice["recommended"] == "low_risk_diversion" and not advice["provisional"]
    assert all(checklist(advice).values())
    assert "conditional caution" in advice["description"].lower()
    assert advice["advice_only"] is True


@pytest.mark.parametrize("change,failed", [
    ({"result_answers": answers(access_other="yes")}, "no_access_to_children"),
    ({"result_answers": answers(distribution="yes")}, "no_distribution"),
    ({"result_answers": answers(prev_noncontact_sexual="yes")}, "no_sexual_history"),
    ({"suspect": ELIGIBLE_FACTS | {"admission": "no"}}, "admission"),
    ({"age": 17}, "adult"),
])
def test_one_unmet_condition_means_standard_investigation(rules, change, failed):
    advice = advise(rules, **({"result_answers": answers()} | change))
    assert advice["recommended"] == "standard_investigation"
    assert checklist(advice)[failed] is False


def test_unrecorded_facts_are_not_established_not_met(rules):
    advice = advise(rules, result_answers=answers(), suspect={"admission": "unknown"})
    marks = checklist(advice)
    assert marks["admission"] is None and marks["consent"] is None
    assert advice["recommended"] == "standard_investigation"


def test_unknown_answer_counts_as_risk_for_eligibility(rules):
    advice = advise(rules, result_answers=answers(access_household="unknown"))
    assert checklist(advice)["no_access_to_children"] is False
    assert advice["recommended"] == "standard_investigation"  # medium band, not low


@pytest.mark.parametrize("kwargs", [
    {"result_answers": answers(prev_contact_sexual="yes")},              # high band
    {"result_answers": answers(grooming_incitement="yes")},              # very high
    {"result_answers": answers(), "indicators": {"indicator.possible_production": True}},
])
def test_urgent_specialist(rules, kwargs):
    assert advise(rules, **kwargs)["recommended"] == "urgent_specialist"


def test_incomplete_assessment_is_provisional_and_never_diversion(rules):
    partial = answers()
    del partial["access_other"]
    advice = advise(rules, result_answers=partial)
    assert advice["provisional"] is True
    assert advice["recommended"] == "standard_investigation"
    assert checklist(advice)["assessment_complete"] is False
    # ... but what is already known can still make it urgent.
    advice = advise(rules, result_answers=partial | {"grooming_incitement": "yes"})
    assert advice["recommended"] == "urgent_specialist" and advice["provisional"]


def test_no_assessment_at_all(rules):
    advice = advise(rules)
    assert advice["recommended"] == "standard_investigation" and advice["provisional"]
