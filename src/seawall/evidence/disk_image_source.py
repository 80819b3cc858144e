"""Disk images (raw, split raw, E01, VMDK, VHD, QCOW2, DMG, ISO, bare file systems).

dfVFS finds every partition / volume / file system; each file system The Sleuth Kit knows
is then walked with pytsk3 (allocated and deleted names, NTFS ADS, HFS+ resource forks),
the others (APFS, XFS, ...) through dfVFS.  Locators hold the dfVFS path-spec chain *above*
the image file, so any process that builds ``DiskImageSource(paths)`` can re-open them.

Truncated images (see ``truncation``): every volume on a raw image is measured against the
bytes really present; ``describe()`` warns when a partition, volume or file system reaches
past the end (and when EWF data cannot be read), TSK reads through a guard that raises on
missing bytes, and files whose data runs reach past the end carry an error in the listing.
dfVFS-only file systems get the warning and streams that raise on a short read.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import stat
import tempfile
from collections.abc import Iterator
from typing import BinaryIO

import pytsk3
from dfvfs.analyzer import analyzer
from dfvfs.helpers import source_scanner, volume_scanner
from dfvfs.lib import definitions
from dfvfs.lib import errors as dfvfs_errors
from dfvfs.path import factory as path_spec_factory
from dfvfs.resolver import context, resolver

from seawall.evidence import qcow_check, truncation, tsk_walker
from seawall.evidence._common import make_key, utc_from_dfdatetime
from seawall.evidence.archive_source import detect_archive
from seawall.evidence.base import EvidenceError, EvidenceSource, FileEntry
from seawall.evidence.registry import SOURCES

logger = logging.getLogger(__name__)

_OS = definitions.TYPE_INDICATOR_OS
# File systems whose dfVFS back-end sits on a volume TSK can also open; TSK lists deleted
# names and is what examiners cross-check with (fls/icat).
_TSK_WALKABLE = {
    definitions.TYPE_INDICATOR_TSK,
    definitions.TYPE_INDICATOR_NTFS,
    definitions.TYPE_INDICATOR_FAT,
    definitions.TYPE_INDICATOR_EXT,
    definitions.TYPE_INDICATOR_HFS,
}
# Path-spec types that name a volume; their location ("/p1", "/apfs1") becomes the name.
_VOLUME_TYPES = {
    definitions.TYPE_INDICATOR_TSK_PARTITION,
    definitions.TYPE_INDICATOR_GPT,
    definitions.TYPE_INDICATOR_APM,
    definitions.TYPE_INDICATOR_APFS_CONTAINER,
    definitions.TYPE_INDICATOR_LVM,
    definitions.TYPE_INDICATOR_VSHADOW,
    definitions.TYPE_INDICATOR_CS,
}
_TSK_FS_TYPES = {
    int(getattr(pytsk3, name)): name.removeprefix("TSK_FS_TYPE_")
    for name in dir(pytsk3)
    if name.startswith("TSK_FS_TYPE_") and not name.endswith(("_DETECT", "_ENUM"))
}
_CHUNK = 1 << 20
_MAX_DEPTH = 512
# Layers that map a volume onto the raw image byte for byte and in order: on them a read
# past the end of the image comes back empty, so the bytes present can be measured.
_LINEAR_TYPES = {
    _OS,
    definitions.TYPE_INDICATOR_RAW,
    definitions.TYPE_INDICATOR_TSK_PARTITION,
    definitions.TYPE_INDICATOR_GPT,
    definitions.TYPE_INDICATOR_APM,
}
_MEDIA_TYPES = set(definitions.STORAGE_MEDIA_IMAGE_TYPE_INDICATORS) | {
    definitions.TYPE_INDICATOR_RAW}


# Disk-image containers dfVFS has no back-end for, by signature: (offset, magic, name).
_UNSUPPORTED_CONTAINERS = (
    (0x40, b"\x7f\x10\xda\xbe", "VirtualBox VDI disk image"),
    (0, b"WithoutFreeSpace", "Parallels disk image"),
    (0, b"WithouFreSpacExt", "Parallels disk image"),
)


def _unsupported_container(path: str) -> str | None:
    try:
        with open(path, "rb") as f:
            head = f.read(0x48)
    except OSError:
        return None
    for offset, magic, name in _UNSUPPORTED_CONTAINERS:
        if head[offset:offset + len(magic)] == magic:
            return name
    return None


def _chain_of(path_spec) -> list:
    """The path-spec chain above the image file, bottom first, as JSON-ready lists."""
    chain = []
    while path_spec is not None and path_spec.type_indicator != _OS:
        attributes = path_spec.CopyToDict()
        attributes.pop("parent", None)
        chain.append([path_spec.type_indicator, attributes])
        path_spec = path_spec.parent
    chain.reverse()
    return chain


def _spec_from_chain(root_spec, chain: list):
    path_spec = root_spec
    for type_indicator, attributes in chain:
        path_spec = path_spec_factory.Factory.NewPathSpec(
            type_indicator, parent=path_spec, **attributes)
    return path_spec


def _volume_name(path_spec) -> str:
    names = []
    while path_spec is not None:
        location = getattr(path_spec, "location", None)
        if path_spec.type_indicator in _VOLUME_TYPES and location:
            names.append(location.strip("/"))
        path_spec = path_spec.parent
    return "/".join(reversed(names))


def _is_linear(path_spec) -> bool:
    """True when every layer down to the image file is a raw image or a plain partition."""
    while path_spec is not None:
        if path_spec.type_indicator not in _LINEAR_TYPES:
            return False
        path_spec = path_spec.parent
    return True


def _volume_offset(path_spec, file_object) -> int | None:
    """Start of a partition within the media (dfVFS keeps it in the file object)."""
    if path_spec.type_indicator in _MEDIA_TYPES or path_spec.type_indicator == _OS:
        return 0
    for attribute in ("_range_offset", "_partition_offset"):
        value = getattr(file_object, attribute, None)
        if isinstance(value, int) and value >= 0:
            return value
    return None


def _text(value) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _is_block_device(path: str) -> bool:
    try:
        return stat.S_ISBLK(os.stat(path).st_mode)
    except OSError:
        return False


class _DfvfsStream(io.RawIOBase):
    """io wrapper around a dfVFS file object, so callers get a standard BinaryIO."""

    def __init__(self, file_object, keepalive=None):
        super().__init__()
        self._file_object = file_object
        self._keepalive = keepalive
        try:
            self._size = int(file_object.get_size())
        except (AttributeError, OSError, TypeError, ValueError):
            self._size = None

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        self._file_object.seek(offset, whence)
        return self._file_object.get_offset()

    def tell(self) -> int:
        return self._file_object.get_offset()

    def readinto(self, buffer) -> int:
        offset = self._file_object.get_offset()
        data = self._file_object.read(len(buffer))
        if not data and self._size is not None and offset < self._size:
            # A back-end reading past the end of a truncated image stops early: an error,
            # never a shorter file.
            raise OSError(f"short read at offset {offset} of {self._size} (data beyond the "
                          "end of a truncated image?)")
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._file_object = None
        self._keepalive = None
        super().close()


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
        # The first segment in name order (.E01, .000, .001) opens the whole set.
        self._primary = os.path.abspath(sorted(self.paths)[0])
        self.snapshots = snapshots
        self.verify = verify
        self.work_dir = work_dir or os.path.join(tempfile.gettempdir(), "seawall-evidence")
        self._context = context.Context()
        self._root_location: str | None = None
        self._file_systems: list | None = None
        self._tsk_cache: dict[str, tuple] = {}
        self._warnings: list[str] = []
        self._errors: list[str] = []
        self._file_system_from_start = False
        self._scan_nodes: list | None = None
        self._qcow_report: dict | None = None
        self._walk_counts: dict[str, int] = {}
        self._truncation_checked = False

    # -- detection -------------------------------------------------------------------------

    @classmethod
    def accepts(cls, paths: list[str]) -> bool:
        if not paths:
            return False
        primary = os.path.abspath(sorted(paths)[0])
        if not (os.path.isfile(primary) or _is_block_device(primary)):
            return False
        try:
            with open(primary, "rb") as handle:
                if detect_archive(handle.read(512)):
                    return False  # archives are expanded by archive_source, not mounted
        except OSError:
            return False
        if _unsupported_container(primary):
            return True  # a disk image all the same: scanning says it cannot be read
        os_spec = path_spec_factory.Factory.NewPathSpec(_OS, location=primary)
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

    # -- media and volumes -----------------------------------------------------------------

    def _root(self) -> str:
        """The file dfVFS reads: the image itself, or a qemu-img raw copy (see qcow_check)."""
        if self._root_location is None:
            location = self._primary
            try:
                layout = qcow_check.read_layout(self._primary)
            except OSError:
                layout = None
            if layout is not None and layout.compressed_count:
                raw_copy, report = qcow_check.cross_check(self._primary, layout, self.work_dir)
                self._qcow_report = report
                if raw_copy:
                    location = raw_copy
                    self._warnings.append(
                        f"QCOW2 has {layout.compressed_count} compressed clusters and libqcow "
                        f"misread {report.get('differing_clusters', 'some')} of them (checked "
                        f"against qemu-img); reading from the qemu-img raw copy {raw_copy}")
                elif not report.get("checked"):
                    self._warnings.append(
                        f"QCOW2 has {layout.compressed_count} compressed clusters, which "
                        "libqcow is known to misread, and they could not be cross-checked "
                        f"({report.get('reason')}): listings and hashes may be wrong")
            self._root_location = location
        return self._root_location

    def _root_spec(self):
        return path_spec_factory.Factory.NewPathSpec(_OS, location=self._root())

    def _scan(self) -> list:
        """File-system path specs of the exhibit (cached): [(volume, path_spec)]."""
        if self._file_systems is not None:
            return self._file_systems
        options = volume_scanner.VolumeScannerOptions()
        # Without a mediator the scanner refuses several partitions/volumes: take them all.
        options.partitions = ["all"]
        options.volumes = ["all"]
        options.snapshots = ["all"] if self.snapshots else ["none"]
        options.scan_mode = (options.SCAN_MODE_ALL if self.snapshots
                             else options.SCAN_MODE_VOLUMES_ONLY)
        self._file_systems = []
        try:
            specs = volume_scanner.VolumeScanner().GetBasePathSpecs(
                self._root(), options=options)
        except (dfvfs_errors.Error, OSError, RuntimeError) as exc:
            specs = self._partitions_one_by_one(exc)
        for path_spec in specs:
            if path_spec.type_indicator == _OS or path_spec.parent is None:
                continue  # the scanner hands back the bare file when it recognises nothing
            self._file_systems.append((_volume_name(path_spec), path_spec))
        # Snapshots after the current volume, otherwise in the order the scanner found them.
        self._file_systems.sort(key=lambda item: ("vss" in item[0], item[0]))
        if not self._file_systems:
            self._file_systems = self._file_system_at_start()
        if not self._file_system_from_start:
            self._file_systems.extend(self._tsk_only_file_systems(
                {volume for volume, _ in self._file_systems}))
            self._file_systems.sort(key=lambda item: ("vss" in item[0], item[0]))
        if not self._file_systems:
            container = _unsupported_container(self._primary)
            self._errors.append(
                f"no file system found in the image: it is a {container}, a container "
                "format Seawall (dfVFS) cannot read; convert it to raw (qemu-img convert "
                "-O raw) and scan the copy. The exhibit is NOT known to be empty"
                if container else
                "no file system found in the image: the exhibit is NOT known to be empty "
                "(unsupported, encrypted or damaged file system, or no file system at all)")
        return self._file_systems

    def _partitions_one_by_one(self, failure: Exception) -> list:
        """File-system specs found partition by partition, after the volume scan failed.

        dfVFS scans the whole image at once, so one partition it cannot read (e.g. one that
        lies past the end of a truncated image) loses all of them, complete ones included.
        TSK's partition table reader still lists them (as ``mmls`` does): each partition is
        then examined on its own, and only the unreadable ones are given up, by name."""
        self._errors.append(f"volume scan failed: {failure}")
        media = path_spec_factory.Factory.NewPathSpec(
            definitions.TYPE_INDICATOR_RAW, parent=self._root_spec())
        try:
            kinds = analyzer.Analyzer.GetStorageMediaImageTypeIndicators(
                self._root_spec(), resolver_context=self._context)
            if len(kinds) == 1:
                media = path_spec_factory.Factory.NewPathSpec(kinds[0], parent=self._root_spec())
            table = resolver.Resolver.OpenFileSystem(
                path_spec_factory.Factory.NewPathSpec(
                    definitions.TYPE_INDICATOR_TSK_PARTITION, location="/", parent=media),
                resolver_context=self._context)
            partitions = [entry.path_spec for entry in table.GetRootFileEntry().sub_file_entries
                          if (entry.path_spec.location or "").startswith("/p")]
        except (dfvfs_errors.Error, OSError, RuntimeError):
            return []
        specs = []
        for partition in partitions:
            label = partition.location.strip("/")
            try:
                indicators = analyzer.Analyzer.GetFileSystemTypeIndicators(
                    partition, resolver_context=self._context)
                if len(indicators) != 1:
                    raise dfvfs_errors.Error(f"file system types found: {indicators or 'none'}")
                spec = path_spec_factory.Factory.NewPathSpec(
                    indicators[0], location="/", parent=partition)
                resolver.Resolver.OpenFileSystem(spec, resolver_context=self._context)
            except (dfvfs_errors.Error, OSError, RuntimeError) as exc:
                self._warnings.append(f"partition {label}: no readable file system ({exc})")
                continue
            specs.append(spec)
        if specs:
            self._errors[-1] += ("; the partitions were then examined one by one: "
                                 f"{len(specs)} readable file system(s) found")
        return specs

    def _source_scan_nodes(self) -> list:
        """Every node of dfVFS's source scan of the image, breadth first ([] if it fails);
        the fallbacks below look for what the volume scanner left out."""
        if self._scan_nodes is None:
            self._scan_nodes = []
            try:
                scan_context = source_scanner.SourceScannerContext()
                scan_context.OpenSourcePath(self._root())
                source_scanner.SourceScanner().Scan(scan_context)
            except (dfvfs_errors.Error, OSError, RuntimeError) as exc:
                logger.debug("source scan of %s failed: %s", self._primary, exc)
                return self._scan_nodes
            pending = [scan_context.GetRootScanNode()]
            while pending:
                node = pending.pop(0)
                self._scan_nodes.append(node)
                pending.extend(node.sub_nodes)
        return self._scan_nodes

    def _file_system_at_start(self) -> list:
        """[("", spec)] for a file system at byte 0 of the media, when the volume scan found
        none; otherwise [].

        A "superfloppy" (a card or stick formatted without a partition table) can carry a
        partition-table entry in its boot sector that points at the boot sector itself:
        mtools' ``mformat`` writes one, sized from a rounded geometry that may even exceed
        the medium.  dfVFS then descends into that partition and finds nothing, while The
        Sleuth Kit's ``fls`` reads the file system at offset 0.  So do we, and say so."""
        media = next((node.path_spec for node in self._source_scan_nodes()
                      if node.type_indicator in _MEDIA_TYPES), None)
        if media is None:
            return []
        try:
            indicators = analyzer.Analyzer.GetFileSystemTypeIndicators(
                media, resolver_context=self._context)
        except (dfvfs_errors.Error, OSError, RuntimeError) as exc:
            logger.debug("no file system at the start of %s: %s", self._primary, exc)
            return []
        if len(indicators) != 1:
            return []
        spec = path_spec_factory.Factory.NewPathSpec(indicators[0], location="/", parent=media)
        try:  # the analyzer only matches signatures: the file system must really open
            resolver.Resolver.OpenFileSystem(
                spec, resolver_context=self._context).GetRootFileEntry()
        except (dfvfs_errors.Error, OSError, RuntimeError) as exc:
            logger.debug("%s signature at byte 0 of %s, but it does not open: %s",
                         indicators[0], self._primary, exc)
            return []
        self._file_system_from_start = True
        self._warnings.append(
            f"the volume scan found no file system in any partition; a {indicators[0]} file "
            "system starts at byte 0 of the image (a partition-less medium whose boot "
            "sector also holds a partition-table entry, which was not used), and it was "
            "read from there, as The Sleuth Kit's fls does")
        return [("", spec)]

    def _tsk_only_file_systems(self, found: set[str]) -> list:
        """[(volume, spec)] for file systems dfVFS drops but The Sleuth Kit opens.

        The volume scanner silently skips a volume whose file system its back-end cannot
        open: pyfsext, for one, reads every backup superblock, so an ext file system cut
        short (a truncated image, a partition reaching past the end) is skipped entirely
        while ``fls`` lists its files.  Volumes without a file system (or the bare media
        when there is no volume system) that carry the signature of one TSK walks are
        opened with TSK instead."""
        candidates, media = [], None
        for node in self._source_scan_nodes():
            if node.type_indicator in _MEDIA_TYPES and media is None:
                media = node
            elif (node.type_indicator in _VOLUME_TYPES and not node.sub_nodes
                  and node.type_indicator != definitions.TYPE_INDICATOR_VSHADOW
                  and getattr(node.path_spec, "location", "/") not in (None, "/")):
                candidates.append(node.path_spec)
        if not candidates and not found:
            # No volume system: the file system, if any, starts at byte 0 of the media.
            candidates = [media.path_spec if media is not None and not media.sub_nodes
                          else path_spec_factory.Factory.NewPathSpec(
                              definitions.TYPE_INDICATOR_RAW, parent=self._root_spec())]
        result = []
        for volume_spec in candidates:
            volume = _volume_name(volume_spec)
            if volume in found:
                continue
            try:
                indicators = analyzer.Analyzer.GetFileSystemTypeIndicators(
                    volume_spec, resolver_context=self._context)
            except (dfvfs_errors.Error, OSError, RuntimeError):
                continue
            walkable = [i for i in indicators if i in _TSK_WALKABLE]
            if not walkable:
                continue
            tsk_spec = path_spec_factory.Factory.NewPathSpec(
                definitions.TYPE_INDICATOR_TSK, location="/", parent=volume_spec)
            label = volume or "(whole image)"
            try:
                self._open_tsk(_chain_of(tsk_spec))
            except (dfvfs_errors.Error, OSError, RuntimeError) as exc:
                self._warnings.append(
                    f"volume {label} has a {walkable[0]} file system signature but neither "
                    f"dfVFS nor The Sleuth Kit can open it ({_text(exc).strip()}): its files "
                    "are NOT listed")
                continue
            self._warnings.append(
                f"volume {label}: dfVFS cannot open its {walkable[0]} file system (damaged "
                "or truncated?); it was read with The Sleuth Kit, as fls does")
            result.append((volume, path_spec_factory.Factory.NewPathSpec(
                walkable[0], location="/", parent=volume_spec)))
        return result

    def _open_tsk(self, chain: list):
        """(pytsk3 FS_Info, objects to keep alive, Extent) for a TSK file-system chain, cached.

        Opened as dfVFS's TSK file system does, but through ``truncation.GuardedImage``: the
        open itself is lenient (TSK probes other file-system types at odd offsets), later
        reads that come back short raise.  When the volume is truncated the file system is
        re-opened strict from the start, so nothing read short during the open stays in
        TSK's cache.
        """
        key = json.dumps(chain, sort_keys=True)
        if key not in self._tsk_cache:
            path_spec = _spec_from_chain(self._root_spec(), chain)
            # Keep the file object referenced: the resolver cache is weak (recipe §3.7).
            file_object = resolver.Resolver.OpenFileObject(
                path_spec.parent, resolver_context=self._context)
            extent = self._extent(path_spec.parent, file_object,
                                  _volume_name(path_spec) or "(whole image)")
            image = truncation.GuardedImage(file_object, label=extent.label, extent=extent)
            fs_info = pytsk3.FS_Info(image)
            image.strict = True
            extent.fs_size = int(fs_info.info.block_count) * int(fs_info.info.block_size)
            if extent.truncated:
                strict = truncation.GuardedImage(file_object, strict=True, label=extent.label,
                                                 extent=extent)
                try:
                    fs_info = pytsk3.FS_Info(strict, type=fs_info.info.ftype)
                    image = strict
                except (OSError, RuntimeError) as exc:
                    extent.lenient_open = str(exc).strip().splitlines()[0] if str(exc) else "?"
            self._tsk_cache[key] = (fs_info, (image, file_object), extent)
        return self._tsk_cache[key]

    def _extent(self, volume_spec, file_object, label: str) -> truncation.Extent:
        """How much of a volume the image really holds (measured on raw images only)."""
        size = int(file_object.get_size())
        if not _is_linear(volume_spec):
            # EWF, QCOW2, VMDK, LVM...: their libraries fail reads of missing data.
            return truncation.Extent(label, size, None, _volume_offset(volume_spec, file_object))
        available = truncation.probe_available(file_object, size)
        media = self._media_size(volume_spec)
        offset = _volume_offset(volume_spec, file_object)
        if offset is None and media is not None and 0 < available < size:
            offset = media - available
        return truncation.Extent(label, size, available, offset, media)

    def _media_size(self, path_spec) -> int | None:
        """Bytes of the raw image (all segments present) under a linear path spec."""
        while path_spec is not None and path_spec.type_indicator not in _MEDIA_TYPES:
            if path_spec.type_indicator == _OS:
                break
            path_spec = path_spec.parent
        if path_spec is None:
            return None
        try:
            file_object = resolver.Resolver.OpenFileObject(
                path_spec, resolver_context=self._context)
            return int(file_object.get_size())
        except (dfvfs_errors.Error, OSError, RuntimeError):
            return None

    # -- listing ---------------------------------------------------------------------------

    def iter_entries(self) -> Iterator[FileEntry]:
        seen: set[str] = set()
        for volume, fs_spec in self._scan():
            label = volume or "(whole image)"
            count = 0
            for entry in self._walk_file_system(volume, fs_spec):
                # Damaged directories can list a name twice; keys must stay unique.
                key, n = entry.file_key, 1
                while entry.file_key in seen:
                    n += 1
                    entry.file_key = make_key(key, f"#{n}")
                seen.add(entry.file_key)
                count += 1
                yield entry
            self._walk_counts[label] = count
            if not count:
                self._warnings.append(f"file system in volume {label} listed no files")

    def _walk_file_system(self, volume: str, fs_spec) -> Iterator[FileEntry]:
        if fs_spec.type_indicator in _TSK_WALKABLE:
            tsk_spec = path_spec_factory.Factory.NewPathSpec(
                definitions.TYPE_INDICATOR_TSK, location="/", parent=fs_spec.parent)
            chain = _chain_of(tsk_spec)
            try:
                fs_info, _, extent = self._open_tsk(chain)
            except (dfvfs_errors.Error, OSError, RuntimeError) as exc:
                # TSK cannot read it (e.g. newer ext4 features): dfVFS without deleted files.
                self._warnings.append(
                    f"volume {volume or '(whole image)'}: The Sleuth Kit cannot open the file "
                    f"system ({exc}); listed through dfVFS without deleted files")
            else:
                def make_locator(inode: int, attr: list | None) -> dict:
                    return {"backend": "tsk", "fs": chain, "inode": inode, "attr": attr}

                yield from tsk_walker.walk(fs_info, volume, make_locator, extent)
                return
        yield from self._walk_dfvfs(volume, fs_spec)

    def _walk_dfvfs(self, volume: str, fs_spec) -> Iterator[FileEntry]:
        try:
            file_system = resolver.Resolver.OpenFileSystem(
                fs_spec, resolver_context=self._context)
            root = file_system.GetRootFileEntry()
        except (dfvfs_errors.Error, OSError, RuntimeError) as exc:
            self._errors.append(f"volume {volume or '(whole image)'}: cannot open: {exc}")
            return
        pending = [(root, "", 0)]
        while pending:
            directory, dir_path, depth = pending.pop()
            try:
                children = sorted(directory.sub_file_entries, key=lambda e: e.name or "")
            except (dfvfs_errors.Error, OSError, RuntimeError) as exc:
                self._warnings.append(f"{volume}{dir_path or '/'}: cannot list: {exc}")
                continue
            subdirs = []
            for child in children:
                path = f"{dir_path}/{child.name}"
                try:
                    if child.IsDirectory():
                        if depth < _MAX_DEPTH:
                            subdirs.append((child, path, depth + 1))
                        continue
                    yield from self._dfvfs_entries(volume, child, path, file_system)
                except (dfvfs_errors.Error, OSError, RuntimeError) as exc:
                    yield FileEntry(file_key=make_key(volume, "", path), locator=None,
                                    path=path, volume=volume, error=f"cannot read: {exc}")
            pending.extend(reversed(subdirs))

    def _dfvfs_entries(self, volume, file_entry, path, file_system) -> Iterator[FileEntry]:
        path_spec = file_entry.path_spec
        inode = None
        for attribute in ("identifier", "inode", "mft_entry"):
            if getattr(path_spec, attribute, None) is not None:
                inode = str(getattr(path_spec, attribute))
                break
        times = {
            "mtime": utc_from_dfdatetime(file_entry.modification_time),
            "atime": utc_from_dfdatetime(file_entry.access_time),
            "ctime": utc_from_dfdatetime(file_entry.change_time),
            "crtime": utc_from_dfdatetime(file_entry.creation_time),
        }
        base = FileEntry(file_key=make_key(volume, inode or "", path), locator=None,
                         path=path, volume=volume, inode=inode, **times)
        if file_entry.IsLink():
            base.kind = "symlink"
            base.extra["note"] = "symbolic link, not followed"
            yield base
            return
        if not file_entry.IsFile():
            base.kind = "special"
            base.error = "skipped: not a regular file"
            yield base
            return
        chain = _chain_of(path_spec)
        base.size = file_entry.size
        base.locator = {"backend": "dfvfs", "spec": chain, "stream": ""}
        yield base
        for data_stream in file_entry.data_streams:
            if not data_stream.name:
                continue
            name = data_stream.name
            yield FileEntry(
                file_key=make_key(volume, inode or "", f"{path}:{name}"),
                locator={"backend": "dfvfs", "spec": chain, "stream": name},
                path=f"{path}:{name}", volume=volume, inode=inode, kind="ads",
                extra={"stream": name}, **times)

    # -- reading ---------------------------------------------------------------------------

    def open(self, locator: object) -> BinaryIO:
        if not isinstance(locator, dict):
            raise EvidenceError(f"bad disk image locator {locator!r}")
        try:
            if locator.get("backend") == "tsk":
                return self._open_tsk_locator(locator)
            if locator.get("backend") == "dfvfs":
                return self._open_dfvfs_locator(locator)
        except EvidenceError:
            raise
        except (dfvfs_errors.Error, OSError, RuntimeError, KeyError, TypeError,
                ValueError) as exc:
            raise EvidenceError(f"cannot open {locator!r}: {exc}") from exc
        raise EvidenceError(f"bad disk image locator {locator!r}")

    def _open_tsk_locator(self, locator: dict) -> BinaryIO:
        fs_info, file_system, _ = self._open_tsk(locator["fs"])
        tsk_file = fs_info.open_meta(inode=int(locator["inode"]))
        attr = locator.get("attr")
        if attr is None:
            size = int(tsk_file.info.meta.size)
        else:
            size = next((int(a.info.size) for a in tsk_file
                         if int(a.info.type) == attr[0] and int(a.info.id) == attr[1]), None)
            if size is None:
                raise EvidenceError(f"data stream {attr} not found in inode {locator['inode']}")
        stream = tsk_walker.TskStream(tsk_file, size, attr, keepalive=file_system)
        return io.BufferedReader(stream, buffer_size=_CHUNK)

    def _open_dfvfs_locator(self, locator: dict) -> BinaryIO:
        path_spec = _spec_from_chain(self._root_spec(), locator["spec"])
        file_entry = resolver.Resolver.OpenFileEntry(path_spec, resolver_context=self._context)
        if file_entry is None:
            raise EvidenceError(f"no such file entry {locator!r}")
        file_object = file_entry.GetFileObject(data_stream_name=locator.get("stream") or "")
        if file_object is None:
            raise EvidenceError(f"file entry has no such data stream {locator!r}")
        return io.BufferedReader(_DfvfsStream(file_object, file_entry), buffer_size=_CHUNK)

    # -- identity --------------------------------------------------------------------------

    def release_work_files(self) -> None:
        """Remove the qemu-img raw copy (as large as the disk) and the cross-check marker."""
        try:
            stem = qcow_check.cache_stem(self._primary, self.work_dir)
        except OSError:
            return
        for suffix in (".raw", ".ok"):
            try:
                os.remove(stem + suffix)
            except FileNotFoundError:
                pass

    def listing_warnings(self) -> list[str]:
        return list(self._warnings)

    def describe(self) -> dict:
        info: dict = {"kind": self.NAME, "paths": self.paths, "images": self._image_files()}
        self._describe_media(info)
        file_systems = []
        for volume, fs_spec in self._scan():
            label = volume or "(whole image)"
            item = {"volume": volume, "type": fs_spec.type_indicator}
            if fs_spec.type_indicator in _TSK_WALKABLE:
                try:
                    tsk_spec = path_spec_factory.Factory.NewPathSpec(
                        definitions.TYPE_INDICATOR_TSK, location="/", parent=fs_spec.parent)
                    fs_info, _, _ = self._open_tsk(_chain_of(tsk_spec))
                    item["tsk_type"] = _TSK_FS_TYPES.get(int(fs_info.info.ftype), "unknown")
                except (dfvfs_errors.Error, OSError, RuntimeError):
                    pass
            if label in self._walk_counts:
                item["entries"] = self._walk_counts[label]
            file_systems.append(item)
        info["file_systems"] = file_systems
        self._check_truncation()
        if self._qcow_report is not None:
            info["qcow2_cross_check"] = self._qcow_report
        info["warnings"] = list(self._warnings)
        info["errors"] = list(self._errors)
        return info

    # -- truncation --------------------------------------------------------------------------

    def _check_truncation(self) -> None:
        """Warn when the image is shorter than its partitions, volumes or file systems say."""
        if self._truncation_checked:
            return
        self._truncation_checked = True
        reported: set[int | None] = set()
        for volume, fs_spec in self._scan():
            label = volume or "(whole image)"
            extent, tsk = None, False
            if fs_spec.type_indicator in _TSK_WALKABLE:
                tsk_spec = path_spec_factory.Factory.NewPathSpec(
                    definitions.TYPE_INDICATOR_TSK, location="/", parent=fs_spec.parent)
                try:
                    _, _, extent = self._open_tsk(_chain_of(tsk_spec))
                    tsk = True
                except (dfvfs_errors.Error, OSError, RuntimeError):
                    extent = None
            if extent is None:
                extent = self._linear_extent(fs_spec)
                if extent is not None and fs_spec.type_indicator in _TSK_WALKABLE:
                    extent.fs_size = self._boot_sector_size(fs_spec.parent)
            if extent is None or not extent.truncated:
                continue
            reported.add(extent.offset)
            self._warnings.append(self._truncation_warning(extent, label, fs_spec, tsk))
        if not self._file_system_from_start:
            # (Otherwise the partition table was not used to read anything: only the file
            # system's own size, checked above, says whether data is missing.)
            self._check_partitions(reported)
        if not self._file_systems and 0 not in reported:
            self._check_bare_file_system()

    def _check_bare_file_system(self) -> None:
        """No file system opened: is there the header of one the image is too short for?"""
        media_spec = self._media_spec()
        if not _is_linear(media_spec):
            return
        try:
            file_object = resolver.Resolver.OpenFileObject(
                media_spec, resolver_context=self._context)
            media_size = int(file_object.get_size())
        except (dfvfs_errors.Error, OSError, RuntimeError):
            return
        claimed = truncation.boot_sector_size(file_object)
        if claimed > media_size:
            self._warnings.append(
                f"image is truncated: {media_size} bytes present, the file system starting at "
                f"byte 0 extends to {claimed} bytes (too little of it is present to open it)"
                + self._split_note())

    def _linear_extent(self, fs_spec) -> truncation.Extent | None:
        """Extent of the highest linear layer under a dfVFS-only file system, with the size
        an APFS container above it claims (its superblock's block count x block size)."""
        path_spec, above = fs_spec.parent, None
        while path_spec is not None and not _is_linear(path_spec):
            path_spec, above = path_spec.parent, path_spec
        if path_spec is None:
            return None
        try:
            file_object = resolver.Resolver.OpenFileObject(
                path_spec, resolver_context=self._context)
            extent = self._extent(path_spec, file_object, _volume_name(path_spec) or "")
        except (dfvfs_errors.Error, OSError, RuntimeError):
            return None
        if above is not None and above.type_indicator == definitions.TYPE_INDICATOR_APFS_CONTAINER:
            try:
                container = resolver.Resolver.OpenFileSystem(
                    path_spec_factory.Factory.NewPathSpec(
                        above.type_indicator, location="/", parent=path_spec),
                    resolver_context=self._context)
                extent.fs_size = int(container.GetAPFSContainer().get_size())
            except (dfvfs_errors.Error, OSError, RuntimeError, AttributeError):
                pass
        return extent

    def _boot_sector_size(self, volume_spec) -> int:
        try:
            return truncation.boot_sector_size(resolver.Resolver.OpenFileObject(
                volume_spec, resolver_context=self._context))
        except (dfvfs_errors.Error, OSError, RuntimeError):
            return 0

    def _truncation_warning(self, extent, label: str, fs_spec, tsk: bool) -> str:
        present = extent.present()
        end = extent.absolute(extent.claimed)
        partition = extent.label not in ("", "(whole image)")
        if partition and extent.available == extent.size and extent.fs_size > extent.size:
            text = (f"file system {label} claims {extent.fs_size} bytes but its volume holds "
                    f"only {extent.size}: files with data past the end of the volume are "
                    "marked")
        elif tsk:
            what = "file system" if extent.fs_size >= extent.size else "partition of file system"
            text = (f"image is truncated: {present} bytes present, {what} {label} extends to "
                    f"{end} bytes; files with data beyond byte {present} are marked")
        else:
            volume = extent.label or "(whole image)"
            text = (f"image is truncated: {present} bytes present, {fs_spec.type_indicator} "
                    f"file system {label} (on volume {volume}) extends to {end} bytes; its "
                    "files are read through dfVFS and not checked one by one: reads past the "
                    "end fail with an error")
        if extent.lenient_open:
            text += (f" (the file system could not be opened without reading past the end "
                     f"({extent.lenient_open}): metadata read while opening it may be zeros)")
        return text + self._split_note()

    def _split_note(self) -> str:
        try:
            import pysmraw

            segments = pysmraw.glob(self._primary)
        except (ImportError, OSError, RuntimeError, TypeError):
            return ""
        if len(segments) < 2 and not os.path.splitext(self._primary)[1][1:].isdigit():
            return ""
        names = ", ".join(os.path.basename(name) for name in segments)
        return (f"; split raw image with {len(segments)} segment(s) present ({names}): "
                "a missing or short segment would explain this")

    def _media_spec(self):
        for _, fs_spec in self._scan():
            path_spec = fs_spec
            while path_spec is not None:
                if path_spec.type_indicator in _MEDIA_TYPES:
                    return path_spec
                path_spec = path_spec.parent
            return self._root_spec()
        return self._root_spec()

    def _check_partitions(self, reported: set) -> None:
        """Every allocated partition-table entry must end within the media."""
        media_spec = self._media_spec()
        try:
            file_object = resolver.Resolver.OpenFileObject(
                media_spec, resolver_context=self._context)
            media_size = int(file_object.get_size())
            # A large nominal size: TSK refuses a table whose partitions start past the end.
            volumes = pytsk3.Volume_Info(truncation.GuardedImage(file_object, size=1 << 60))
            block_size = int(volumes.info.block_size)
            parts = [(int(p.addr), int(p.start), int(p.len), _text(p.desc)) for p in volumes
                     if int(p.flags) & int(pytsk3.TSK_VS_PART_FLAG_ALLOC)
                     or ("Extended" in _text(p.desc) and "Table" not in _text(p.desc))]
        except (dfvfs_errors.Error, OSError, RuntimeError):
            return  # no partition table
        linear = _is_linear(media_spec)
        for addr, start, length, desc in parts:
            end = (start + length) * block_size
            if end <= media_size or start * block_size in reported:
                continue
            where = f"partition table entry {addr} ({desc}, starting at byte {start * block_size})"
            if linear:
                text = (f"image is truncated: {media_size} bytes present, {where} extends to "
                        f"{end} bytes") + self._split_note()
            else:
                text = (f"{where} extends to {end} bytes, beyond the media size "
                        f"{media_size} the image format records: the image is incomplete")
            self._warnings.append(text)

    def _image_files(self) -> list[dict]:
        names = set(self.paths)
        try:
            import pyewf

            names.update(pyewf.glob(self._primary))
        except (ImportError, OSError, RuntimeError, TypeError):
            pass  # not EWF
        result = []
        for name in sorted(names):
            try:
                size = os.stat(name).st_size
            except OSError:
                size = None
            result.append({"name": os.path.basename(name), "path": os.path.abspath(name),
                           "size": size})
        return result

    def _describe_media(self, info: dict) -> None:
        os_spec = path_spec_factory.Factory.NewPathSpec(_OS, location=self._primary)
        try:
            formats = analyzer.Analyzer.GetStorageMediaImageTypeIndicators(
                os_spec, self._context)
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
            handle.open(pyewf.glob(self._primary))
        except (OSError, RuntimeError) as exc:
            self._errors.append(f"cannot open EWF: {exc}")
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
                while remaining > 0:
                    data = handle.read(min(_CHUNK, remaining))
                    if not data:
                        break
                    md5.update(data)
                    remaining -= len(data)
                computed = md5.hexdigest()
                stored = result["stored_md5"]
                verdict = ("no stored MD5" if not stored
                           else "verified" if stored.lower() == computed else "MISMATCH")
                result["verification"] = {"media_md5": computed, "result": verdict}
                if verdict == "MISMATCH":
                    self._warnings.append(
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
            self._warn(
                f"EWF image is incomplete: the header gives a media size of {media_size} "
                f"bytes but {len(failed)} of {len(offsets)} sampled offsets cannot be read "
                f"(first at byte {failed[0]}; truncated or missing segment files?); reads of "
                "the missing data fail and those files are recorded with errors")

    def _warn(self, text: str) -> None:
        """Add a warning once (describe() may run more than once)."""
        if text not in self._warnings:
            self._warnings.append(text)

    def _media_md5(self) -> str | None:
        """MD5 of the media as dfVFS reads it (storage-media layer, before any volume)."""
        chain = []
        for volume_spec in self._scan()[:1]:
            chain = _chain_of(volume_spec[1])
        # Keep only the storage-media layers (EWF, QCOW, RAW, ...), not volumes/file systems.
        media_types = set(definitions.STORAGE_MEDIA_IMAGE_TYPE_INDICATORS) | {
            definitions.TYPE_INDICATOR_RAW}
        chain = [item for item in chain if item[0] in media_types]
        try:
            file_object = resolver.Resolver.OpenFileObject(
                _spec_from_chain(self._root_spec(), chain), resolver_context=self._context)
        except (dfvfs_errors.Error, OSError, RuntimeError) as exc:
            self._errors.append(f"cannot read media for verification: {exc}")
            return None
        md5 = hashlib.md5()
        while data := file_object.read(_CHUNK):
            md5.update(data)
        return md5.hexdigest()

    def close(self) -> None:
        self._tsk_cache.clear()
        self._context.Empty()

