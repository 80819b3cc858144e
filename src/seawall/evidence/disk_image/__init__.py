"""Disk images, split as dfVFS splits its back-ends (see ``source``): ``volumes`` (volume
discovery), ``walk`` (the file-system walk), ``integrity`` (truncation and acquisition-hash
checks), ``reading`` (one file from its locator), over the shared ``image`` and ``tsk``."""

from seawall.evidence.disk_image.source import DiskImageSource

__all__ = ["DiskImageSource"]
