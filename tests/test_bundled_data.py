"""tests/data is complete and unchanged: every file matches SHA256SUMS, and nothing is unlisted.

A checkout that lost a binary (an ignore rule, a text-conversion attribute, a partial copy) or a
test that wrote into the bundled data fails here, by name, rather than somewhere downstream.
"""

from __future__ import annotations

import hashlib

from tests.datafiles import DATA_DIR, data_path, manifest, stored_name

DOCUMENTATION = {"README.md", "SHA256SUMS"}


def test_every_bundled_file_matches_its_checksum() -> None:
    listed = manifest()
    assert listed
    for name, digest in listed.items():  # gzipped images: the .gz and what it unpacks to
        assert hashlib.sha256(data_path(name).read_bytes()).hexdigest() == digest, name


def test_every_bundled_file_is_listed() -> None:
    present = {p.relative_to(DATA_DIR).as_posix() for p in DATA_DIR.rglob("*") if p.is_file()}
    assert present - DOCUMENTATION == {stored_name(name) for name in manifest()}


def test_gzipped_images_unpack_read_only_outside_the_repository() -> None:
    unpacked = data_path("images", "mbr.raw")
    assert DATA_DIR not in unpacked.parents
    assert unpacked.stat().st_size == 4 * 1024 * 1024
    assert not unpacked.stat().st_mode & 0o222
