"""Truncated disk images: a warning on the exhibit, and per file either the digest the full
image gives or an error, never a different digest without an error."""

from __future__ import annotations

import io
import shutil
import subprocess

import pytest

from seawall.evidence.base import EvidenceError
from seawall.evidence.disk_image import DiskImageSource
from seawall.evidence.disk_image.reading import DfvfsStream
from seawall.scan.worker import WorkerOptions, process_entry
from tests.evidence.helpers import image, md5_of, need_tool, tsk_truth

FAT_START = 2048 * 512  # triage_fat16_mbr.raw: p1 starts at sector 2048


def _scan(paths) -> tuple[dict, dict]:
    """(describe(), {(volume, path): (md5 or None, error or None)}) as a scan would see it."""
    result = {}
    with DiskImageSource([str(p) for p in paths]) as source:
        info = source.describe()
        for entry in source.iter_entries():
            md5, error = None, entry.error
            if entry.locator is not None and error is None and entry.kind != "symlink":
                try:
                    with source.open(entry.locator) as stream:
                        md5 = md5_of(stream)
                except (EvidenceError, OSError) as exc:
                    error = str(exc)
            result[(entry.volume, entry.path)] = (md5, error)
    return info, result


def _truncate(source, tmp_path, length: int, name: str = "truncated.raw"):
    target = tmp_path / name
    with open(source, "rb") as src, open(target, "wb") as dst:
        dst.write(src.read(length))
    return target


def _assert_never_wrong(full: dict, truncated: dict) -> tuple[int, int]:
    """Every file of the truncated image: same MD5 as in the full image, or an error and
    no MD5.  Returns (identical, with errors)."""
    same = errors = 0
    for key, (md5, error) in truncated.items():
        if md5 is None:
            continue  # nothing recorded (symlink, special, or an error)
        assert error is None, key
        assert key in full and full[key][0] == md5, (
            f"{key}: MD5 {md5} differs from the full image's {full.get(key)} without an error")
        same += 1
    errors = sum(1 for md5, error in truncated.values() if error and md5 is None)
    return same, errors


def _truncation_warnings(info: dict) -> list[str]:
    return [w for w in info["warnings"] if "truncated" in w or "incomplete" in w]


@pytest.mark.parametrize(
    ("name", "cut"),
    [
        ("synthetic/triage_fat16_mbr.raw", 0.6),
        ("synthetic/triage_fat16_mbr.raw", 0.3),
        ("synthetic/triage_fat16_mbr.raw", 1_200_000),  # the case from the bug report
        ("synthetic/triage_fat16_mbr.raw", FAT_START + 512),  # just after the boot sector
        ("synthetic/triage_ext4.raw", 0.6),
        ("synthetic/triage_ext4.raw", 0.3),
        ("synthetic/triage_ext4.raw", 2048),  # just after the superblock
        ("image.dd", 0.6),
        ("image.dd", 0.3),
        ("hfsplus.raw", 0.4),
        ("iso9660.raw", 0.5),
        ("apfs.raw", 0.3),  # dfVFS-only file system: the exhibit warning
    ],
)
def test_truncated_raw_never_gives_wrong_digests(name, cut, tmp_path):
    path = image(name)
    size = path.stat().st_size
    length = int(size * cut) if isinstance(cut, float) else cut
    _, full = _scan([path])
    info, truncated = _scan([_truncate(path, tmp_path, length)])
    warnings = _truncation_warnings(info)
    assert warnings, info
    assert any(f"{length} bytes present" in w for w in warnings), warnings
    same, errors = _assert_never_wrong(full, truncated)
    if cut == 0.6 and name != "synthetic/triage_ext4.raw":
        assert same and errors  # some files survive, some are lost
    if name == "synthetic/triage_fat16_mbr.raw" and cut == 1_200_000:
        assert errors >= 18
        lost = truncated[("p1", "/DCIM/IMG_0001.JPG")][1]
        assert "beyond the end of a truncated image" in lost
        assert "image has 1200000" in lost


def test_file_system_size_in_warning(tmp_path):
    path = image("synthetic/triage_fat16_mbr.raw")
    info, _ = _scan([_truncate(path, tmp_path, 1_200_000)])
    assert ("image is truncated: 1200000 bytes present, file system p1 extends to 4194304 "
            "bytes; files with data beyond byte 1200000 are marked") in info["warnings"]


def test_truncated_ntfs(tmp_path):
    """NTFS (resident and non-resident data) via a raw export of the E01's volume."""
    ewfexport = need_tool("ewfexport")
    e01 = image("synthetic/triage_ntfs_gpt.E01")
    subprocess.run([ewfexport, "-q", "-u", "-t", str(tmp_path / "disk"), "-f", "raw", str(e01)],
                   check=True, capture_output=True)
    disk = tmp_path / "disk.raw"
    volume = tmp_path / "volume.raw"
    with open(disk, "rb") as src, open(volume, "wb") as dst:
        src.seek(2048 * 512)
        dst.write(src.read(12288 * 512))
    _, full = _scan([volume])
    assert sum(1 for md5, _ in full.values() if md5) >= 30
    for cut in (0.95, 0.6, 0.35):
        length = int(volume.stat().st_size * cut)
        info, truncated = _scan([_truncate(volume, tmp_path, length, f"ntfs{cut}.raw")])
        assert _truncation_warnings(info), info
        same, _ = _assert_never_wrong(full, truncated)
        assert same >= (40 if cut > 0.5 else 0)
    # The whole disk cut inside the partition: the GPT entry reaches past the end.
    info, truncated = _scan([_truncate(disk, tmp_path, 4_000_000, "disk.raw.cut")])
    assert any("partition table entry" in w and "4000000 bytes present" in w
               for w in info["warnings"]), info
    _assert_never_wrong({}, {k: v for k, v in truncated.items() if v[0] is None})


def test_split_raw_missing_last_segment(tmp_path):
    first = image("image.raw.000")
    image("image.raw.001")
    shutil.copy(first, tmp_path / first.name)
    _, full = _scan([first, first.with_name("image.raw.001")])
    info, truncated = _scan([tmp_path / first.name])
    warnings = _truncation_warnings(info)
    assert warnings and "split raw image with 1 segment(s) present" in warnings[0]
    assert "51200 bytes present" in warnings[0]
    same, errors = _assert_never_wrong(full, truncated)
    assert errors


def test_split_ewf_missing_segment(tmp_path):
    first = image("synthetic/../image-split.E01")
    shutil.copy(first, tmp_path / "image-split.E01")
    info, truncated = _scan([tmp_path / "image-split.E01"])
    assert any("EWF image is incomplete" in w for w in info["warnings"]), info
    assert all(md5 is None for md5, _ in truncated.values())


def test_ewf_with_missing_data_is_described_not_fatal_when_verified(tmp_path):
    """The scan verifies the stored MD5: data missing from an EWF set (a lost segment, a
    truncated segment file) is an error on the exhibit, not an exception ending the scan."""
    shutil.copy(image("image-split.E01"), tmp_path / "image-split.E01")
    truncated = _truncate(image("ext2.E01"), tmp_path, 9000, name="ext2.E01")
    for path in (tmp_path / "image-split.E01", truncated):
        with DiskImageSource([str(path)], verify=True) as source:
            info = source.describe()
        assert info["ewf"]["verification"] == {
            "media_md5": None, "result": "not verified (unreadable media)"}, path
        assert any(e.startswith("EWF media MD5 not verified: the media cannot be read at byte")
                   for e in info["errors"]), info["errors"]
        assert any("EWF image is incomplete" in w for w in info["warnings"]), path


def test_whole_images_have_no_truncation_warning():
    for name in ["synthetic/triage_fat16_mbr.raw", "synthetic/triage_ext4.raw", "image.dd",
                 "mbr.raw", "apfs.raw", "image-split.E01", "synthetic/triage_ntfs_gpt.E01"]:
        with DiskImageSource([str(image(name))]) as source:
            assert not _truncation_warnings(source.describe()), name


def test_scan_worker_records_no_digest(tmp_path):
    """What the scan pipeline stores: an error and no digests for a lost file."""
    path = _truncate(image("synthetic/triage_fat16_mbr.raw"), tmp_path, 1_200_000)
    with DiskImageSource([str(path)]) as source:
        entries = {e.path: e for e in source.iter_entries()}
        records = {}
        for name in ("/DCIM/IMG_0001.JPG", "/Misc/big.bin", "/Misc/keep_a.bin"):
            (record,) = process_entry(source, entries[name], WorkerOptions()).records
            records[name] = record
    for name in ("/DCIM/IMG_0001.JPG", "/Misc/big.bin"):
        assert records[name]["md5"] is None and records[name]["sha256"] is None
        assert "truncated image" in records[name]["error"]
    assert records["/Misc/keep_a.bin"]["md5"] and not records["/Misc/keep_a.bin"]["error"]


class _ShortFile:
    """A dfVFS-like file object whose data stops before its size (a truncated image)."""

    def __init__(self, data: bytes, size: int):
        self._data, self._size, self._offset = data, size, 0

    def get_size(self):
        return self._size

    def get_offset(self):
        return self._offset

    def seek(self, offset, whence=io.SEEK_SET):
        self._offset = offset

    def read(self, size):
        chunk = self._data[self._offset:self._offset + size]
        self._offset += len(chunk)
        return chunk


def test_dfvfs_stream_raises_on_short_data():
    stream = io.BufferedReader(DfvfsStream(_ShortFile(b"x" * 1000, 5000)))
    with pytest.raises(OSError, match="short read at offset 1000 of 5000"):
        stream.read()
    complete = io.BufferedReader(DfvfsStream(_ShortFile(b"y" * 1000, 1000)))
    assert complete.read() == b"y" * 1000


def test_truncated_ext_that_dfvfs_cannot_open_is_read_with_tsk(tmp_path):
    """pyfsext reads every backup superblock, so dfVFS skips an ext file system cut short
    (1 KiB blocks: backups every 8 MiB) without a word, while fls lists all its files."""
    mkfs = need_tool("mkfs.ext2")
    payload = tmp_path / "payload"
    (payload / "docs").mkdir(parents=True)
    (payload / "docs" / "a.txt").write_text("ext text\n" * 200)
    (payload / "b.bin").write_bytes(bytes(range(256)) * 40)
    full = tmp_path / "ext2.img"
    full.write_bytes(b"\0" * (64 << 20))
    subprocess.run([mkfs, "-q", "-F", "-b", "1024", "-d", str(payload), str(full)],
                   check=True, capture_output=True)
    cut = _truncate(full, tmp_path, 30 << 20)
    truth = tsk_truth([cut])
    assert {"/docs/a.txt", "/b.bin"} <= set(truth)
    info, truncated = _scan([cut])
    assert [fs["tsk_type"] for fs in info["file_systems"]] == ["EXT2"]
    assert any("read with The Sleuth Kit" in w for w in info["warnings"]), info
    assert any("31457280 bytes present" in w for w in info["warnings"]), info
    for path, (_, md5) in truth.items():
        assert ("", path) in truncated, path
        if md5 is not None:
            assert truncated[("", path)][0] == md5, path
