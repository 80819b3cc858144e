"""The layering contract (import-linter, configured in pyproject.toml) holds and has teeth,
and no module hides a fault behind a guarded import of Seawall's own code."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SRC = REPO / "src"
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
LAYERS = "Each stage imports only the stages below it"
ACYCLIC = "No import cycle between sibling packages or modules, at any depth"


def lint_imports(src: Path) -> subprocess.CompletedProcess:
    """Run the contract of the repository's pyproject.toml against the package under ``src``."""
    env = {**os.environ, "PYTHONPATH": str(src)}
    return subprocess.run([str(LINT_IMPORTS), "--no-cache", "--no-logo",
                           str(REPO / "pyproject.toml")],
                          cwd=src, env=env, capture_output=True, text=True, timeout=300)


@pytest.fixture
def tree_copy(tmp_path: Path) -> Path:
    """A copy of src/seawall to break on purpose."""
    shutil.copytree(SRC / "seawall", tmp_path / "seawall",
                    ignore=shutil.ignore_patterns("__pycache__"))
    return tmp_path


def add_import(tree: Path, module: str, statement: str) -> None:
    path = tree.joinpath(*module.split(".")).with_suffix(".py")
    path.write_text(path.read_text(encoding="utf-8") + f"\n{statement}  # noqa\n",
                    encoding="utf-8")


def test_the_real_tree_keeps_the_contract():
    result = lint_imports(SRC)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{LAYERS} KEPT" in result.stdout and f"{ACYCLIC} KEPT" in result.stdout


def test_an_upward_import_breaks_the_layers(tree_copy: Path):
    add_import(tree_copy, "seawall.store.queries", "import seawall.web")
    result = lint_imports(tree_copy)
    assert result.returncode != 0
    assert f"{LAYERS} BROKEN" in result.stdout
    assert "seawall.store.queries -> seawall.web" in result.stdout


def test_an_import_cycle_inside_a_stage_breaks_the_contract(tree_copy: Path):
    # accounts.users imports accounts.roles; the reverse import closes a cycle.
    add_import(tree_copy, "seawall.accounts.roles", "import seawall.accounts.users")
    result = lint_imports(tree_copy)
    assert result.returncode != 0
    assert f"{ACYCLIC} BROKEN" in result.stdout and f"{LAYERS} KEPT" in result.stdout


def test_a_new_top_level_package_must_be_placed(tree_copy: Path):
    (tree_copy / "seawall" / "newstage").mkdir()
    (tree_copy / "seawall" / "newstage" / "__init__.py").write_text("")
    result = lint_imports(tree_copy)
    assert result.returncode != 0 and "seawall.newstage" in result.stdout


GUARDS = {"ImportError", "ModuleNotFoundError", "Exception", "BaseException"}


def _guarded_own_imports(path: Path) -> list[int]:
    """Lines of ``try:`` blocks that import seawall code and catch an import failure."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if not isinstance(node, ast.Try):
            continue
        caught = set()
        for handler in node.handlers:
            types = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
            caught |= {"BaseException" if t is None else ast.unparse(t) for t in types}
        if not caught & GUARDS:
            continue
        for stmt in node.body:
            for inner in ast.walk(stmt):
                names = ([inner.module or ""] if isinstance(inner, ast.ImportFrom)
                         else [a.name for a in inner.names] if isinstance(inner, ast.Import)
                         else [])
                if any(n == "seawall" or n.startswith("seawall.") for n in names):
                    found.append(node.lineno)
    return found


def test_no_guarded_import_of_seawall_modules():
    """A broken stage must fail loudly, not turn into "feature not installed"."""
    offenders = [f"{path.relative_to(SRC)}:{line}" for path in sorted(SRC.rglob("*.py"))
                 for line in _guarded_own_imports(path)]
    assert offenders == []


def test_the_guard_scan_finds_a_guard(tmp_path: Path):
    sample = tmp_path / "sample.py"
    sample.write_text("try:\n    from seawall.matching import service\n"
                      "except ImportError:\n    service = None\n")
    assert _guarded_own_imports(sample) == [1]
