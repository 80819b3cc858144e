"""The opened image that the disk-image parts share: the file dfVFS reads (the image, or a
qemu-img raw copy of a QCOW2 that libqcow misreads), one dfVFS resolver context, and the
warnings and errors every part adds to (``describe()`` reports them in that order)."""

from __future__ import annotations

import os

from dfvfs.path import factory as path_spec_factory
from dfvfs.resolver import context, resolver

from seawall.evidence import qcow_check
from seawall.evidence.disk_image.specs import OS


class Image:
    def __init__(self, paths: list[str], work_dir: str):
        # The first segment in name order (.E01, .000, .001) opens the whole set.
        self.primary = os.path.abspath(sorted(paths)[0])
        self.work_dir = work_dir
        self.context = context.Context()
        self.warnings: list[str] = []
        self.errors: list[str] = []
        self.qcow_report: dict | None = None
        self._root_location: str | None = None

    def root(self) -> str:
        """The file dfVFS reads: the image itself, or a qemu-img raw copy (see qcow_check)."""
        if self._root_location is None:
            location = self.primary
            try:
                layout = qcow_check.read_layout(self.primary)
            except OSError:
                layout = None
            if layout is not None and layout.compressed_count:
                raw_copy, report = qcow_check.cross_check(self.primary, layout, self.work_dir)
                self.qcow_report = report
                if raw_copy:
                    location = raw_copy
                    self.warnings.append(
                        f"QCOW2 has {layout.compressed_count} compressed clusters and libqcow "
                        f"misread {report.get('differing_clusters', 'some')} of them (checked "
                        f"against qemu-img); reading from the qemu-img raw copy {raw_copy}")
                elif not report.get("checked"):
                    self.warnings.append(
                        f"QCOW2 has {layout.compressed_count} compressed clusters, which "
                        "libqcow is known to misread, and they could not be cross-checked "
                        f"({report.get('reason')}): listings and hashes may be wrong")
            self._root_location = location
        return self._root_location

    def root_spec(self):
        return path_spec_factory.Factory.NewPathSpec(OS, location=self.root())

    def open_file_object(self, path_spec):
        return resolver.Resolver.OpenFileObject(path_spec, resolver_context=self.context)

    def open_file_system(self, path_spec):
        return resolver.Resolver.OpenFileSystem(path_spec, resolver_context=self.context)

    def warn_once(self, text: str) -> None:
        """Add a warning once (describe() may run more than once)."""
        if text not in self.warnings:
            self.warnings.append(text)

    def release_work_files(self) -> None:
        """Remove the qemu-img raw copy (as large as the disk) and the cross-check marker."""
        try:
            stem = qcow_check.cache_stem(self.primary, self.work_dir)
        except OSError:
            return
        for suffix in (".raw", ".ok"):
            try:
                os.remove(stem + suffix)
            except FileNotFoundError:
                pass

    def close(self) -> None:
        self.context.Empty()
