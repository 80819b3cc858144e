"""tests/data is complete and unchanged: every file matches SHA256SUMS, and nothing is unlisted.

A checkout that lost a binary (an ignore rule, a text-conversion attribute, a partial copy) or a
test that wrote into the bundled data fails here, by name, rather than somewhere downstream.
"""

from __future__ import annotations

import hashlib

from tests.datafiles import DATA_DIR, data_path

DOCUMENTATION = {"README.md", "SHA256SUMS"}


def _manifest() -> dict[str, str]:
    rows = data_path("SHA256SUMS").read_text(encoding="utf-8").splitlines()
    return {name: digest for digest, name in (row.split("  ", 1) for row in rows)}


def test_every_bundled_file_matches_its_checksum() -> None:
    manifest = _manifest()
    assert manifest
    for name, digest in manifest.items():
        assert hashlib.sha256(data_path(name).read_bytes()).hexdigest() == digest, name


def test_every_bundled_file_is_listed() -> None:
    present = {p.relative_to(DATA_DIR).as_posix() for p in DATA_DIR.rglob("*") if p.is_file()}
    assert present - DOCUMENTATION == set(_manifest())
