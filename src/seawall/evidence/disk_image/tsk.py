"""The Sleuth Kit's view of the image's file systems, opened once per chain and cached."""

from __future__ import annotations

import json

import pytsk3

from seawall.evidence import truncation
from seawall.evidence.disk_image.image import Image
from seawall.evidence.disk_image.integrity import measure_extent
from seawall.evidence.disk_image.specs import WHOLE_IMAGE, spec_from_chain, volume_name


class TskFileSystems:
    def __init__(self, image: Image):
        self.image = image
        self._cache: dict[str, tuple] = {}

    def open(self, chain: list) -> tuple:
        """(pytsk3 FS_Info, objects to keep alive, Extent) for a TSK file-system chain, cached.

        Opened as dfVFS's TSK file system does, but through ``truncation.GuardedImage``: the
        open itself is lenient (TSK probes other file-system types at odd offsets), later
        reads that come back short raise.  When the volume is truncated the file system is
        re-opened strict from the start, so nothing read short during the open stays in
        TSK's cache.
        """
        key = json.dumps(chain, sort_keys=True)
        if key not in self._cache:
            path_spec = spec_from_chain(self.image.root_spec(), chain)
            # Keep the file object referenced: the resolver cache is weak (recipe §3.7).
            file_object = self.image.open_file_object(path_spec.parent)
            extent = measure_extent(self.image, path_spec.parent, file_object,
                                    volume_name(path_spec) or WHOLE_IMAGE)
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
            self._cache[key] = (fs_info, (image, file_object), extent)
        return self._cache[key]

    def clear(self) -> None:
        self._cache.clear()
