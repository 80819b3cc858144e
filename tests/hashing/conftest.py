"""Shared fixtures for the hashing tests: the bundled PDQ and vPDQ reference data."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.datafiles import data_path

PDQ_DATA = data_path("pdq")
VPDQ_DATA = data_path("vpdq")


@pytest.fixture(scope="session")
def pdq_data() -> Path:
    return PDQ_DATA


@pytest.fixture(scope="session")
def vpdq_data() -> Path:
    return VPDQ_DATA


@pytest.fixture(scope="session")
def bridge_jpeg() -> bytes:
    return data_path("pdq", "images", "bridge-mods", "aaa-orig.jpg").read_bytes()
