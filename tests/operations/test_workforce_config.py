"""The workforce configuration parses into typed objects, and every mistake in a force's
copy is reported with its file, line and key (never silently ignored)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from seawall.errors import ConfigError
from seawall.operations.config import DEFAULTS_DIR
from seawall.operations.workforce.config import (
    Assignment,
    Requirement,
    load_workforce_config,
)

BANDS = ["very_high", "high", "medium", "low"]


def test_packaged_defaults_are_typed():
    cfg = load_workforce_config(None, BANDS)
    assert cfg.tasks["interview"].for_band("high") == (
        Requirement("abe_interview"), Requirement("pip", 2), Requirement("scaidp"))
    assert cfg.roles["grader"].dedicated_ocsa and not cfg.roles["df_examiner"].dedicated_ocsa
    assert cfg.credentials["df_examiner"].levels == (1, 2, 3)
    assert cfg.credentials["iioc_grader"].valid_years == 3
    assert cfg.assignment == Assignment(("risk_assessment", "interview"), 8, 2.0, 5000, 900)
    assert cfg.demand.horizon_weeks == 12
    assert [h.id for h in cfg.headlines][0] == "dedicated_without_specialist_course"


@pytest.mark.parametrize("override, line, message", [
    ('[tasks.grading]\nlabel = "Grading"\nrequires = ["iioc", "welfare_screening"]\n',
     3, "tasks.grading.requires[0]: unknown credential 'iioc'"),
    ('[tasks.interview.bands]\nextreme = ["pip>=2"]\n',
     2, "tasks.interview.bands.extreme: unknown band 'extreme'"),
    ('[roles.analyst]\nlabel = "Analyst"\ndedicated_ocsa = false\nprofile = ["pip>=x"]\n',
     4, "roles.analyst.profile[0]: bad requirement 'pip>=x'"),
    ('[roles.analyst]\nlabel = "Analyst"\nprofile = ["pip"]\n',
     1, "roles.analyst.dedicated_ocsa: missing (true or false)"),
    ('[assignment]\nmax_open_allocations = "eight"\n',
     2, "assignment.max_open_allocations: expected a whole number"),
    ('[demand]\ntask_shares = 0.5\n', 2, "demand.task_shares: unknown setting"),
    ('[[headlines]]\nid = "a"\nlacking = "scaidp"\n\n[[headlines]]\nid = "b"\n'
     'population = "role:astronaut"\nholding = "pip"\n',
     7, "headlines[1].population: unknown population 'role:astronaut'"),
])
def test_errors_name_file_line_and_key(tmp_path, override, line, message):
    path = tmp_path / "force.toml"
    path.write_text(override, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_workforce_config(path, BANDS)
    assert str(err.value).startswith(f"{path}:{line}: {message}"), str(err.value)


def test_an_error_in_the_packaged_part_points_at_the_packaged_file(tmp_path):
    # The force's file removes a credential that a packaged task still requires.
    path = tmp_path / "force.toml"
    path.write_text('[credentials.iioc_grader]\nlevels = "three"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_workforce_config(path, BANDS)
    assert str(err.value).startswith(f"{path}:2: credentials.iioc_grader.levels: expected")
    defaults = (DEFAULTS_DIR / "workforce.toml").read_text(encoding="utf-8").splitlines()
    path.write_text('[demand]\nhorizon_weeks = 12\n', encoding="utf-8")
    bad_bands = ["very_high", "low"]  # the packaged file's per-band rules name 'high'
    with pytest.raises(ConfigError) as err:
        load_workforce_config(path, bad_bands)
    where, _, rest = str(err.value).partition(": ")
    file, _, number = where.rpartition(":")
    assert file.endswith("defaults/workforce.toml")
    assert defaults[int(number) - 1].startswith("high = ")
    assert rest.startswith("tasks.risk_assessment.bands.high: unknown band 'high'")


def test_cli_reports_the_located_error(tmp_path):
    path = tmp_path / "force.toml"
    path.write_text('[tasks.grading]\nhours_per_case = -1\n', encoding="utf-8")
    out = subprocess.run([sys.executable, "-m", "seawall", "workforce", "staff", "--config",
                          str(path), "--db", f"sqlite:///{tmp_path / 'x.db'}"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode != 0
    assert "force.toml:2: tasks.grading.hours_per_case: -1 out of range" in " ".join(
        out.stderr.split())
