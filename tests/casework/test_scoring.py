"""Worked examples of the shipped instruments, boundaries, missing and unknown answers."""

from __future__ import annotations

import pytest

from seawall.casework import instruments
from seawall.casework.scoring import AnswerError, score

CPORT_ITEMS = ["young_age", "prior_criminal_history", "contact_sexual_offending",
               "failure_conditional_release", "sexual_interest_in_children",
               "more_boy_content_csem", "more_boy_content_other"]


@pytest.fixture(scope="module")
def cport():
    return instruments.get("cport")


@pytest.fixture(scope="module")
def prio():
    return instruments.get("seawall-prioritisation")


def cport_answers(yes: int) -> dict:
    """The first ``yes`` items answered yes, the rest no."""
    return {item: ("yes" if i < yes else "no") for i, item in enumerate(CPORT_ITEMS)}


def test_cport_is_the_published_seven_items_one_point_each(cport):
    assert [i.id for i in cport.items] == CPORT_ITEMS
    for item in cport.items:
        assert {a.value: a.points for a in item.answers} == {"yes": 1, "no": 0}
    assert (cport.min_score, cport.max_score) == (0, 7)
    assert cport.kind == "published" and cport.max_unknown == 1


@pytest.mark.parametrize("yes,band", [(0, "below_median"), (1, "below_median"), (2, "median"),
                                      (3, "above_median"), (4, "above_median"),
                                      (5, "well_above_median"), (7, "well_above_median")])
def test_cport_total_is_the_count_of_items_present(cport, yes, band):
    result = score(cport, cport_answers(yes))
    assert result["score"] == yes and result["band"] == band
    assert result["complete"] is True and result["missing"] == []
    assert [r["item"] for r in result["reasons"]] == CPORT_ITEMS
    assert sum(r["contribution"] for r in result["reasons"]) == yes
    assert result["drivers"] == sorted(CPORT_ITEMS[:yes])
    assert result["timescale_days"] is None  # a recidivism tool sets no action timescale


def test_cport_worked_example(cport):
    # 30-year-old, no record, admitted interest, more girl content: items 1 and 5 -> 2.
    result = score(cport, {"young_age": "yes", "prior_criminal_history": "no",
                           "contact_sexual_offending": False,
                           "failure_conditional_release": "no",
                           "sexual_interest_in_children": {"answer": "yes",
                                                           "evidence": ["interview 3"]},
                           "more_boy_content_csem": "no", "more_boy_content_other": "no"})
    assert (result["score"], result["band"]) == (2, "median")
    interest = next(r for r in result["reasons"] if r["item"] == "sexual_interest_in_children")
    assert interest["contribution"] == 1 and interest["evidence"] == ["interview 3"]
    assert "CPORT item 5" in interest["explanation"]


def test_missing_answer_never_lowers_risk(cport):
    answers = cport_answers(1)
    del answers["more_boy_content_other"]
    answers["contact_sexual_offending"] = None  # null = not answered
    result = score(cport, answers)
    assert result["complete"] is False and result["status"] == "incomplete"
    assert result["band"] == "incomplete" and result["score"] is None
    assert result["missing"] == ["contact_sexual_offending", "more_boy_content_other"]
    assert result["score_range"] == [1, 3]


def test_one_unknown_counts_as_the_conservative_default(cport):
    answers = cport_answers(1)
    answers["more_boy_content_csem"] = "unknown"
    result = score(cport, answers)
    assert result["complete"] is True and result["score"] == 2 and result["band"] == "median"
    assert result["unknown"] == ["more_boy_content_csem"]
    reason = next(r for r in result["reasons"] if r["item"] == "more_boy_content_csem")
    assert reason["counted_as"] == "yes" and reason["contribution"] == 1
    assert "conservative default" in reason["explanation"]
    assert result["score_range"] == [1, 2]


def test_cport_refuses_more_than_one_unknown(cport):
    answers = cport_answers(0)
    answers["young_age"] = answers["prior_criminal_history"] = "unknown"
    result = score(cport, answers)
    assert result["status"] == "not_scorable" and result["band"] == "not_scorable"
    assert result["score"] is None and result["score_range"] == [0, 2]


def test_invalid_answers_are_errors(cport):
    with pytest.raises(AnswerError) as exc:
        score(cport, {"young_age": "maybe", "shoe_size": "yes"})
    text = str(exc.value)
    assert "young_age" in text and "shoe_size" in text


def prio_answers(**yes) -> dict:
    answers = {i.id: "no" for i in instruments.get("seawall-prioritisation").items}
    answers.update({k: v if isinstance(v, str) else "yes" for k, v in yes.items()})
    return answers


@pytest.mark.parametrize("yes,points,band", [
    ({}, 0, "low"),
    ({"distribution": 1}, 2, "low"),                                 # top of low
    ({"distribution": 1, "category_a": 1}, 3, "medium"),             # bottom of medium
    ({"distribution": 1, "other_convictions": 1, "domestic_abuse": 1, "substance_misuse": 1},
     5, "medium"),                                                    # top of medium
    ({"distribution": 1, "sexual_communication_adults": 1, "other_convictions": 1,
      "domestic_abuse": 1}, 6, "high"),                               # bottom of high
    ({"distribution": 1, "sexual_communication_adults": 1, "prev_noncontact_sexual": 1,
      "prev_custody": 1, "other_convictions": 1, "domestic_abuse": 1}, 9, "high"),
    ({"distribution": 1, "sexual_communication_adults": 1, "prev_noncontact_sexual": 1,
      "prev_custody": 1, "other_convictions": 1, "domestic_abuse": 1, "substance_misuse": 1},
     10, "very_high"),                                                # bottom of very high
])
def test_prioritisation_point_bands(prio, yes, points, band):
    result = score(prio, prio_answers(**yes))
    assert (result["score"], result["band"], result["points_band"]) == (points, band, band)
    assert result["rules_fired"] == []


def test_prioritisation_timescales(prio):
    assert {b.id: b.timescale_days for b in prio.bands} == {
        "low": 30, "medium": 14, "high": 7, "very_high": 1}
    assert "not the official KIRAT" in prio.label


def test_rules_raise_the_band_and_say_why(prio):
    result = score(prio, prio_answers(production=1))  # 4 points = medium by points
    assert (result["score"], result["points_band"], result["band"]) == (4, "medium", "high")
    assert [f["rule"] for f in result["rules_fired"]] == ["production"]
    assert "production" in result["drivers"] and "Raised from Medium" in result["message"]
    result = score(prio, prio_answers(production=1, access_other=1))
    assert result["band"] == "very_high" and result["timescale_days"] == 1
    assert score(prio, prio_answers(grooming_incitement=1))["band"] == "very_high"


def test_prioritisation_unknown_access_counts_as_access(prio):
    result = score(prio, prio_answers(access_household="unknown"))
    assert result["score"] == 3 and result["band"] == "medium"
    assert [f["rule"] for f in result["rules_fired"]] == ["child_access"]


def test_incomplete_prioritisation_still_reports_rules_already_met(prio):
    answers = prio_answers(grooming_incitement=1)
    del answers["access_household"]
    result = score(prio, answers)
    assert result["band"] == "incomplete" and result["band_at_least"] == "very_high"
