"""The test data bundled with the suite under tests/data/ (sources and licences: its README.md).

Every test reaches a data file through ``data_path``. A missing file is an error, never a
skip: a clone that lacks part of tests/data must fail loudly, not pass with tests left out.
"""

from __future__ import annotations

from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"


def data_path(*parts: str) -> Path:
    """``tests/data/<parts...>``; raises FileNotFoundError when it is not there."""
    path = DATA_DIR.joinpath(*parts)
    if not path.exists():
        raise FileNotFoundError(f"bundled test data missing: {path} (see tests/data/README.md)")
    return path
