"""Archive members: nesting, bombs, traversal names, depth limit, corruption."""

from __future__ import annotations

import gzip
import hashlib
import io
import random
import struct
import tarfile
import tracemalloc
import zipfile
import zlib

import py7zr
import pytest

from seawall.evidence.archives import (
    ArchiveLimits,
    ExpansionLimitExceeded,
    iter_archive_members,
)
from seawall.evidence.base import EvidenceError, FileEntry
from seawall.signatures import archive_kind
from tests.evidence.helpers import image
from tests.evidence.helpers import tar_bytes as _tar

MIB = 1 << 20


def _parent(name="/exhibit/file"):
    return FileEntry(file_key=f"k:{name}", locator=None, path=name)


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _expand(data: bytes, parent: FileEntry, limits: ArchiveLimits, depth=1, out=None):
    """What the scanner does: list members, recurse into nested archives."""
    out = {} if out is None else out
    kind = archive_kind(data[:512])
    for entry, stream in iter_archive_members(io.BytesIO(data), parent, kind, limits, depth):
        content = None
        if stream is not None:
            try:
                content = stream.read()
            except EvidenceError:
                content = None
        out[entry.path] = (entry, content)
        if content is not None and archive_kind(content[:512]):
            try:
                _expand(content, entry, limits, depth + 1, out)
            except ExpansionLimitExceeded as exc:
                entry.error = str(exc)
    return out


def _deflate_zeros(repeats: int) -> bytes:
    """A raw deflate stream of 258 * (1 + 8 * repeats) + 1 zero bytes, built in O(size/1000).

    Fixed Huffman: literal 0, then <length 258, distance 1> matches (13 bits each); eight
    matches are 13 whole bytes, so the body is one 13-byte unit repeated.
    """
    def bits(value, count, reverse):
        if reverse:  # Huffman codes go most-significant bit first
            value = int(f"{value:0{count}b}"[::-1], 2)
        return value, count

    def pack(fields):
        acc = n = 0
        for value, count in fields:
            acc |= value << n
            n += count
        return acc, n

    match = [bits(0b11000101, 8, True), bits(0, 5, True)]
    head_acc, head_n = pack([(1, 1), (1, 2), bits(0x30, 8, True), *match])
    unit_acc, unit_n = pack(match * 8)
    assert head_n == 24 and unit_n == 104
    tail_acc, tail_n = pack([bits(0, 7, True)])
    return (head_acc.to_bytes(3, "little") + unit_acc.to_bytes(13, "little") * repeats
            + tail_acc.to_bytes((tail_n + 7) // 8, "little"))


def test_deflate_helper_is_right():
    data = zlib.decompress(_deflate_zeros(10), -15)
    assert data == b"\0" * (258 * 81 + 1)


def test_archive_kind_on_shared_files():
    for name, kind in [("with_directory.tar", "tar"), ("with_directory.zip", "zip"),
                       ("syslog.tgz", "gzip"), ("bogus.001", None), ("image.dd", None)]:
        assert archive_kind(image(name).read_bytes()[:512]) == kind, name
    assert archive_kind(b"7z\xbc\xaf\x27\x1c" + b"\0" * 100) == "7z"


def test_shared_tgz_expands_to_tar_members():
    data = image("syslog.tgz").read_bytes()
    found = _expand(data, _parent("/syslog.tgz"), ArchiveLimits())
    leaves = [p for p, (e, c) in found.items() if c and not archive_kind(c[:512])]
    assert leaves and all(p.startswith("/syslog.tgz!/") and "!/" in p[13:] for p in leaves)


def test_nested_zip_in_tar_in_gzip():
    inner = _zip({"photos/a.jpg": b"\xff\xd8 jpeg", "b.txt": b"bee"})
    outer = gzip.compress(_tar({"inner.zip": inner, "plain.txt": b"plain"}))
    parent = _parent("/case/x.tar.gz")
    found = _expand(outer, parent, ArchiveLimits())
    assert found["/case/x.tar.gz!/x.tar!/inner.zip!/photos/a.jpg"][1] == b"\xff\xd8 jpeg"
    assert found["/case/x.tar.gz!/x.tar!/plain.txt"][1] == b"plain"
    tar_entry = found["/case/x.tar.gz!/x.tar"][0]
    zip_entry = found["/case/x.tar.gz!/x.tar!/inner.zip"][0]
    leaf = found["/case/x.tar.gz!/x.tar!/inner.zip!/b.txt"][0]
    assert tar_entry.parent_key == parent.file_key
    assert leaf.parent_key == zip_entry.file_key and leaf.kind == "archive_member"
    keys = [e.file_key for e, _ in found.values()]
    assert len(set(keys)) == len(keys)
    assert keys == [e.file_key for e, _ in _expand(outer, parent, ArchiveLimits()).values()]


@pytest.mark.timeout(60)
def test_gzip_bomb_is_stopped_with_bounded_memory():
    bomb = b"\x1f\x8b\x08\x00\0\0\0\0\x00\x03" + _deflate_zeros(2 * 1024 * 1024 // 2)
    # ~13.5 MB that inflates to > 2 GiB.
    limits = ArchiveLimits(max_member_bytes=128 * MIB)
    tracemalloc.start()
    entry, stream = next(iter_archive_members(io.BytesIO(bomb), _parent("/b.gz"), "gzip",
                                                limits, 1))
    with pytest.raises(ExpansionLimitExceeded):
        while stream.read(MIB):
            pass
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert entry.error.startswith("expansion limit exceeded")
    assert peak < 40 * MIB


def _raw_zip(name: bytes, deflated: bytes, size: int, flags: int = 0) -> bytes:
    """A one-member zip around a ready deflate stream (zipfile cannot write a bomb fast)."""
    crc = 0
    local = struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, flags, 8, 0, 0, crc, len(deflated),
                        size, len(name), 0) + name
    central = struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, flags, 8, 0, 0, crc,
                          len(deflated), size, len(name), 0, 0, 0, 0, 0, 0) + name
    offset = len(local) + len(deflated)
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 1, 1, len(central), offset, 0)
    return local + deflated + central + end


def test_zip_bomb_declared_size_is_refused_without_inflating():
    deflated = _deflate_zeros(1_000_000)  # 2 GB of zeros from 13 MB
    data = _raw_zip(b"bomb.bin", deflated, 258 * 8_000_001 + 1)
    limits = ArchiveLimits(max_member_bytes=1 << 30)
    entry, stream = next(iter_archive_members(io.BytesIO(data), _parent(), "zip", limits, 1))
    assert stream is None and entry.error.startswith("expansion limit exceeded")


def test_zip_bomb_by_ratio_is_stopped_while_reading():
    deflated = _deflate_zeros(40_000)  # 82 MB of zeros from 520 kB, honestly declared
    size = 258 * 320_001 + 1
    limits = ArchiveLimits(max_ratio=50, ratio_floor_bytes=MIB, max_member_bytes=1 << 40)
    data = _raw_zip(b"z.bin", deflated, size)
    entry, stream = next(iter_archive_members(io.BytesIO(data), _parent(), "zip",
                                                limits, 1))
    assert stream is None and "expansion limit" in entry.error  # refused from the header
    limits.max_total_bytes = 10 * MIB
    limits.max_ratio = 1e9
    entry, stream = next(iter_archive_members(io.BytesIO(data), _parent(), "zip",
                                                limits, 1))
    with pytest.raises(ExpansionLimitExceeded):
        stream.read()
    assert "in total" in entry.error


def test_traversal_names_are_only_names(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    data = _zip({"../../etc/evil.txt": b"x", "/abs/path.txt": b"y", "ok.txt": b"z"})
    found = _expand(data, _parent("/e.zip"), ArchiveLimits())
    assert found["/e.zip!/../../etc/evil.txt"][1] == b"x"
    assert found["/e.zip!/../../etc/evil.txt"][0].extra["unsafe_name"]
    assert found["/e.zip!//abs/path.txt"][0].extra["unsafe_name"]
    assert list(tmp_path.iterdir()) == []  # nothing written anywhere
    tar_data = _tar({"../up.txt": b"u"})
    found = _expand(tar_data, _parent("/t.tar"), ArchiveLimits())
    assert found["/t.tar!/../up.txt"][1] == b"u"
    assert list(tmp_path.iterdir()) == []


def test_nesting_beyond_max_depth():
    data = b"innermost"
    for level in range(8):
        data = _zip({f"level{level}.zip" if level else "leaf.txt": data})
    found = _expand(data, _parent("/deep.zip"), ArchiveLimits(max_depth=5))
    depths = [e.extra["depth"] for e, _ in found.values()]
    assert max(depths) == 5
    stopped = [e for e, _ in found.values() if e.error and "nesting deeper" in e.error]
    assert len(stopped) == 1


def test_corrupt_archives():
    good = _zip({"a.txt": b"hello" * 1000})
    with pytest.raises(EvidenceError):
        list(iter_archive_members(io.BytesIO(good[: len(good) // 2]), _parent(), "zip",
                                  ArchiveLimits(), 1))
    # Damage the compressed data: listing works, reading the member fails with an error.
    damaged = bytearray(good)
    damaged[40:60] = b"\xff" * 20
    entry, stream = next(iter_archive_members(io.BytesIO(bytes(damaged)), _parent(), "zip",
                                                ArchiveLimits(), 1))
    with pytest.raises(EvidenceError):
        stream.read()
    assert entry.error.startswith("corrupt member")
    # A truncated gzip stream.
    truncated = gzip.compress(random.Random(1).randbytes(20000))[:2000]
    entry, stream = next(iter_archive_members(io.BytesIO(truncated), _parent("/x.gz"),
                                                "gzip", ArchiveLimits(), 1))
    with pytest.raises(EvidenceError):
        stream.read()
    assert entry.error
    with pytest.raises(EvidenceError):
        list(iter_archive_members(io.BytesIO(b"7z\xbc\xaf\x27\x1c" + b"\0" * 50), _parent(),
                                  "7z", ArchiveLimits(), 1))


def test_encrypted_zip_member_flagged():
    data = bytearray(_raw_zip(b"secret.txt", zlib.compress(b"x", 9)[2:-4], 1, flags=1))
    entry, stream = next(iter_archive_members(io.BytesIO(bytes(data)), _parent(), "zip",
                                                ArchiveLimits(), 1))
    assert stream is None and entry.error.startswith("encrypted")


def test_seven_zip(tmp_path):
    path = tmp_path / "a.7z"
    with py7zr.SevenZipFile(path, "w") as archive:
        archive.writestr(b"first" * 100, "dir/one.txt")
        archive.writestr(b"", "empty.txt")
        archive.writestr(b"second", "two.bin")
    with open(path, "rb") as handle:
        got = {e.path: (s.read() if s else None, e.error)
               for e, s in iter_archive_members(handle, _parent("/a.7z"), "7z",
                                                ArchiveLimits(), 1)}
    assert got["/a.7z!/dir/one.txt"] == (b"first" * 100, None)
    assert got["/a.7z!/two.bin"] == (b"second", None)
    assert got["/a.7z!/empty.txt"] == (b"", None)


@pytest.mark.timeout(120)
def test_seven_zip_members_after_a_limit_are_listed_not_waited_for(tmp_path):
    """Once a member trips a limit the extraction is cancelled, and the members after it
    are listed as not read.  py7zr may already have begun the next one when the limit
    trips: its reader used to wait for data that never came, hanging the scan (a race, so
    the archive is read many times)."""
    path = tmp_path / "limit.7z"
    with py7zr.SevenZipFile(path, "w") as archive:
        archive.writestr(random.Random(3).randbytes(70_000), "big.bin")
        for i in range(3):
            archive.writestr(b"small %d" % i, f"s{i}.txt")
    data = path.read_bytes()
    limits = ArchiveLimits(max_member_bytes=50_000)
    for _ in range(40):
        errors = {}
        for entry, stream in iter_archive_members(io.BytesIO(data), _parent(), "7z", limits):
            if stream is not None:
                with pytest.raises(EvidenceError):  # every member after big.bin: not read
                    stream.read()
            errors[entry.extra["member"]] = entry.error
        assert errors["big.bin"].startswith("expansion limit exceeded: member larger")
        assert {errors[f"s{i}.txt"] for i in range(3)} == {
            "not read: extraction stopped after an expansion limit"}


def test_encrypted_seven_zip_members_and_names(tmp_path):
    """Content-encrypted 7z: names listed, each member flagged.  Header-encrypted 7z: one
    clear error for the archive, not py7zr's internal coder table."""
    (tmp_path / "note.txt").write_text("benign note\n")
    plain_names, hidden_names = tmp_path / "content.7z", tmp_path / "names.7z"
    with py7zr.SevenZipFile(plain_names, "w", password="pw") as archive:
        archive.write(tmp_path / "note.txt", "note.txt")
    with py7zr.SevenZipFile(hidden_names, "w", password="pw", header_encryption=True) as archive:
        archive.write(tmp_path / "note.txt", "note.txt")
    with open(plain_names, "rb") as handle:
        members = [(e.path, s, e.error) for e, s in iter_archive_members(
            handle, _parent("/content.7z"), "7z", ArchiveLimits(), 1)]
    assert [(p, s) for p, s, _ in members] == [("/content.7z!/note.txt", None)]
    assert members[0][2].startswith("encrypted")
    with open(hidden_names, "rb") as handle, pytest.raises(EvidenceError) as caught:
        list(iter_archive_members(handle, _parent("/names.7z"), "7z", ArchiveLimits(), 1))
    assert "member names are encrypted" in str(caught.value)
    assert "numinstreams" not in str(caught.value)


def _tar_with_raw_names(names: list[bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.GNU_FORMAT,
                      encoding="latin-1") as archive:
        for raw in names:
            info = tarfile.TarInfo(raw.decode("latin-1"))
            info.size = len(raw)
            archive.addfile(info, io.BytesIO(raw))
    return buffer.getvalue()


def test_tar_member_names_that_are_not_utf8_are_kept_and_storable():
    data = _tar_with_raw_names([b"\xff\xfe.jpg", "caf\u00e9.txt".encode(), b"ok.txt"])
    got = {e.path: e for e, _ in iter_archive_members(io.BytesIO(data), _parent("/t.tar"),
                                                      "tar", ArchiveLimits(), 1)}
    assert set(got) == {"/t.tar!/\\xff\\xfe.jpg", "/t.tar!/caf\u00e9.txt", "/t.tar!/ok.txt"}
    odd = got["/t.tar!/\\xff\\xfe.jpg"]
    assert odd.path_bytes == b"/t.tar!/\xff\xfe.jpg"
    assert got["/t.tar!/ok.txt"].path_bytes is None
    for entry in got.values():  # what the database must be able to store
        entry.path.encode("utf-8")
        entry.file_key.encode("utf-8")


def test_scan_keeps_going_past_a_tar_with_undecodable_names(tmp_path, db_url):
    """Such a member once failed the whole exhibit's database write."""
    import json

    from typer.testing import CliRunner

    from seawall.cli.app import app

    exhibit = tmp_path / "ex"
    exhibit.mkdir()
    (exhibit / "names.tar").write_bytes(_tar_with_raw_names([b"\xff\xfe.jpg", b"ok.txt"]))
    (exhibit / "plain.txt").write_text("benign\n")
    runner = CliRunner()
    result = runner.invoke(app, ["scan", str(exhibit), "--case", "T", "--db", db_url,
                                 "--workers", "1", "--no-match"])
    assert result.exit_code == 0, result.output
    rows = json.loads(runner.invoke(app, ["files", "--case", "T", "--db", db_url,
                                          "--format", "json"]).stdout)
    paths = {r["path"]: r for r in rows}
    assert set(paths) == {"/names.tar", "/names.tar!/\\xff\\xfe.jpg", "/names.tar!/ok.txt",
                          "/plain.txt"}
    assert paths["/names.tar!/\\xff\\xfe.jpg"]["md5"] == hashlib.md5(b"\xff\xfe.jpg").hexdigest()


def _zip_flagged_utf8(names: list[bytes]) -> bytes:
    """A zip whose names are all flagged UTF-8 (bit 11), valid or not, as some tools write."""
    placeholders = [bytes([65 + i]) * len(raw) for i, raw in enumerate(names)]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for i, placeholder in enumerate(placeholders):
            archive.writestr(placeholder.decode(), f"content {i}".encode() * 50)
    data = bytearray(buffer.getvalue())
    for placeholder, raw in zip(placeholders, names, strict=True):
        data = data.replace(placeholder, raw)  # same length: offsets stay right
    for signature, flag_at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = data.find(signature)
        while at >= 0:
            flags, = struct.unpack_from("<H", data, at + flag_at)
            struct.pack_into("<H", data, at + flag_at, flags | 0x800)
            at = data.find(signature, at + 4)
    return bytes(data)


def test_zip_name_flagged_utf8_that_is_not_keeps_every_member():
    """zipfile refuses the whole archive over one such name; we read every member."""
    data = _zip_flagged_utf8([b"\xff\xfe\xfd.txt", "caf\u00e9.txt".encode(), b"plain.txt"])
    with pytest.raises(UnicodeDecodeError):
        zipfile.ZipFile(io.BytesIO(data))
    got = {e.path: (e, s.read() if s else None)
           for e, s in iter_archive_members(io.BytesIO(data), _parent("/z.zip"), "zip",
                                            ArchiveLimits(), 1)}
    assert set(got) == {"/z.zip!/\\xff\\xfe\\xfd.txt", "/z.zip!/caf\u00e9.txt",
                        "/z.zip!/plain.txt"}
    for i, name in enumerate(["\\xff\\xfe\\xfd.txt", "caf\u00e9.txt", "plain.txt"]):
        entry, content = got[f"/z.zip!/{name}"]
        assert content == f"content {i}".encode() * 50 and entry.error is None
    assert got["/z.zip!/\\xff\\xfe\\xfd.txt"][0].path_bytes == b"/z.zip!/\xff\xfe\xfd.txt"
    assert got["/z.zip!/caf\u00e9.txt"][0].path_bytes is None
