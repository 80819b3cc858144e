"""Shared fixtures for the hashing tests: reference data under ../shared (skipped if absent)."""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
PDQ_DATA = SHARED / "testdata" / "pdq"
VPDQ_DATA = SHARED / "testdata" / "vpdq"


@pytest.fixture(scope="session")
def pdq_data() -> Path:
    if not (PDQ_DATA / "expected" / "observed_pdqhash_fullres.csv").is_file():
        pytest.skip("shared PDQ test data not present")
    return PDQ_DATA


@pytest.fixture(scope="session")
def vpdq_data() -> Path:
    if not (VPDQ_DATA / "videos").is_dir():
        pytest.skip("shared vPDQ test data not present")
    return VPDQ_DATA


@pytest.fixture(scope="session")
def bridge_jpeg(pdq_data: Path) -> bytes:
    return (pdq_data / "images" / "bridge-mods" / "aaa-orig.jpg").read_bytes()
