"""DiskImageSource against The Sleuth Kit (fls/icat) on the bundled test images."""

from __future__ import annotations

import json
import multiprocessing
import subprocess
from concurrent.futures import ProcessPoolExecutor

import pytest

from seawall.evidence import registry
from seawall.evidence.base import EvidenceError
from seawall.evidence.disk_image import DiskImageSource
from tests.evidence.helpers import image, md5_of, need_tool, tsk_truth

EMPTY_MD5 = "d41d8cd98f00b204e9800998ecf8427e"


def _listing(source: DiskImageSource) -> dict[tuple[str, str], object]:
    entries = {}
    for entry in source.iter_entries():
        assert entry.path.startswith("/")
        json.dumps(entry.locator)  # locators travel to worker processes
        entries[(entry.volume, entry.path)] = entry
    return entries


def _md5s(source, entries) -> dict[tuple[str, str], str]:
    result = {}
    for key, entry in entries.items():
        if entry.locator is not None and entry.error is None:
            try:
                with source.open(entry.locator) as stream:
                    result[key] = md5_of(stream)
            except EvidenceError as exc:
                result[key] = f"error: {exc}"
    return result


def _assert_matches_tsk(source, volume_offsets, images):
    entries = _listing(source)
    md5s = _md5s(source, entries)
    compared = 0
    for volume, offset in volume_offsets.items():
        truth = tsk_truth(images, offset)
        for path, (deleted, md5) in truth.items():
            entry = entries.get((volume, path))
            assert entry is not None, f"{volume}{path} listed by fls but not by us"
            assert entry.allocated is not deleted, path
            if md5 == EMPTY_MD5 and (entry.error or "").startswith("skipped:"):
                continue  # $BadClus:$Bad: icat prints nothing, we decline to read it
            if md5 is not None:
                assert md5s.get((volume, path)) == md5, f"{volume}{path}: md5 differs from icat"
            compared += 1
    return entries, compared


@pytest.mark.parametrize(
    ("name", "volume_offsets", "min_files", "min_deleted"),
    [
        ("synthetic/triage_fat16_mbr.raw", {"p1": 2048}, 18, 3),
        ("synthetic/triage_ntfs_gpt.E01", {"p1": 2048}, 30, 3),
        ("image.dd", {"": None}, 3, 0),
        ("image.E01", {"": None}, 3, 0),
        ("mbr.raw", {"p1": 1, "p5": 131}, 6, 0),
        ("ext2.E01", {"": None}, 3, 0),
        ("hfsplus.raw", {"": None}, 10, 0),
        ("iso9660.raw", {"": None}, 3, 0),
        ("synthetic/triage_ext4.raw", {"": None}, 10, 0),
        ("image-split.E01", {"p5": 352}, 0, 0),
    ],
)
def test_matches_sleuthkit(name, volume_offsets, min_files, min_deleted):
    path = image(name)
    with DiskImageSource([str(path)]) as source:
        entries, compared = _assert_matches_tsk(source, volume_offsets, [path])
        assert compared >= min_files
        deleted = [e for e in entries.values() if not e.allocated and e.error is None]
        assert len(deleted) >= min_deleted
        info = source.describe()
        assert sorted(fs["volume"] for fs in info["file_systems"]) == sorted(volume_offsets)
        json.dumps(info)


def test_split_raw_matches_sleuthkit():
    first, second = image("image.raw.000"), image("image.raw.001")
    with DiskImageSource([str(first), str(second)]) as source:
        _, compared = _assert_matches_tsk(source, {"": None}, [first, second])
        assert compared >= 3
        assert [i["name"] for i in source.describe()["images"]] == [first.name, second.name]


def test_ntfs_alternate_data_streams_and_deleted():
    with DiskImageSource([str(image("synthetic/triage_ntfs_gpt.E01"))]) as source:
        entries = _listing(source)
    ads = {path for (_, path), e in entries.items() if e.kind == "ads"}
    assert {"/Documents/notes.txt:secret", "/Documents/report.pdf:Zone.Identifier.jpg"} <= ads
    deleted = {path for (_, path), e in entries.items() if not e.allocated}
    assert {"/DCIM/deleted_photo.jpg", "/Documents/deleted_doc.pdf",
            "/Trash/gone.png"} <= deleted
    assert entries[("p1", "/Documents/notes.txt:secret")].inode == "78-128-4"
    assert len({e.file_key for e in entries.values()}) == len(entries)


def test_hfs_resource_fork():
    with DiskImageSource([str(image("hfsplus.raw"))]) as source:
        forks = [e for e in source.iter_entries() if e.kind == "ads"]
        assert forks and all(e.path.endswith(":rsrc") for e in forks)
        for entry in forks:
            with source.open(entry.locator) as stream:
                assert len(stream.read()) == entry.size


def test_ewf_describe_and_verify():
    with DiskImageSource([str(image("synthetic/triage_ntfs_gpt.E01"))], verify=True) as src:
        info = src.describe()
    ewf = info["ewf"]
    assert ewf["media_size"] == 8 * 1024 * 1024
    assert ewf["stored_md5"] and ewf["verification"]["result"] == "verified"
    assert ewf["verification"]["media_md5"] == ewf["stored_md5"].lower()


def test_split_ewf_describe():
    with DiskImageSource([str(image("image-split.E01"))]) as source:
        info = source.describe()
    assert [i["name"] for i in info["images"]] == ["image-split.E01", "image-split.E02"]
    assert info["ewf"]["media_size"] == 1474560
    assert info["file_systems"][0]["volume"] == "p5"


@pytest.mark.parametrize(
    ("name", "volumes", "count"),
    [
        ("apfs.raw", {"apfs1"}, 8),
        ("ext2.qcow2", {""}, 4),
        ("ext2.vmdk", {""}, 4),
        ("ext2.vhd", {""}, 4),
        ("lvm.qcow2", {"lvm1"}, 4),
        ("hfsplus_zlib.dmg", {"p1"}, 11),
        ("windows_volume.qcow2", {""}, 25),
    ],
)
def test_dfvfs_only_formats(name, volumes, count):
    with DiskImageSource([str(image(name))]) as source:
        entries = _listing(source)
        md5s = _md5s(source, entries)
    assert {e.volume for e in entries.values()} == volumes
    assert len(entries) == count
    assert len(md5s) == sum(1 for e in entries.values() if e.locator and not e.error)
    assert not [v for v in md5s.values() if v.startswith("error")]


@pytest.mark.parametrize("name", ["windows_volume.qcow2", "ext2.qcow2"])
def test_qcow2_matches_sleuthkit_on_converted_copy(name, tmp_path):
    qemu_img = need_tool("qemu-img")
    raw = tmp_path / "converted.raw"
    subprocess.run([qemu_img, "convert", "-U", "-f", "qcow2", "-O", "raw", str(image(name)),
                    str(raw)], check=True)
    with DiskImageSource([str(image(name))]) as source:
        _, compared = _assert_matches_tsk(source, {"": None}, [raw])
    assert compared >= 3


def test_vss_only_when_asked():
    path = str(image("vsstest.qcow2"))
    with DiskImageSource([path]) as source:
        assert {fs["volume"] for fs in source.describe()["file_systems"]} == {""}
    with DiskImageSource([path], snapshots=True) as source:
        assert {fs["volume"] for fs in source.describe()["file_systems"]} == {"", "vss1", "vss2"}


def test_compressed_qcow2_is_cross_checked(tmp_path):
    need_tool("qemu-img")
    path = str(image("synthetic/triage_ext4_compressed.qcow2"))
    with DiskImageSource([path], work_dir=str(tmp_path)) as source:
        entries = _listing(source)
        md5s = _md5s(source, entries)
        info = source.describe()
    assert any("misread" in w and "qemu-img" in w for w in info["warnings"])
    assert info["qcow2_cross_check"]["mismatch"] is True
    with DiskImageSource([str(image("synthetic/triage_ext4.raw"))]) as reference:
        expected = _md5s(reference, _listing(reference))
    assert md5s == expected and len(md5s) >= 10


def test_compressed_qcow2_without_qemu_img_warns(tmp_path, monkeypatch):
    monkeypatch.setattr("shutil.which", lambda name: None)
    path = str(image("synthetic/triage_ext4_compressed.qcow2"))
    with DiskImageSource([path], work_dir=str(tmp_path)) as source:
        entries = list(source.iter_entries())
        info = source.describe()
    assert any("could not be cross-checked" in w for w in info["warnings"])
    if not entries:
        assert info["errors"] or info["warnings"]


def test_image_without_file_system_reports_error():
    with DiskImageSource([str(image("bogus.001"))]) as source:
        assert list(source.iter_entries()) == []
        assert any("no file system" in e for e in source.describe()["errors"])


def test_accepts_and_registry(tmp_path):
    for name in ["image.dd", "image.raw.000", "ext2.E01", "ext2.vmdk", "ext2.vhd", "ext2.qcow2",
                 "hfsplus_zlib.dmg", "iso9660.raw", "apfs.raw", "mbr.raw"]:
        assert DiskImageSource.accepts([str(image(name))]), name
    for name in ["with_directory.tar", "with_directory.zip", "syslog.tgz", "bogus.001",
                 "README.txt"]:
        assert not DiskImageSource.accepts([str(image(name))]), name
    assert not DiskImageSource.accepts([str(tmp_path)])
    assert registry.detect([str(image("ext2.E01"))]).NAME == "disk_image"
    assert registry.detect([str(image("syslog.tgz"))]).NAME == "directory"


def _open_in_child(paths, locators):
    source = DiskImageSource(paths)
    return [md5_of(source.open(locator)) for locator in locators]


def test_locators_open_in_another_process():
    path = str(image("synthetic/triage_ntfs_gpt.E01"))
    with DiskImageSource([path]) as source:
        entries = [e for e in source.iter_entries() if e.locator and not e.error][:12]
        expected = [md5_of(source.open(e.locator)) for e in entries]
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(1, mp_context=context) as pool:
        got = pool.submit(_open_in_child, [path], [e.locator for e in entries]).result(60)
    assert got == expected


def _fat32_superfloppy(path, megabytes: int = 40) -> None:
    """A partition-less FAT32 medium made with mtools, with files in folders, a non-ASCII
    long name and a deleted file.  ``mformat`` also writes a partition-table entry into the
    boot sector that points at the boot sector itself and is longer than the medium."""
    for tool in ("mformat", "mmd", "mcopy", "mdel"):
        need_tool(tool)
    path.write_bytes(b"\0" * (megabytes << 20))
    src = path.parent / "payload"
    src.mkdir()
    (src / "a.txt").write_text("fat32 text\n" * 100)
    (src / "b.bin").write_bytes(bytes(range(256)) * 1200)
    (src / "Ünïcode name.txt").write_text("long name\n")
    (src / "gone.txt").write_text("deleted content " * 500)
    image_arg = ["-i", str(path)]

    def mtools(*args):
        subprocess.run([*args[:1], *image_arg, *args[1:]], check=True, capture_output=True)

    mtools("mformat", "-F", "-v", "SEAWALL32", "::")
    mtools("mmd", "::/DCIM", "::/Docs", "::/Docs/Deep")
    mtools("mcopy", str(src / "a.txt"), "::/Docs/")
    mtools("mcopy", str(src / "b.bin"), "::/DCIM/")
    mtools("mcopy", str(src / "Ünïcode name.txt"), "::/Docs/Deep/")
    mtools("mcopy", str(src / "gone.txt"), "::/")
    mtools("mdel", "::/gone.txt")


def test_fat32_superfloppy_with_a_self_pointing_partition_entry(tmp_path):
    """dfVFS descends into the boot sector's bogus partition entry and finds nothing; fls
    reads the file system at byte 0.  Every file TSK lists must be found, none missed."""
    medium = tmp_path / "card.img"
    _fat32_superfloppy(medium)
    assert b"FAT32" in subprocess.run(["fsstat", str(medium)], capture_output=True).stdout
    with DiskImageSource([str(medium)]) as source:
        entries, compared = _assert_matches_tsk(source, {"": None}, [medium])
        info = source.describe()
    assert compared >= 4
    assert {path for (_, path) in entries} >= {
        "/Docs/a.txt", "/DCIM/b.bin", "/Docs/Deep/Ünïcode name.txt"}
    assert any(not e.allocated for e in entries.values())  # the deleted file
    assert info["errors"] == []
    assert [fs["tsk_type"] for fs in info["file_systems"]] == ["FAT32"]
    assert any("byte 0" in w for w in info["warnings"])
    # The oversized self-pointing entry is not reported as a truncated image.
    assert not any("truncated" in w for w in info["warnings"])


def test_truncated_fat32_superfloppy_is_reported(tmp_path):
    medium = tmp_path / "card.img"
    _fat32_superfloppy(medium)
    short = tmp_path / "short.img"
    short.write_bytes(medium.read_bytes()[: 20 << 20])
    with DiskImageSource([str(short)]) as source:
        entries = _listing(source)
        info = source.describe()
    assert "/Docs/a.txt" in {path for (_, path) in entries}
    assert any("truncated" in w and "20971520 bytes present" in w for w in info["warnings"])


def test_truncated_gpt_keeps_the_complete_partitions(tmp_path):
    """A GPT image cut inside its third partition, the fourth wholly missing: dfVFS's
    whole-image scan fails, yet the two complete partitions must be listed as fls lists them."""
    for tool in ("sfdisk", "mformat", "mcopy", "mkfs.ext2"):
        need_tool(tool)
    sector, size = 512, 4096  # partitions of 2 MiB
    starts = [2048, 2048 + size, 2048 + 2 * size, 2048 + 3 * size]
    disk = tmp_path / "disk.img"
    disk.write_bytes(b"\0" * ((starts[-1] + size + 64) * sector))
    table = "label: gpt\n" + "".join(f"start={s}, size={size}\n" for s in starts)
    subprocess.run(["sfdisk", "-q", str(disk)], input=table.encode(), check=True)
    src = tmp_path / "files"
    src.mkdir()
    (src / "one.txt").write_text("partition file\n" * 40)
    (src / "two.bin").write_bytes(bytes(range(256)) * 300)
    fat, ext = tmp_path / "fat.img", tmp_path / "ext.img"
    subprocess.run(["mformat", "-C", "-i", str(fat), "-T", str(size), "-h", "2", "-s", "32",
                    "::"], check=True, capture_output=True)
    subprocess.run(["mcopy", "-i", str(fat), str(src / "one.txt"), str(src / "two.bin"), "::"],
                   check=True, capture_output=True)
    subprocess.run(["mkfs.ext2", "-q", "-F", "-b", "1024", "-d", str(src), str(ext),
                    str(size // 2)], check=True, capture_output=True)
    data = bytearray(disk.read_bytes())
    for start, part in ((starts[0], fat), (starts[1], ext), (starts[2], ext)):
        blob = part.read_bytes()
        data[start * sector:start * sector + len(blob)] = blob
    cut = tmp_path / "cut.img"
    cut.write_bytes(bytes(data[:(starts[2] + size // 3) * sector]))  # inside p3; no p4
    with DiskImageSource([str(cut)]) as source:
        entries, compared = _assert_matches_tsk(
            source, {"p1": starts[0], "p2": starts[1]}, [cut])
        info = source.describe()
    assert compared >= 4
    assert {v for v, _ in entries} >= {"p1", "p2"}
    assert any("one by one" in e for e in info["errors"])
    assert any(w.startswith("partition p4:") for w in info["warnings"])
