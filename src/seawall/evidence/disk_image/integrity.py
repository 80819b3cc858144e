"""Integrity checks of a disk image: is it complete, and is it what was acquired?

Truncation (see ``truncation``): every volume on a raw image is measured against the bytes
really present, and ``describe()`` warns when a partition, volume or file system reaches
past the end.  EWF: missing data is sampled for, and with ``verify`` the media MD5 is
compared with the one stored at acquisition (other formats get the MD5 computed).
"""

from __future__ import annotations

import hashlib
import os
from typing import TYPE_CHECKING

import pytsk3
from dfvfs.analyzer import analyzer
from dfvfs.lib import definitions
from dfvfs.lib import errors as dfvfs_errors
from dfvfs.path import factory as path_spec_factory

from seawall.evidence import truncation
from seawall.evidence.disk_image.image import Image
from seawall.evidence.disk_image.specs import (
    CHUNK,
    MEDIA_TYPES,
    OS,
    TSK_WALKABLE,
    WHOLE_IMAGE,
    chain_of,
    is_linear,
    spec_from_chain,
    text,
    tsk_chain,
    volume_name,
    volume_offset,
)

if TYPE_CHECKING:  # (types only: tsk and volumes import this module)
    from seawall.evidence.disk_image.tsk import TskFileSystems
    from seawall.evidence.disk_image.volumes import VolumeDiscovery


def measure_extent(image: Image, volume_spec, file_object, label: str) -> truncation.Extent:
    """How much of a volume the image really holds (measured on raw images only)."""
    size = int(file_object.get_size())
    if not is_linear(volume_spec):
        # EWF, QCOW2, VMDK, LVM...: their libraries fail reads of missing data.
        return truncation.Extent(label, size, None, volume_offset(volume_spec, file_object))
    available = truncation.probe_available(file_object, size)
    media = _media_size(image, volume_spec)
    offset = volume_offset(volume_spec, file_object)
    if offset is None and media is not None and 0 < available < size:
        offset = media - available
    return truncation.Extent(label, size, available, offset, media)


def _media_size(image: Image, path_spec) -> int | None:
    """Bytes of the raw image (all segments present) under a linear path spec."""
    while path_spec is not None and path_spec.type_indicator not in MEDIA_TYPES:
        if path_spec.type_indicator == OS:
            break
        path_spec = path_spec.parent
    if path_spec is None:
        return None
    try:
        return int(image.open_file_object(path_spec).get_size())
    except (dfvfs_errors.Error, OSError, RuntimeError):
        return None


class IntegrityChecks:
    """The truncation and acquisition-hash checks of one image, reported as warnings and
    errors on the image and as identity fields in ``describe()``."""

    def __init__(self, image: Image, volumes: VolumeDiscovery, tsk: TskFileSystems,
                 verify: bool):
        self.image = image
        self.volumes = volumes
        self.tsk = tsk
        self.verify = verify
        self._truncation_checked = False

    # -- truncation --------------------------------------------------------------------------

    def check_truncation(self) -> None:
        """Warn when the image is shorter than its partitions, volumes or file systems say."""
        if self._truncation_checked:
            return
        self._truncation_checked = True
        reported: set[int | None] = set()
        for volume, fs_spec in self.volumes.file_systems():
            label = volume or WHOLE_IMAGE
            extent, tsk = None, False
            if fs_spec.type_indicator in TSK_WALKABLE:
                try:
                    _, _, extent = self.tsk.open(tsk_chain(fs_spec))
                    tsk = True
                except (dfvfs_errors.Error, OSError, RuntimeError):
                    extent = None
            if extent is None:
                extent = self._linear_extent(fs_spec)
                if extent is not None and fs_spec.type_indicator in TSK_WALKABLE:
                    extent.fs_size = self._boot_sector_size(fs_spec.parent)
            if extent is None or not extent.truncated:
                continue
            reported.add(extent.offset)
            self.image.warnings.append(self._truncation_warning(extent, label, fs_spec, tsk))
        if not self.volumes.from_start:
            # (Otherwise the partition table was not used to read anything: only the file
            # system's own size, checked above, says whether data is missing.)
            self._check_partitions(reported)
        if not self.volumes.file_systems() and 0 not in reported:
            self._check_bare_file_system()

    def _check_bare_file_system(self) -> None:
        """No file system opened: is there the header of one the image is too short for?"""
        media_spec = self._media_spec()
        if not is_linear(media_spec):
            return
        try:
            file_object = self.image.open_file_object(media_spec)
            media_size = int(file_object.get_size())
        except (dfvfs_errors.Error, OSError, RuntimeError):
            return
        claimed = truncation.boot_sector_size(file_object)
        if claimed > media_size:
            self.image.warnings.append(
                f"image is truncated: {media_size} bytes present, the file system starting at "
                f"byte 0 extends to {claimed} bytes (too little of it is present to open it)"
                + self._split_note())

    def _linear_extent(self, fs_spec) -> truncation.Extent | None:
        """Extent of the highest linear layer under a dfVFS-only file system, with the size
        an APFS container above it claims (its superblock's block count x block size)."""
        path_spec, above = fs_spec.parent, None
        while path_spec is not None and not is_linear(path_spec):
            path_spec, above = path_spec.parent, path_spec
        if path_spec is None:
            return None
        try:
            file_object = self.image.open_file_object(path_spec)
            extent = measure_extent(self.image, path_spec, file_object,
                                    volume_name(path_spec) or "")
        except (dfvfs_errors.Error, OSError, RuntimeError):
            return None
        if above is not None and above.type_indicator == definitions.TYPE_INDICATOR_APFS_CONTAINER:
            try:
                container = self.image.open_file_system(path_spec_factory.Factory.NewPathSpec(
                    above.type_indicator, location="/", parent=path_spec))
                extent.fs_size = int(container.GetAPFSContainer().get_size())
            except (dfvfs_errors.Error, OSError, RuntimeError, AttributeError):
                pass
        return extent

    def _boot_sector_size(self, volume_spec) -> int:
        try:
            return truncation.boot_sector_size(self.image.open_file_object(volume_spec))
        except (dfvfs_errors.Error, OSError, RuntimeError):
            return 0

    def _truncation_warning(self, extent, label: str, fs_spec, tsk: bool) -> str:
        present = extent.present()
        end = extent.absolute(extent.claimed)
        partition = extent.label not in ("", WHOLE_IMAGE)
        if partition and extent.available == extent.size and extent.fs_size > extent.size:
            message = (f"file system {label} claims {extent.fs_size} bytes but its volume "
                       f"holds only {extent.size}: files with data past the end of the volume "
                       "are marked")
        elif tsk:
            what = "file system" if extent.fs_size >= extent.size else "partition of file system"
            message = (f"image is truncated: {present} bytes present, {what} {label} extends "
                       f"to {end} bytes; files with data beyond byte {present} are marked")
        else:
            volume = extent.label or WHOLE_IMAGE
            message = (f"image is truncated: {present} bytes present, {fs_spec.type_indicator} "
                       f"file system {label} (on volume {volume}) extends to {end} bytes; its "
                       "files are read through dfVFS and not checked one by one: reads past "
                       "the end fail with an error")
        if extent.lenient_open:
            message += (f" (the file system could not be opened without reading past the end "
                        f"({extent.lenient_open}): metadata read while opening it may be "
                        "zeros)")
        return message + self._split_note()

    def _split_note(self) -> str:
        try:
            import pysmraw

            segments = pysmraw.glob(self.image.primary)
        except (ImportError, OSError, RuntimeError, TypeError):
            return ""
        if len(segments) < 2 and not os.path.splitext(self.image.primary)[1][1:].isdigit():
            return ""
        names = ", ".join(os.path.basename(name) for name in segments)
        return (f"; split raw image with {len(segments)} segment(s) present ({names}): "
                "a missing or short segment would explain this")

    def _media_spec(self):
        for _, fs_spec in self.volumes.file_systems():
            path_spec = fs_spec
            while path_spec is not None:
                if path_spec.type_indicator in MEDIA_TYPES:
                    return path_spec
                path_spec = path_spec.parent
            return self.image.root_spec()
        return self.image.root_spec()

    def _check_partitions(self, reported: set) -> None:
        """Every allocated partition-table entry must end within the media."""
        media_spec = self._media_spec()
        try:
            file_object = self.image.open_file_object(media_spec)
            media_size = int(file_object.get_size())
            # A large nominal size: TSK refuses a table whose partitions start past the end.
            volumes = pytsk3.Volume_Info(truncation.GuardedImage(file_object, size=1 << 60))
            block_size = int(volumes.info.block_size)
            parts = [(int(p.addr), int(p.start), int(p.len), text(p.desc)) for p in volumes
                     if int(p.flags) & int(pytsk3.TSK_VS_PART_FLAG_ALLOC)
                     or ("Extended" in text(p.desc) and "Table" not in text(p.desc))]
        except (dfvfs_errors.Error, OSError, RuntimeError):
            return  # no partition table
        linear = is_linear(media_spec)
        for addr, start, length, desc in parts:
            end = (start + length) * block_size
            if end <= media_size or start * block_size in reported:
                continue
            where = f"partition table entry {addr} ({desc}, starting at byte {start * block_size})"
            if linear:
                message = (f"image is truncated: {media_size} bytes present, {where} extends "
                           f"to {end} bytes") + self._split_note()
            else:
                message = (f"{where} extends to {end} bytes, beyond the media size "
                           f"{media_size} the image format records: the image is incomplete")
            self.image.warnings.append(message)

    # -- acquisition -------------------------------------------------------------------------

    def image_files(self, paths: list[str]) -> list[dict]:
        names = set(paths)
        try:
            import pyewf

            names.update(pyewf.glob(self.image.primary))
        except (ImportError, OSError, RuntimeError, TypeError):
            pass  # not EWF
        result = []
        for name in sorted(names):
            try:
                size: int | None = os.stat(name).st_size
            except OSError:
                size = None
            result.append({"name": os.path.basename(name), "path": os.path.abspath(name),
                           "size": size})
        return result

    def describe_media(self, info: dict) -> None:
        os_spec = path_spec_factory.Factory.NewPathSpec(OS, location=self.image.primary)
        try:
            formats = analyzer.Analyzer.GetStorageMediaImageTypeIndicators(
                os_spec, self.image.context)
        except (dfvfs_errors.Error, OSError, RuntimeError):
            formats = []
        info["format"] = formats[0] if formats else "RAW"
        if definitions.TYPE_INDICATOR_EWF in formats:
            info["ewf"] = self._describe_ewf()
        elif self.verify:
            info["verification"] = {"media_md5": self._media_md5(), "stored_md5": None,
                                    "result": "computed (the format stores no hash)"}

    def _describe_ewf(self) -> dict:
        import pyewf

        handle = pyewf.handle()
        try:
            handle.open(pyewf.glob(self.image.primary))
        except (OSError, RuntimeError) as exc:
            self.image.errors.append(f"cannot open EWF: {exc}")
            return {}
        try:
            result = {
                "media_size": handle.get_media_size(),
                "bytes_per_sector": handle.get_bytes_per_sector(),
                "stored_md5": handle.get_hash_value("MD5"),
                "stored_sha1": handle.get_hash_value("SHA1"),
                "headers": {k: v for k, v in (handle.get_header_values() or {}).items() if v},
            }
            self._check_ewf_data(handle, result["media_size"])
            if self.verify:
                md5 = hashlib.md5()
                remaining = result["media_size"]
                handle.seek(0)
                try:
                    while remaining > 0:
                        data = handle.read(min(CHUNK, remaining))
                        if not data:
                            break
                        md5.update(data)
                        remaining -= len(data)
                except (OSError, RuntimeError) as exc:
                    # Missing data (see _check_ewf_data): the hash cannot be verified, and
                    # the scan goes on to record what can be read.
                    offset = result["media_size"] - remaining
                    self.image.errors.append(
                        f"EWF media MD5 not verified: the media cannot be read at byte "
                        f"{offset} ({text(exc).strip().splitlines()[0]})")
                    result["verification"] = {"media_md5": None,
                                              "result": "not verified (unreadable media)"}
                    return result
                computed = md5.hexdigest()
                stored = result["stored_md5"]
                verdict = ("no stored MD5" if not stored
                           else "verified" if stored.lower() == computed else "MISMATCH")
                result["verification"] = {"media_md5": computed, "result": verdict}
                if verdict == "MISMATCH":
                    self.image.warnings.append(
                        f"EWF media MD5 {computed} differs from the stored {stored}")
            return result
        finally:
            handle.close()

    def _check_ewf_data(self, handle, media_size: int, samples: int = 64) -> None:
        """Warn when EWF data is missing (truncated or absent segment files): libewf fails
        such reads, so sample the media across its whole size, the last byte included."""
        if media_size <= 0:
            return
        step = max(1, media_size // samples)
        offsets = sorted({*range(0, media_size, step), media_size - 1})
        failed = []
        for offset in offsets:
            try:
                if len(handle.read_buffer_at_offset(1, offset)) != 1:
                    failed.append(offset)
            except (OSError, RuntimeError, ValueError):
                failed.append(offset)
        if failed:
            self.image.warn_once(
                f"EWF image is incomplete: the header gives a media size of {media_size} "
                f"bytes but {len(failed)} of {len(offsets)} sampled offsets cannot be read "
                f"(first at byte {failed[0]}; truncated or missing segment files?); reads of "
                "the missing data fail and those files are recorded with errors")

    def _media_md5(self) -> str | None:
        """MD5 of the media as dfVFS reads it (storage-media layer, before any volume)."""
        chain = []
        for volume_spec in self.volumes.file_systems()[:1]:
            chain = chain_of(volume_spec[1])
        # Keep only the storage-media layers (EWF, QCOW, RAW, ...), not volumes/file systems.
        chain = [item for item in chain if item[0] in MEDIA_TYPES]
        try:
            file_object = self.image.open_file_object(
                spec_from_chain(self.image.root_spec(), chain))
        except (dfvfs_errors.Error, OSError, RuntimeError) as exc:
            self.image.errors.append(f"cannot read media for verification: {exc}")
            return None
        md5 = hashlib.md5()
        while data := file_object.read(CHUNK):
            md5.update(data)
        return md5.hexdigest()
