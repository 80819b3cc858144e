"""Disk images (raw, split raw, E01, VMDK, VHD, QCOW2, DMG, ISO, bare file systems).

The source puts together the parts, split the way dfVFS splits its back-ends: ``volumes``
finds every partition, volume and file system; ``walk`` lists their files (TSK for
deleted names, dfVFS for the rest); ``integrity`` checks the image is complete and
verifies its acquisition hash; ``reading`` opens one file again from its locator.  Locators
hold the dfVFS path-spec chain *above* the image file, so any process that builds
``DiskImageSource(paths)`` can re-open them.

Truncated images (see ``truncation``): every volume on a raw image is measured against the
bytes really present; ``describe()`` warns when a partition, volume or file system reaches
past the end (and when EWF data cannot be read), TSK reads through a guard that raises on
missing bytes, and files whose data runs reach past the end carry an error in the listing.
dfVFS-only file systems get the warning and streams that raise on a short read.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from typing import BinaryIO

from dfvfs.analyzer import analyzer
from dfvfs.lib import errors as dfvfs_errors
from dfvfs.path import factory as path_spec_factory
from dfvfs.resolver import context

from seawall.evidence.base import EvidenceError, EvidenceSource, FileEntry
from seawall.evidence.disk_image.image import Image
from seawall.evidence.disk_image.integrity import IntegrityChecks
from seawall.evidence.disk_image.reading import open_dfvfs_locator, open_tsk_locator
from seawall.evidence.disk_image.specs import (
    OS,
    TSK_FS_TYPES,
    TSK_WALKABLE,
    WHOLE_IMAGE,
    is_block_device,
    tsk_chain,
    unsupported_container,
)
from seawall.evidence.disk_image.tsk import TskFileSystems
from seawall.evidence.disk_image.volumes import VolumeDiscovery
from seawall.evidence.disk_image.walk import FileSystemWalk
from seawall.evidence.registry import SOURCES
from seawall.signatures import archive_kind


@SOURCES.register
class DiskImageSource(EvidenceSource):
    """Every volume and file system of a disk image, deleted files included."""

    NAME = "disk_image"
    PRIORITY = 10
    SUPPORTS_SNAPSHOTS = True
    VERIFIES_MEDIA = True

    def __init__(
        self,
        paths: list[str],
        snapshots: bool = False,
        verify: bool = False,
        work_dir: str | None = None,
    ):
        super().__init__(paths)
        if not self.paths:
            raise EvidenceError("no image file given")
        self.snapshots = snapshots
        self.verify = verify
        self.work_dir = work_dir or os.path.join(tempfile.gettempdir(), "seawall-evidence")
        self._image = Image(self.paths, self.work_dir)
        self._tsk = TskFileSystems(self._image)
        self._volumes = VolumeDiscovery(self._image, self._tsk, snapshots)
        self._walk = FileSystemWalk(self._image, self._tsk)
        self._integrity = IntegrityChecks(self._image, self._volumes, self._tsk, verify)

    @classmethod
    def accepts(cls, paths: list[str]) -> bool:
        if not paths:
            return False
        primary = os.path.abspath(sorted(paths)[0])
        if not (os.path.isfile(primary) or is_block_device(primary)):
            return False
        try:
            with open(primary, "rb") as handle:
                if archive_kind(handle.read(512)):
                    return False  # archives are expanded by the archive readers, not mounted
        except OSError:
            return False
        if unsupported_container(primary):
            return True  # a disk image all the same: scanning says it cannot be read
        os_spec = path_spec_factory.Factory.NewPathSpec(OS, location=primary)
        ctx = context.Context()
        try:
            return bool(
                analyzer.Analyzer.GetStorageMediaImageTypeIndicators(os_spec, ctx)
                or analyzer.Analyzer.GetVolumeSystemTypeIndicators(os_spec, ctx)
                or analyzer.Analyzer.GetFileSystemTypeIndicators(os_spec, ctx)
            )
        except (dfvfs_errors.Error, OSError, RuntimeError):
            return False
        finally:
            ctx.Empty()

    def iter_entries(self) -> Iterator[FileEntry]:
        return self._walk.entries(self._volumes.file_systems())

    def open(self, locator: object) -> BinaryIO:
        if not isinstance(locator, dict):
            raise EvidenceError(f"bad disk image locator {locator!r}")
        try:
            if locator.get("backend") == "tsk":
                return open_tsk_locator(self._tsk, locator)
            if locator.get("backend") == "dfvfs":
                return open_dfvfs_locator(self._image, locator)
        except EvidenceError:
            raise
        except (dfvfs_errors.Error, OSError, RuntimeError, KeyError, TypeError,
                ValueError) as exc:
            raise EvidenceError(f"cannot open {locator!r}: {exc}") from exc
        raise EvidenceError(f"bad disk image locator {locator!r}")

    def release_work_files(self) -> None:
        self._image.release_work_files()

    def listing_warnings(self) -> list[str]:
        return list(self._image.warnings)

    def describe(self) -> dict:
        info: dict = {"kind": self.NAME, "paths": self.paths,
                      "images": self._integrity.image_files(self.paths)}
        self._integrity.describe_media(info)
        file_systems = []
        for volume, fs_spec in self._volumes.file_systems():
            label = volume or WHOLE_IMAGE
            item = {"volume": volume, "type": fs_spec.type_indicator}
            if fs_spec.type_indicator in TSK_WALKABLE:
                try:
                    fs_info, _, _ = self._tsk.open(tsk_chain(fs_spec))
                    item["tsk_type"] = TSK_FS_TYPES.get(int(fs_info.info.ftype), "unknown")
                except (dfvfs_errors.Error, OSError, RuntimeError):
                    pass
            if label in self._walk.counts:
                item["entries"] = self._walk.counts[label]
            file_systems.append(item)
        info["file_systems"] = file_systems
        self._integrity.check_truncation()
        if self._image.qcow_report is not None:
            info["qcow2_cross_check"] = self._image.qcow_report
        info["warnings"] = list(self._image.warnings)
        info["errors"] = list(self._image.errors)
        return info

    def close(self) -> None:
        self._tsk.clear()
        self._image.close()
