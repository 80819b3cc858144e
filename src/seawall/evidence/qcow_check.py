"""Cross-check of compressed QCOW2 images (libqcow misreads some zlib clusters).

libqcow-python 20260703 silently returns wrong bytes for some compressed clusters, after
which dfVFS lists no files or wrong ones.  We find the compressed clusters from the L1/L2
tables, read them both through libqcow and through a ``qemu-img convert`` raw copy, and
use the raw copy when they differ.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import struct
import subprocess
from dataclasses import dataclass, field

QCOW_MAGIC = b"QFI\xfb"
_HEADER = struct.Struct(">4sIQIIQIIQ")
_L1_OFFSET_MASK = 0x00FFFFFFFFFFFE00
_COMPRESSED_BIT = 1 << 62
_EXTENDED_L2_BIT = 1 << 4
_MAX_LISTED = 1_000_000  # cap on remembered cluster offsets (the count stays exact)


@dataclass
class QcowLayout:
    """What the cross-check needs from a QCOW2 header and its mapping tables."""

    version: int
    cluster_size: int
    virtual_size: int
    compressed_count: int = 0
    compressed_offsets: list[int] = field(default_factory=list)
    has_backing_file: bool = False


def read_layout(path: str) -> QcowLayout | None:
    """Parse a QCOW2 header and count its compressed clusters; None if not QCOW2 v2/v3."""
    with open(path, "rb") as handle:
        header = handle.read(112)
        if len(header) < _HEADER.size or not header.startswith(QCOW_MAGIC):
            return None
        (_, version, backing_offset, _, cluster_bits, size, _, l1_size,
         l1_offset) = _HEADER.unpack_from(header)
        if version not in (2, 3) or not 9 <= cluster_bits <= 21:
            return None
        incompatible = struct.unpack_from(">Q", header, 72)[0] if version == 3 else 0
        cluster_size = 1 << cluster_bits
        entry_size = 16 if incompatible & _EXTENDED_L2_BIT else 8
        l2_entries = cluster_size // entry_size
        layout = QcowLayout(version, cluster_size, size, has_backing_file=bool(backing_offset))
        handle.seek(l1_offset)
        l1 = handle.read(8 * l1_size)
        for l1_index in range(len(l1) // 8):
            l2_offset = struct.unpack_from(">Q", l1, 8 * l1_index)[0] & _L1_OFFSET_MASK
            if not l2_offset:
                continue
            handle.seek(l2_offset)
            l2 = handle.read(cluster_size)
            for l2_index in range(len(l2) // entry_size):
                entry = struct.unpack_from(">Q", l2, l2_index * entry_size)[0]
                if entry & _COMPRESSED_BIT:
                    layout.compressed_count += 1
                    if len(layout.compressed_offsets) < _MAX_LISTED:
                        guest = (l1_index * l2_entries + l2_index) * cluster_size
                        layout.compressed_offsets.append(guest)
        return layout


def cache_stem(path: str, work_dir: str) -> str:
    """Per-image name in work_dir, so every worker process reuses one decision and copy."""
    st = os.stat(path)
    ident = f"{os.path.realpath(path)}|{st.st_size}|{st.st_mtime_ns}"
    return os.path.join(work_dir, "qcow-" + hashlib.sha1(ident.encode()).hexdigest()[:20])


def cross_check(path: str, layout: QcowLayout, work_dir: str) -> tuple[str | None, dict]:
    """Compare libqcow with qemu-img on the compressed clusters.

    Returns (raw copy to read instead, or None; a report for describe()).
    """
    report: dict = {"compressed_clusters": layout.compressed_count}
    stem = cache_stem(path, work_dir)
    if os.path.exists(stem + ".raw"):
        report.update(checked=True, mismatch=True, raw_copy=stem + ".raw", cached=True)
        return stem + ".raw", report
    if os.path.exists(stem + ".ok"):
        report.update(checked=True, mismatch=False, cached=True)
        return None, report
    qemu_img = shutil.which("qemu-img")
    if not qemu_img:
        report.update(checked=False, reason="qemu-img is not installed")
        return None, report
    os.makedirs(work_dir, exist_ok=True)
    tmp = f"{stem}.tmp{os.getpid()}"
    try:
        # -U: share the image with other readers (no write lock); the source is only read.
        subprocess.run(
            [qemu_img, "convert", "-U", "-f", "qcow2", "-O", "raw", path, tmp],
            check=True, capture_output=True, timeout=None,
        )
    except (OSError, subprocess.CalledProcessError) as exc:
        detail = getattr(exc, "stderr", b"") or b""
        report.update(checked=False, reason=f"qemu-img convert failed: {exc} {detail[-300:]!r}")
        _remove(tmp)
        return None, report
    differing = _count_differences(path, tmp, layout)
    report.update(checked=True, differing_clusters=differing, mismatch=differing > 0)
    if differing:
        os.replace(tmp, stem + ".raw")
        report["raw_copy"] = stem + ".raw"
        return stem + ".raw", report
    _remove(tmp)
    with open(stem + ".ok", "w") as marker:
        marker.write(path + "\n")
    return None, report


def _count_differences(path: str, raw_path: str, layout: QcowLayout) -> int:
    import pyqcow

    qcow = pyqcow.file()
    differing = 0
    with open(path, "rb") as image, open(raw_path, "rb") as raw:
        qcow.open_file_object(image)
        try:
            for offset in layout.compressed_offsets:
                length = min(layout.cluster_size, layout.virtual_size - offset)
                if length <= 0:
                    continue
                try:
                    ours = qcow.read_buffer_at_offset(length, offset)
                except OSError:
                    ours = b""
                raw.seek(offset)
                if ours != raw.read(length):
                    differing += 1
        finally:
            qcow.close()
    return differing


def _remove(path: str) -> None:
    try:
        os.remove(path)
    except FileNotFoundError:
        pass
