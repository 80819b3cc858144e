"""Reading one file back from its locator, through the back-end that listed it."""

from __future__ import annotations

import io
from typing import BinaryIO

from dfvfs.resolver import resolver

from seawall.evidence import tsk_walker
from seawall.evidence.base import EvidenceError
from seawall.evidence.disk_image.image import Image
from seawall.evidence.disk_image.specs import CHUNK, spec_from_chain
from seawall.evidence.disk_image.tsk import TskFileSystems


class DfvfsStream(io.RawIOBase):
    """io wrapper around a dfVFS file object, so callers get a standard BinaryIO."""

    def __init__(self, file_object, keepalive=None):
        super().__init__()
        self._file_object = file_object
        self._keepalive = keepalive
        self._size: int | None
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


def open_tsk_locator(tsk: TskFileSystems, locator: dict) -> BinaryIO:
    fs_info, file_system, _ = tsk.open(locator["fs"])
    tsk_file = fs_info.open_meta(inode=int(locator["inode"]))
    attr = locator.get("attr")
    if attr is None:
        size = int(tsk_file.info.meta.size)
    else:
        found = next((int(a.info.size) for a in tsk_file
                      if int(a.info.type) == attr[0] and int(a.info.id) == attr[1]), None)
        if found is None:
            raise EvidenceError(f"data stream {attr} not found in inode {locator['inode']}")
        size = found
    stream = tsk_walker.TskStream(tsk_file, size, attr, keepalive=file_system)
    return io.BufferedReader(stream, buffer_size=CHUNK)


def open_dfvfs_locator(image: Image, locator: dict) -> BinaryIO:
    path_spec = spec_from_chain(image.root_spec(), locator["spec"])
    file_entry = resolver.Resolver.OpenFileEntry(path_spec, resolver_context=image.context)
    if file_entry is None:
        raise EvidenceError(f"no such file entry {locator!r}")
    file_object = file_entry.GetFileObject(data_stream_name=locator.get("stream") or "")
    if file_object is None:
        raise EvidenceError(f"file entry has no such data stream {locator!r}")
    return io.BufferedReader(DfvfsStream(file_object, file_entry), buffer_size=CHUNK)
