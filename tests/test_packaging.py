"""pyproject.toml declares what src/seawall imports, and only that is a runtime dependency.

An import that works only because some other package happens to pull its distribution in
breaks the day that package stops doing so; a test- or bench-only package among the runtime
dependencies is installed on every production machine for nothing.
"""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement

REPO = Path(__file__).resolve().parents[1]
# Imported by bench/ or tests/ only: they belong in the `bench` or `dev` extra.
NOT_RUNTIME = {"faiss-cpu", "httpx", "case-utils", "pytest", "playwright"}


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _project() -> dict:
    return tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def _runtime_distributions() -> set[str]:
    """The declared runtime distributions, with what their requested extras pull in."""
    names = set()
    for requirement in map(Requirement, _project()["dependencies"]):
        names.add(_canonical(requirement.name))
        for extra in requirement.extras:
            for dep in map(Requirement, importlib.metadata.requires(requirement.name) or []):
                if dep.marker is not None and dep.marker.evaluate({"extra": extra}):
                    names.add(_canonical(dep.name))
    return names


def _third_party_imports() -> dict[str, str]:
    """{top-level module: first file importing it} over src/seawall."""
    found: dict[str, str] = {}
    for path in sorted((REPO / "src" / "seawall").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules = [node.module]
            else:
                continue
            for module in modules:
                top = module.split(".")[0]
                if top != "seawall" and top not in sys.stdlib_module_names:
                    found.setdefault(top, str(path.relative_to(REPO)))
    return found


def test_every_third_party_import_is_a_declared_runtime_dependency() -> None:
    declared = _runtime_distributions()
    owners = importlib.metadata.packages_distributions()
    for module, where in _third_party_imports().items():
        distributions = {_canonical(d) for d in owners.get(module, [module])}
        assert distributions & declared, f"{where} imports {module}, not declared in pyproject"


def test_test_and_bench_packages_are_not_runtime_dependencies() -> None:
    runtime = {_canonical(Requirement(r).name) for r in _project()["dependencies"]}
    assert not runtime & NOT_RUNTIME
    extras = _project()["optional-dependencies"]
    for extra, packages in (("dev", {"httpx", "case-utils", "mypy", "import-linter"}),
                            ("bench", {"faiss-cpu"})):
        assert packages <= {_canonical(Requirement(r).name) for r in extras[extra]}, extra


def test_each_requirement_is_listed_once() -> None:
    # Across the runtime list and the extras: an extra never repeats a runtime dependency.
    project = _project()
    groups = [project["dependencies"], *project["optional-dependencies"].values()]
    names = [_canonical(Requirement(r).name) for group in groups for r in group]
    assert len(names) == len(set(names)), sorted(n for n in names if names.count(n) > 1)
