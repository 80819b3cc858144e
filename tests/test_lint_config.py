"""`make lint` keeps its teeth: mypy's baseline of ignored modules only shrinks, and `make test`
runs the linters first.

The baseline (``ignore_errors = true`` in pyproject.toml) lists the modules that did not
type-check when mypy joined `make lint`. A module may leave it (fixed, or moved and fixed),
never join it: new code is type-clean.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SRC = REPO / "src"

# The baseline as it was introduced; shrink this together with pyproject.toml, never grow it.
BASELINE = frozenset({
    "seawall.casework.indicators",
    "seawall.casework.scoring",
    "seawall.casework.service",
    "seawall.cli.scan_cmd",
    "seawall.grading.service",
    "seawall.matching.service",
    "seawall.operations.charts",
    "seawall.operations.csv_import",
    "seawall.operations.forecast",
    "seawall.reports.model",
    "seawall.web.app",
})


def _mypy() -> dict:
    return tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["mypy"]


def _ignored_modules() -> list[str]:
    modules: list[str] = []
    for override in _mypy().get("overrides", []):
        if override.get("ignore_errors"):
            names = override["module"]
            modules.extend([names] if isinstance(names, str) else names)
    return modules


def _exists(module: str) -> bool:
    path = SRC.joinpath(*module.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def test_mypy_checks_the_package_for_python_311() -> None:
    config = _mypy()
    assert config["files"] == ["src/seawall"]
    assert config["python_version"] == "3.11"
    assert not config.get("ignore_errors") and not config.get("ignore_missing_imports")


def test_the_baseline_only_shrinks() -> None:
    ignored = _ignored_modules()
    assert len(ignored) == len(set(ignored)), "a module is listed twice"
    added = set(ignored) - BASELINE
    assert not added, f"fix these modules instead of ignoring their type errors: {sorted(added)}"
    assert all("*" not in module for module in ignored), "name modules one by one"


def test_the_baseline_names_only_existing_modules() -> None:
    # A moved or deleted module leaves the baseline (and BASELINE above) with it.
    gone = sorted(m for m in _ignored_modules() if not _exists(m))
    assert not gone, f"no such modules, remove them from the mypy baseline: {gone}"
    assert not sorted(m for m in BASELINE if not _exists(m)), "shrink BASELINE too"


def test_make_test_runs_the_linters_first() -> None:
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^test:[^\n]*\blint\b", makefile, re.M), "make test must depend on lint"
    recipe = re.search(r"^lint:[^\n]*\n((?:\t[^\n]*\n)+)", makefile, re.M)
    assert recipe, "no lint target"
    for tool in ("ruff check", "lint-imports", "mypy"):
        assert tool in recipe.group(1), f"make lint does not run {tool}"
