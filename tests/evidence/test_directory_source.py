"""DirectorySource: bytes names, symlinks, FIFOs, and an exhibit left untouched."""

from __future__ import annotations

import hashlib
import os

import pytest

from seawall.evidence import registry
from seawall.evidence.directory_source import DirectorySource
from tests.evidence.helpers import md5_of


@pytest.fixture
def exhibit(tmp_path):
    root = tmp_path / "exhibit"
    (root / "sub" / "deeper").mkdir(parents=True)
    (root / "a.txt").write_bytes(b"alpha")
    (root / "sub" / "b.bin").write_bytes(b"\x00" * 1000)
    (root / "sub" / "deeper" / "c.txt").write_bytes(b"gamma")
    with open(os.path.join(os.fsencode(root), b"caf\xe9-latin1.txt"), "wb") as handle:
        handle.write(b"latin-1 name")
    os.symlink(".", root / "sub" / "loop")          # a symlink loop
    os.symlink("/etc/passwd", root / "outside")      # points out of the exhibit
    os.mkfifo(root / "pipe")                         # opening this would hang
    return root


def _snapshot(root):
    state = {}
    for dirpath, _, files in os.walk(os.fsencode(root)):
        for name in files:
            path = os.path.join(dirpath, name)
            st = os.lstat(path)
            digest = None
            if os.path.isfile(path) and not os.path.islink(path):
                fd = os.open(path, os.O_RDONLY | os.O_NOATIME)  # reading must not alter atime
                with os.fdopen(fd, "rb") as handle:
                    digest = hashlib.md5(handle.read()).hexdigest()
            state[path] = (st.st_mtime_ns, st.st_atime_ns, st.st_size, digest)
    return state


@pytest.mark.timeout(30)
def test_walk_and_read(exhibit):
    # Old access times: with relatime a plain read would update them, O_NOATIME must not.
    for dirpath, _, files in os.walk(exhibit):
        for name in files:
            path = os.path.join(dirpath, name)
            if not os.path.islink(path):
                os.utime(path, ns=(10**18, 10**18), follow_symlinks=False)
    before = _snapshot(exhibit)
    assert registry.detect([str(exhibit)]) is DirectorySource
    source = DirectorySource([str(exhibit)])
    entries = list(source.iter_entries())
    by_path = {e.path: e for e in entries}
    assert [e.path for e in entries] == [
        "/a.txt", "/caf\\xe9-latin1.txt", "/outside", "/pipe", "/sub/b.bin", "/sub/loop",
        "/sub/deeper/c.txt"]
    latin = by_path["/caf\\xe9-latin1.txt"]
    assert latin.path_bytes == b"/caf\xe9-latin1.txt"
    assert by_path["/outside"].kind == "symlink" and by_path["/outside"].locator is None
    assert by_path["/sub/loop"].kind == "symlink"
    assert by_path["/pipe"].error == "skipped: FIFO" and by_path["/pipe"].locator is None
    assert by_path["/a.txt"].mtime.year == 2001 and by_path["/a.txt"].mtime.tzinfo is None
    contents = {}
    for entry in entries:
        if entry.locator is not None:
            with source.open(entry.locator) as stream:
                contents[entry.path] = stream.read()
    assert contents["/caf\\xe9-latin1.txt"] == b"latin-1 name"
    assert contents["/sub/b.bin"] == b"\x00" * 1000
    assert len({e.file_key for e in entries}) == len(entries)
    assert all(len(e.file_key) <= 1000 for e in entries)
    assert _snapshot(exhibit) == before  # bytes, mtime and atime unchanged


def test_single_file_exhibit(tmp_path):
    path = tmp_path / "photo.jpg"
    path.write_bytes(b"\xff\xd8\xff" + b"x" * 100)
    source = DirectorySource([str(path)])
    (entry,) = list(source.iter_entries())
    assert entry.path == "/photo.jpg" and entry.size == 103
    assert md5_of(source.open(entry.locator)) == hashlib.md5(path.read_bytes()).hexdigest()


def test_locator_cannot_escape(exhibit):
    source = DirectorySource([str(exhibit)])
    from seawall.evidence.base import EvidenceError

    with pytest.raises(EvidenceError):
        source.open({"rel": b"/../../etc/passwd".hex()})
    with pytest.raises(EvidenceError):
        source.open({"rel": b"/outside".hex()})  # a symlink: O_NOFOLLOW refuses it
