"""The one error model: every Seawall exception is a SeawallError of a kind."""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
from pathlib import Path

import pytest

import seawall
from seawall import errors

# Exceptions that are not Seawall errors on purpose (see seawall/errors.py).
NOT_SEAWALL_ERRORS = {"seawall.evidence.truncation.TruncatedReadError"}

KINDS = (errors.NotFound, errors.InvalidInput, errors.ConfigError, errors.AccessDenied,
         errors.Conflict, errors.Unavailable)


def _seawall_modules():
    for info in pkgutil.walk_packages(seawall.__path__, "seawall."):
        if info.name != "seawall.__main__":  # importing it would run the command line
            yield importlib.import_module(info.name)


def _exception_classes():
    for module in _seawall_modules():
        for name, obj in vars(module).items():
            if (inspect.isclass(obj) and issubclass(obj, BaseException)
                    and obj.__module__ == module.__name__):
                yield f"{module.__name__}.{name}", obj


def test_every_seawall_exception_derives_from_a_kind():
    found = dict(_exception_classes())
    assert "seawall.hashsets.base.ImportFailed" in found  # the walk reaches every stage
    assert "seawall.web.deps.LoginRequired" in found
    stray = [name for name, cls in found.items()
             if not issubclass(cls, errors.SeawallError)
             and not name.rsplit(".", 1)[1].startswith("_") and name not in NOT_SEAWALL_ERRORS]
    assert stray == []
    kindless = [name for name, cls in found.items()
                if issubclass(cls, errors.SeawallError) and name.startswith("seawall.")
                and not name.startswith("seawall.errors.") and not issubclass(cls, KINDS)
                and cls.__bases__[0] is not errors.SeawallError]
    assert kindless == []


def test_no_exception_class_hides_inside_a_function():
    """The import walk sees module-level classes only; nested ones would escape it."""
    nested = []
    for path in Path(seawall.__file__).parent.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                for inner in ast.walk(node):
                    if isinstance(inner, ast.ClassDef) and any(
                            "Error" in ast.unparse(b) or "Exception" in ast.unparse(b)
                            for b in inner.bases):
                        nested.append(f"{path.name}:{inner.lineno} {inner.name}")
    assert nested == []


def test_one_config_error():
    from seawall.casework import yamlmarks
    from seawall.hashsets.scheme import SchemeError
    from seawall.operations import config

    assert yamlmarks.ConfigError is config.ConfigError is errors.ConfigError
    assert issubclass(SchemeError, errors.ConfigError)
    exc = errors.ConfigError(problems=["a.yaml:3: bad", "a.yaml:9: worse"])
    assert str(exc) == "a.yaml:3: bad\na.yaml:9: worse" and exc.problems[1] == "a.yaml:9: worse"
    assert errors.ConfigError("no bands").problems == ["no bands"]


@pytest.mark.parametrize("kind, exit_code, http_status", [
    (errors.NotFound, 1, 404), (errors.InvalidInput, 1, 400), (errors.ConfigError, 2, 500),
    (errors.AccessDenied, 1, 403), (errors.Conflict, 1, 409), (errors.Unavailable, 1, 503)])
def test_kind_statuses(kind, exit_code, http_status):
    assert (kind.exit_code, kind.http_status) == (exit_code, http_status)


def test_narrow_errors_keep_the_builtin_base_callers_catch():
    """Kinds are not built-in exceptions (an ``except ValueError`` round a library call
    must not swallow them), but the narrow classes keep the base they always had."""
    from seawall.casework.service import CaseworkError
    from seawall.evidence.base import EvidenceError
    from seawall.hashing.errors import HashingError
    from seawall.reports.model import ReportError

    assert not issubclass(errors.InvalidInput, ValueError)
    assert not issubclass(EvidenceError, ValueError | OSError | RuntimeError)
    assert not issubclass(HashingError, ValueError | OSError | RuntimeError)
    assert issubclass(CaseworkError, ValueError) and issubclass(CaseworkError, errors.InvalidInput)
    assert issubclass(ReportError, RuntimeError)
