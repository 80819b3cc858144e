"""Volume discovery: every file system in the image, as [(volume name, dfVFS path spec)].

dfVFS's volume scanner finds the partitions, volumes and file systems.  Where it falls
short, three fallbacks, each announced as a warning or error: the partitions examined one
by one when the whole scan fails, a file system at byte 0 of a partition-less
"superfloppy", and file systems dfVFS drops but The Sleuth Kit opens.
"""

from __future__ import annotations

import logging

from dfvfs.analyzer import analyzer
from dfvfs.helpers import source_scanner, volume_scanner
from dfvfs.lib import definitions
from dfvfs.lib import errors as dfvfs_errors
from dfvfs.path import factory as path_spec_factory

from seawall.evidence.disk_image.image import Image
from seawall.evidence.disk_image.specs import (
    MEDIA_TYPES,
    OS,
    TSK_WALKABLE,
    VOLUME_TYPES,
    WHOLE_IMAGE,
    chain_of,
    text,
    unsupported_container,
    volume_name,
)
from seawall.evidence.disk_image.tsk import TskFileSystems

logger = logging.getLogger(__name__)


class VolumeDiscovery:
    def __init__(self, image: Image, tsk: TskFileSystems, snapshots: bool):
        self.image = image
        self.tsk = tsk
        self.snapshots = snapshots
        # True when the file system was read from byte 0, past the partition table.
        self.from_start = False
        self._file_systems: list | None = None
        self._scan_nodes: list | None = None

    def file_systems(self) -> list:
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
                self.image.root(), options=options)
        except (dfvfs_errors.Error, OSError, RuntimeError) as exc:
            specs = self._partitions_one_by_one(exc)
        for path_spec in specs:
            if path_spec.type_indicator == OS or path_spec.parent is None:
                continue  # the scanner hands back the bare file when it recognises nothing
            self._file_systems.append((volume_name(path_spec), path_spec))
        # Snapshots after the current volume, otherwise in the order the scanner found them.
        self._file_systems.sort(key=lambda item: ("vss" in item[0], item[0]))
        if not self._file_systems:
            self._file_systems = self._file_system_at_start()
        if not self.from_start:
            self._file_systems.extend(self._tsk_only_file_systems(
                {volume for volume, _ in self._file_systems}))
            self._file_systems.sort(key=lambda item: ("vss" in item[0], item[0]))
        if not self._file_systems:
            container = unsupported_container(self.image.primary)
            self.image.errors.append(
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
        self.image.errors.append(f"volume scan failed: {failure}")
        media = path_spec_factory.Factory.NewPathSpec(
            definitions.TYPE_INDICATOR_RAW, parent=self.image.root_spec())
        try:
            kinds = analyzer.Analyzer.GetStorageMediaImageTypeIndicators(
                self.image.root_spec(), resolver_context=self.image.context)
            if len(kinds) == 1:
                media = path_spec_factory.Factory.NewPathSpec(
                    kinds[0], parent=self.image.root_spec())
            table = self.image.open_file_system(path_spec_factory.Factory.NewPathSpec(
                definitions.TYPE_INDICATOR_TSK_PARTITION, location="/", parent=media))
            partitions = [entry.path_spec for entry in table.GetRootFileEntry().sub_file_entries
                          if (entry.path_spec.location or "").startswith("/p")]
        except (dfvfs_errors.Error, OSError, RuntimeError):
            return []
        specs = []
        for partition in partitions:
            label = partition.location.strip("/")
            try:
                indicators = analyzer.Analyzer.GetFileSystemTypeIndicators(
                    partition, resolver_context=self.image.context)
                if len(indicators) != 1:
                    raise dfvfs_errors.Error(f"file system types found: {indicators or 'none'}")
                spec = path_spec_factory.Factory.NewPathSpec(
                    indicators[0], location="/", parent=partition)
                self.image.open_file_system(spec)
            except (dfvfs_errors.Error, OSError, RuntimeError) as exc:
                self.image.warnings.append(f"partition {label}: no readable file system ({exc})")
                continue
            specs.append(spec)
        if specs:
            self.image.errors[-1] += ("; the partitions were then examined one by one: "
                                      f"{len(specs)} readable file system(s) found")
        return specs

    def _source_scan_nodes(self) -> list:
        """Every node of dfVFS's source scan of the image, breadth first ([] if it fails);
        the fallbacks below look for what the volume scanner left out."""
        if self._scan_nodes is None:
            self._scan_nodes = []
            try:
                scan_context = source_scanner.SourceScannerContext()
                scan_context.OpenSourcePath(self.image.root())
                source_scanner.SourceScanner().Scan(scan_context)
            except (dfvfs_errors.Error, OSError, RuntimeError) as exc:
                logger.debug("source scan of %s failed: %s", self.image.primary, exc)
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
                      if node.type_indicator in MEDIA_TYPES), None)
        if media is None:
            return []
        try:
            indicators = analyzer.Analyzer.GetFileSystemTypeIndicators(
                media, resolver_context=self.image.context)
        except (dfvfs_errors.Error, OSError, RuntimeError) as exc:
            logger.debug("no file system at the start of %s: %s", self.image.primary, exc)
            return []
        if len(indicators) != 1:
            return []
        spec = path_spec_factory.Factory.NewPathSpec(indicators[0], location="/", parent=media)
        try:  # the analyzer only matches signatures: the file system must really open
            self.image.open_file_system(spec).GetRootFileEntry()
        except (dfvfs_errors.Error, OSError, RuntimeError) as exc:
            logger.debug("%s signature at byte 0 of %s, but it does not open: %s",
                         indicators[0], self.image.primary, exc)
            return []
        self.from_start = True
        self.image.warnings.append(
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
            if node.type_indicator in MEDIA_TYPES and media is None:
                media = node
            elif (node.type_indicator in VOLUME_TYPES and not node.sub_nodes
                  and node.type_indicator != definitions.TYPE_INDICATOR_VSHADOW
                  and getattr(node.path_spec, "location", "/") not in (None, "/")):
                candidates.append(node.path_spec)
        if not candidates and not found:
            # No volume system: the file system, if any, starts at byte 0 of the media.
            candidates = [media.path_spec if media is not None and not media.sub_nodes
                          else path_spec_factory.Factory.NewPathSpec(
                              definitions.TYPE_INDICATOR_RAW, parent=self.image.root_spec())]
        result = []
        for volume_spec in candidates:
            volume = volume_name(volume_spec)
            if volume in found:
                continue
            try:
                indicators = analyzer.Analyzer.GetFileSystemTypeIndicators(
                    volume_spec, resolver_context=self.image.context)
            except (dfvfs_errors.Error, OSError, RuntimeError):
                continue
            walkable = [i for i in indicators if i in TSK_WALKABLE]
            if not walkable:
                continue
            tsk_spec = path_spec_factory.Factory.NewPathSpec(
                definitions.TYPE_INDICATOR_TSK, location="/", parent=volume_spec)
            label = volume or WHOLE_IMAGE
            try:
                self.tsk.open(chain_of(tsk_spec))
            except (dfvfs_errors.Error, OSError, RuntimeError) as exc:
                self.image.warnings.append(
                    f"volume {label} has a {walkable[0]} file system signature but neither "
                    f"dfVFS nor The Sleuth Kit can open it ({text(exc).strip()}): its files "
                    "are NOT listed")
                continue
            self.image.warnings.append(
                f"volume {label}: dfVFS cannot open its {walkable[0]} file system (damaged "
                "or truncated?); it was read with The Sleuth Kit, as fls does")
            result.append((volume, path_spec_factory.Factory.NewPathSpec(
                walkable[0], location="/", parent=volume_spec)))
        return result
