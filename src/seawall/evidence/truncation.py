"""Truncated disk images: find them, and never hash bytes that are not in the exhibit.

A raw image cut short (an interrupted acquisition, a missing split segment, a copy that ran
out of space) still opens: the partition table and the file-system headers sit at the
start.  Reads past the end then come back short, and The Sleuth Kit, reading through
dfVFS, hands out zeros or stale buffer contents as file data, so files hash to wrong
digests without any error.  Three defences, used by ``evidence.disk_image``:

* ``probe_available`` measures how many bytes of a volume really exist (reads past the end
  of a raw image return nothing; volumes map onto it monotonically), so the exhibit can be
  compared with what its partition table and file systems claim;
* ``GuardedImage`` is the pytsk3 image TSK reads through: once the file system is open,
  a read that comes back short raises, so TSK reports an error instead of inventing data;
* ``data_end`` gives the furthest byte a file's data runs reach, so files that need bytes
  beyond the end are marked in the listing (with the bytes they need) before anyone reads.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import pytsk3

_IMG_TYPE = getattr(pytsk3, "TSK_IMG_TYPE_EXTERNAL", pytsk3.TSK_IMG_TYPE_RAW)
_RUN_NO_DATA = int(pytsk3.TSK_FS_ATTR_RUN_FLAG_FILLER) | int(pytsk3.TSK_FS_ATTR_RUN_FLAG_SPARSE)
_ATTR_NONRES = int(pytsk3.TSK_FS_ATTR_NONRES)
_DEFAULT = int(pytsk3.TSK_FS_ATTR_TYPE_DEFAULT)
_NTFS_DATA = int(pytsk3.TSK_FS_ATTR_TYPE_NTFS_DATA)
_HFS_DATA = int(pytsk3.TSK_FS_ATTR_TYPE_HFS_DATA)
_HFS_RSRC = int(pytsk3.TSK_FS_ATTR_TYPE_HFS_RSRC)


class TruncatedReadError(OSError):
    """A read needed bytes the (truncated) image does not have."""


@dataclass
class Extent:
    """Where a volume lies in the exhibit and how much of it is really there.

    Attributes:
      label: volume name for messages ("p1", "(whole image)").
      size: bytes of the volume (partition, or the image for a bare file system).
      available: bytes of it, from its start, that the image holds; None when unknown
        (image formats whose reads fail by themselves when data is missing).
      offset: start of the volume within the media, when known.
      media_available: bytes the media holds (the raw image or split set), when known.
      fs_size: bytes the file system on it claims (block count x block size), 0 if unknown.
      lenient_open: why the file system could not be opened without reading past the end
        (then data read during the open may be zeros), else None.
    """

    label: str
    size: int
    available: int | None
    offset: int | None = None
    media_available: int | None = None
    fs_size: int = 0
    lenient_open: str | None = None

    @property
    def claimed(self) -> int:
        """Bytes the partition table / volume / file system say the volume has."""
        return max(self.size, self.fs_size)

    @property
    def truncated(self) -> bool:
        return self.available is not None and self.available < self.claimed

    def absolute(self, end: int) -> str:
        """A volume-relative end as a byte count of the image (for messages)."""
        if self.offset is not None:
            return f"{self.offset + end}"
        return f"{end} of volume {self.label}"

    def present(self) -> str:
        if self.media_available is not None:
            return f"{self.media_available}"
        return f"{self.available} of volume {self.label}"

    def beyond(self, end: int) -> str | None:
        """Error text when data reaching volume byte ``end`` is not in the image."""
        if self.available is None or end <= self.available:
            return None
        return (f"data beyond the end of a truncated image (needs bytes up to "
                f"{self.absolute(end)}, image has {self.present()}); digests not recorded")


def probe_available(file_object, size: int) -> int:
    """Bytes of ``file_object`` (0..size) that can really be read, by binary search.

    Valid for raw images and partitions of them: past the end of the image file every read
    is empty, before it every read returns data.
    """

    def readable(offset: int) -> bool:
        try:
            file_object.seek(offset, os.SEEK_SET)
            return len(file_object.read(1)) == 1
        except (OSError, RuntimeError, ValueError):
            return False

    if size <= 0:
        return 0
    if readable(size - 1):
        return size
    if not readable(0):
        return 0
    low, high = 0, size - 1  # low is readable, high is not
    while high - low > 1:
        middle = (low + high) // 2
        if readable(middle):
            low = middle
        else:
            high = middle
    return high


def boot_sector_size(file_object) -> int:
    """File-system size from an NTFS/FAT boot sector or ext superblock, 0 if none is seen.

    Only for messages when TSK cannot open a truncated file system at all.
    """
    try:
        file_object.seek(0, os.SEEK_SET)
        head = file_object.read(2048)
    except (OSError, RuntimeError, ValueError):
        return 0
    if len(head) >= 512 and head[3:11] == b"NTFS    ":
        return int.from_bytes(head[0x28:0x30], "little") * int.from_bytes(head[11:13], "little")
    fat = head[54:57] == b"FAT" or head[82:87] == b"FAT32"
    if len(head) >= 512 and head[510:512] == b"\x55\xaa" and fat:
        sectors = int.from_bytes(head[0x13:0x15], "little") or int.from_bytes(
            head[0x20:0x24], "little")
        return sectors * int.from_bytes(head[11:13], "little")
    if len(head) >= 2048 and head[1024 + 56:1024 + 58] == b"\x53\xef":
        blocks = int.from_bytes(head[1024 + 4:1024 + 8], "little")
        return blocks * (1024 << min(int.from_bytes(head[1024 + 24:1024 + 28], "little"), 6))
    return 0


class GuardedImage(pytsk3.Img_Info):
    """pytsk3 image over a dfVFS file object whose short reads raise once ``strict``.

    dfVFS's own image class returns whatever the file object gives; TSK then fills the
    missing part of its buffer with nothing in particular.  Opening a file system probes
    other file-system types at odd offsets, so a guard may start lenient and be made strict
    after the open (or be strict from the start when the type is given).
    """

    def __init__(self, file_object, strict: bool = False, label: str = "",
                 extent: Extent | None = None, size: int | None = None):
        self._file_object = file_object
        self._real_size = file_object.get_size()
        self._size = self._real_size if size is None else size
        self._label = label
        self._extent = extent
        self.strict = strict
        pytsk3.Img_Info.__init__(self, url="", type=_IMG_TYPE, sector_size=512)

    def read(self, offset, size):  # noqa: D102 - pytsk3.Img_Info interface
        if offset >= self._real_size and not self.strict:
            return b""  # past a nominal size given to read a partition table
        self._file_object.seek(offset, os.SEEK_SET)
        data = self._file_object.read(size)
        wanted = max(0, min(size, self._size - offset))
        if self.strict and len(data) < wanted:
            end = offset + wanted
            if self._extent is not None:
                where = (f"needs bytes up to {self._extent.absolute(end)}, image has "
                         f"{self._extent.present()}")
            else:
                where = f"volume {self._label} bytes {offset}-{end}, got {len(data)}"
            raise TruncatedReadError(f"data beyond the end of a truncated image ({where})")
        return data

    def get_size(self):  # noqa: D102 - pytsk3.Img_Info interface
        return self._size

    def close(self):  # noqa: D102 - pytsk3.Img_Info interface
        self._file_object = None


def _selected(attr_type: int, name: bytes, attr: list | None, attr_id: int) -> bool:
    """Does this attribute hold the data of the entry (default stream or one named one)?"""
    if attr is not None:
        return attr_type == attr[0] and attr_id == attr[1]
    if attr_type == _NTFS_DATA:
        return not name
    # HFS+ compressed files keep their data in the resource fork: check both forks.
    return attr_type in (_DEFAULT, _HFS_DATA, _HFS_RSRC)


def data_end(tsk_file, block_size: int, attr: list | None = None) -> int:
    """Furthest volume byte (exclusive) holding data of the entry's stream, 0 for none.

    Follows the non-resident runs TSK built (NTFS data runs, FAT cluster chains, ext
    extents/block lists, HFS+ extents), counting only the part of each run within the
    stream's size and skipping sparse/filler runs.  Resident data lives in the metadata
    record, which TSK has already read through the guard.  Raises OSError/RuntimeError
    when TSK cannot build the runs (then the data cannot be read either).
    """
    end = 0
    for tsk_attr in tsk_file:
        info = tsk_attr.info
        if not _selected(int(info.type), info.name or b"", attr, int(info.id)):
            continue
        if not int(info.flags) & _ATTR_NONRES:
            continue
        size_blocks = -(-int(info.size) // block_size)
        for run in tsk_attr:
            if int(run.flags) & _RUN_NO_DATA or not run.len:
                continue
            first = int(run.offset)
            if first >= size_blocks:
                continue
            length = min(int(run.len), size_blocks - first)
            end = max(end, (int(run.addr) + length) * block_size)
    return end
