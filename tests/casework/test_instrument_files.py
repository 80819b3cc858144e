"""Invalid instrument files are reported with line numbers; a force's own file loads; the
``seawall risk`` commands."""

from __future__ import annotations

import json
import re
import textwrap

import pytest
from typer.testing import CliRunner

from seawall.casework import instruments, pathways
from seawall.casework.yamlmarks import ConfigError
from seawall.cli.app import app

GOOD = textwrap.dedent("""\
    format: seawall-instrument/1
    name: force-tool
    title: A force's tool
    version: "3"
    kind: force
    items:
      - id: access
        question: Access to children?
        explanation: Access.
        answers:
          - {value: "yes", label: "Yes", points: 2}
          - {value: "no", label: "No", points: 0}
    rules:
      - id: access_rule
        when: {item: access, is: "yes"}
        band_at_least: high
        explanation: Access.
    bands:
      - {id: low, min: 0, max: 0, timescale_days: 30}
      - {id: high, min: 1, max: 2, timescale_days: 7}
    """)


def problems_of(text: str) -> list[str]:
    with pytest.raises(ConfigError) as exc:
        instruments.parse(text, "force.yaml")
    return exc.value.problems


def test_good_file_parses():
    inst = instruments.parse(GOOD, "force.yaml")
    assert inst.name == "force-tool" and inst.items[0].unknown_as == "yes"


@pytest.mark.parametrize("old,new,line,words", [
    ('  - {id: high, min: 1, max: 2, timescale_days: 7}',
     '  - {id: high, min: 2, max: 2, timescale_days: 7}', 20, "gap"),
    ('        when: {item: access, is: "yes"}', '        when: {item: access, is: "perhaps"}',
     15, "not an answer"),
    ('        band_at_least: high', '        band_at_least: severe', 16, "unknown band"),
    ('          - {value: "no", label: "No", points: 0}',
     '          - {value: no, label: "No", points: 0}', 12, "quote the answer"),
    ('        explanation: Access.\n        answers:',
     '        explanation: Access.\n        colour: red\n        answers:', 10, "unknown key"),
    ('    kind: force', '    kind: force\n    kind: seawall', 6, "duplicate key"),
    ('          - {value: "yes", label: "Yes", points: 2}',
     '          - {value: "yes", label: "Yes", points: two}', 11, "whole number"),
    ('    title: A force\'s tool', '    title: [unclosed', 4,
     "flow sequence at line 3"),
])
def test_errors_carry_line_numbers(old, new, line, words):
    # The snippets above are written with the file's indentation plus four spaces.
    old, new = (re.sub(r"(?m)^    ", "", s) for s in (old, new))
    assert old in GOOD
    problems = problems_of(GOOD.replace(old, new, 1))
    assert any(p.startswith(f"force.yaml:{line}:") and words in p for p in problems), problems


def test_all_problems_reported_at_once():
    text = GOOD.replace('format: seawall-instrument/1', 'format: other').replace(
        "band_at_least: high", "band_at_least: severe")
    problems = problems_of(text)
    assert any(p.startswith("force.yaml:1:") for p in problems)
    assert any(p.startswith("force.yaml:16:") for p in problems)


def test_force_directory_adds_and_overrides(tmp_path, monkeypatch):
    (tmp_path / "force.yaml").write_text(GOOD)
    monkeypatch.setenv(instruments.INSTRUMENT_DIR_ENV, str(tmp_path))
    loaded = instruments.load_all()
    assert {"cport", "seawall-prioritisation", "force-tool"} <= set(loaded)
    (tmp_path / "broken.yaml").write_text("name: [")
    with pytest.raises(ConfigError) as exc:
        instruments.load_all()
    assert str(tmp_path / "broken.yaml") + ":1:" in str(exc.value)


def test_pathway_rules_validated_with_lines():
    text = pathways.DEFAULT_FILE.read_text().replace("fact: suspect.age", "fact: shoe.size")
    with pytest.raises(ConfigError) as exc:
        pathways.parse(text, "p.yaml")
    assert all(p.startswith("p.yaml:") for p in exc.value.problems)
    assert "shoe.size" in str(exc.value)


runner = CliRunner()


def test_cli_instruments_list_and_show():
    result = runner.invoke(app, ["risk", "instruments"])
    assert result.exit_code == 0 and "cport" in result.stdout
    assert "seawall-prioritisation" in result.stdout
    result = runner.invoke(app, ["risk", "instruments", "--show", "cport"])
    assert result.exit_code == 0
    assert "young_age: Was the person 35 or younger" in result.stdout
    assert "answers: yes (+1), no (+0), unknown (counts as yes)" in result.stdout
    shown = json.loads(runner.invoke(app, ["risk", "instruments", "--show", "cport",
                                           "--json"]).stdout)
    assert [i["id"] for i in shown["items"]][0] == "young_age"


def test_cli_score(tmp_path):
    answers = tmp_path / "a.json"
    answers.write_text(json.dumps({"young_age": "yes", "prior_criminal_history": "yes",
                                   "contact_sexual_offending": "no",
                                   "failure_conditional_release": "unknown",
                                   "sexual_interest_in_children": "no",
                                   "more_boy_content_csem": "no"}))
    result = runner.invoke(app, ["risk", "score", "--instrument", "cport",
                                 "--answers", str(answers)])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["complete"] is False and out["missing"] == ["more_boy_content_other"]
    assert out["band"] == "incomplete" and out["score"] is None
    data = json.loads(answers.read_text()) | {"more_boy_content_other": "no"}
    answers.write_text(json.dumps(data))
    out = json.loads(runner.invoke(app, ["risk", "score", "--instrument", "cport",
                                         "--answers", str(answers)]).stdout)
    assert (out["band"], out["score"], out["complete"], out["missing"]) == (
        "above_median", 3, True, [])
    reason = out["reasons"][3]
    assert reason["item"] == "failure_conditional_release" and reason["answer"] == "unknown"
    assert reason["contribution"] == 1 and reason["explanation"]


def test_cli_score_errors(tmp_path):
    answers = tmp_path / "a.json"
    answers.write_text('{"young_age": "perhaps"}')
    result = runner.invoke(app, ["risk", "score", "--instrument", "cport",
                                 "--answers", str(answers)])
    assert result.exit_code == 2
    result = runner.invoke(app, ["risk", "score", "--instrument", "nope",
                                 "--answers", str(answers)])
    assert result.exit_code == 2
    bad = tmp_path / "bad.yaml"
    bad.write_text(GOOD.replace("band_at_least: high", "band_at_least: severe"))
    result = runner.invoke(app, ["risk", "check", str(bad)])
    assert result.exit_code == 1 and f"{bad}:16:" in result.output.replace("\n", "")
