"""Walk a file system with pytsk3 as ``fls -r -p`` does, deleted names included.

dfVFS never lists unallocated names (its TSK directory skips them), so every file system
The Sleuth Kit can open is walked here directly; dfVFS is only used to reach it (container,
partition, volume) and for file systems TSK lacks.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator

import pytsk3

from seawall.evidence._common import display_name, make_key, utc_from_posix
from seawall.evidence.base import FileEntry
from seawall.evidence.truncation import Extent, data_end

_NAME_UNALLOC = int(pytsk3.TSK_FS_NAME_FLAG_UNALLOC)
_META_ALLOC = int(pytsk3.TSK_FS_META_FLAG_ALLOC)
_META_USED = int(pytsk3.TSK_FS_META_FLAG_USED)
_NTFS_DATA = int(pytsk3.TSK_FS_ATTR_TYPE_NTFS_DATA)
_HFS_RSRC = int(pytsk3.TSK_FS_ATTR_TYPE_HFS_RSRC)

_META_KIND = {
    int(pytsk3.TSK_FS_META_TYPE_REG): "file",
    int(pytsk3.TSK_FS_META_TYPE_DIR): "dir",
    int(pytsk3.TSK_FS_META_TYPE_VIRT_DIR): "dir",
    int(pytsk3.TSK_FS_META_TYPE_LNK): "symlink",
    int(pytsk3.TSK_FS_META_TYPE_VIRT): "virtual",
    int(pytsk3.TSK_FS_META_TYPE_FIFO): "FIFO",
    int(pytsk3.TSK_FS_META_TYPE_SOCK): "socket",
    int(pytsk3.TSK_FS_META_TYPE_CHR): "character device",
    int(pytsk3.TSK_FS_META_TYPE_BLK): "block device",
}
_NAME_KIND = {
    int(pytsk3.TSK_FS_NAME_TYPE_REG): "file",
    int(pytsk3.TSK_FS_NAME_TYPE_DIR): "dir",
    int(pytsk3.TSK_FS_NAME_TYPE_VIRT_DIR): "dir",
    int(pytsk3.TSK_FS_NAME_TYPE_LNK): "symlink",
    int(pytsk3.TSK_FS_NAME_TYPE_VIRT): "virtual",
    int(pytsk3.TSK_FS_NAME_TYPE_FIFO): "FIFO",
    int(pytsk3.TSK_FS_NAME_TYPE_SOCK): "socket",
    int(pytsk3.TSK_FS_NAME_TYPE_CHR): "character device",
    int(pytsk3.TSK_FS_NAME_TYPE_BLK): "block device",
}
_MAX_DEPTH = 512
_VOLUME_LABEL_SUFFIX = b" (Volume Label Entry)"


def _meta_times(meta) -> dict:
    """MAC(B) times of a TSK meta structure as naive UTC (0 means unset)."""
    times = {}
    for field in ("mtime", "atime", "ctime", "crtime"):
        seconds = getattr(meta, field, 0) or 0
        nanos = getattr(meta, field + "_nano", 0) or 0
        times[field] = utc_from_posix(seconds, nanos)
    return times


def _kind_of(tsk_file, meta) -> str:
    if meta is not None:
        kind = _META_KIND.get(int(meta.type))
        if kind:
            return kind
    return _NAME_KIND.get(int(tsk_file.info.name.type), "file")


def _streams(tsk_file) -> list[tuple[str, int, int, int]]:
    """Named data streams: (name, attribute type, attribute id, size)."""
    found = []
    try:
        for attr in tsk_file:
            info = attr.info
            attr_type = int(info.type)
            name = info.name or b""
            if attr_type == _NTFS_DATA and name:
                found.append((display_name(name)[0], attr_type, int(info.id), int(info.size)))
            elif attr_type == _HFS_RSRC and info.size:
                found.append(("rsrc", attr_type, int(info.id), int(info.size)))
    except (OSError, RuntimeError):
        pass
    return found


def walk(
    fs_info,
    volume: str,
    make_locator: Callable[[int, list | None], dict],
    extent: Extent | None = None,
) -> Iterator[FileEntry]:
    """Yield every non-directory name under "/" (allocated and deleted), depth first, sorted.

    Args:
      fs_info: an opened ``pytsk3.FS_Info``.
      volume: volume name put on every entry (also part of its file_key).
      make_locator: builds the locator from (inode, [attribute type, id] or None).
      extent: the volume's extent when the image is truncated: entries whose data runs
        reach past the bytes present get an error, and directories that cannot be read
        are reported as entries with an error instead of being skipped silently.
    """
    if extent is not None and not extent.truncated:
        extent = None
    check = _Check(extent, int(fs_info.info.block_size)) if extent is not None else None
    root = fs_info.info.root_inum
    visited = {root}
    named: set[int] = set()
    deferred: list[tuple[int, bytes, int, bool]] = []
    pending: list[tuple[int, bytes, int, bool]] = [(root, b"", 0, True)]
    while pending:
        dir_inode, dir_path, depth, dir_allocated = pending.pop()
        try:
            names = [f for f in fs_info.open_dir(inode=dir_inode) if f.info.name.name not in
                     (b".", b"..")]
        except (OSError, RuntimeError) as exc:
            if dir_path == b"/$OrphanFiles" and (check is None or _is_ext(fs_info)):
                # pytsk3 (TSK 4.15) fails to open ext's orphan folder that fls lists.
                yield from _scan_orphans(fs_info, named, volume, make_locator, check)
            elif check is not None and dir_allocated:
                # Truncated image: say so, rather than list the folder as empty.
                path, path_bytes = display_name(dir_path or b"/")
                yield FileEntry(
                    file_key=make_key(volume, str(dir_inode), path), locator=None, path=path,
                    volume=volume, path_bytes=path_bytes, inode=str(dir_inode),
                    kind="special", error=("deleted files without a name could not be "
                    "searched for" if dir_path == b"/$OrphanFiles" else "directory cannot "
                    "be read, its files are not listed") + f": {_first_line(exc)}")
            continue  # A deleted folder whose metadata is gone: nothing more to list.
        names.sort(key=lambda f: (f.info.name.name, f.info.name.meta_addr))
        subdirs = []
        for tsk_file in names:
            name_info = tsk_file.info.name
            raw_name = name_info.name
            meta_addr = int(name_info.meta_addr)
            named.add(meta_addr)
            allocated = dir_allocated and not int(name_info.flags) & _NAME_UNALLOC
            meta = tsk_file.info.meta
            if meta is None and meta_addr:
                # Deleted NTFS names often lose the link to their MFT entry (sequence bump):
                # open it by address, as icat would.
                try:
                    tsk_file = fs_info.open_meta(inode=meta_addr)
                    meta = tsk_file.info.meta
                except (OSError, RuntimeError):
                    meta = None
            # A deleted name whose metadata entry is in use again points at another file
            # (fls prints "(realloc)"): its content is not this name's.
            realloc = bool(
                int(name_info.flags) & _NAME_UNALLOC
                and meta is not None
                and int(meta.flags) & _META_ALLOC
            )
            kind = _kind_of(tsk_file, meta)
            path_raw = dir_path + b"/" + raw_name
            if kind == "dir":
                if meta_addr and meta_addr not in visited and depth < _MAX_DEPTH and not realloc:
                    visited.add(meta_addr)
                    item = (meta_addr, path_raw, depth + 1, allocated)
                    # Orphans last: a scan for them must know every name first.
                    if path_raw == b"/$OrphanFiles":
                        deferred.append(item)
                    else:
                        subdirs.append(item)
                if meta is not None and not realloc:
                    yield from _stream_entries(tsk_file, meta, path_raw, volume, allocated,
                                               make_locator, check)
                continue
            if kind == "virtual" or (depth == 0 and raw_name.endswith(_VOLUME_LABEL_SUFFIX)):
                continue  # $MBR, $FAT1, the FAT label: TSK inventions, not stored files.
            yield _file_entry(tsk_file, meta, meta_addr, path_raw, volume, allocated, kind,
                              realloc, make_locator, check)
            if kind == "file" and meta is not None and not realloc:
                yield from _stream_entries(tsk_file, meta, path_raw, volume, allocated,
                                           make_locator, check)
        pending.extend(reversed(subdirs))
        if not pending and deferred:
            pending.append(deferred.pop())


_MAX_ORPHAN_SCAN = 1_000_000


class _Check:
    """Per-entry test against a truncated volume (see ``truncation.data_end``)."""

    def __init__(self, extent: Extent, block_size: int):
        self.extent = extent
        self.block_size = block_size

    def __call__(self, tsk_file, attr: list | None) -> str | None:
        try:
            end = data_end(tsk_file, self.block_size, attr)
        except (OSError, RuntimeError) as exc:
            return ("data runs cannot be read from a truncated image, digests not recorded: "
                    f"{_first_line(exc)}")
        return self.extent.beyond(end)


def _is_ext(fs_info) -> bool:
    return bool(int(fs_info.info.ftype) & int(pytsk3.TSK_FS_TYPE_EXT_DETECT))


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def _scan_orphans(fs_info, named: set[int], volume, make_locator,
                  check: _Check | None = None) -> Iterator[FileEntry]:
    """Unallocated, once-used inodes no name points to, as fls shows them."""
    first, last = int(fs_info.info.first_inum), int(fs_info.info.last_inum)
    for inode in range(first, min(last, first + _MAX_ORPHAN_SCAN) + 1):
        if inode in named:
            continue
        try:
            tsk_file = fs_info.open_meta(inode=inode)
            meta = tsk_file.info.meta
        except (OSError, RuntimeError):
            continue
        flags = int(meta.flags) if meta is not None else 0
        if meta is None or flags & _META_ALLOC or not flags & _META_USED:
            continue
        if _kind_of(tsk_file, meta) == "dir":
            continue
        path_raw = b"/$OrphanFiles/OrphanFile-%d" % inode
        yield _file_entry(tsk_file, meta, inode, path_raw, volume, False,
                          _kind_of(tsk_file, meta), False, make_locator, check)


def _file_entry(tsk_file, meta, meta_addr, path_raw, volume, allocated, kind, realloc,
                make_locator, check: _Check | None = None) -> FileEntry:
    path, path_bytes = display_name(path_raw)
    entry = FileEntry(
        file_key=make_key(volume, str(meta_addr), path),
        locator=None,
        path=path,
        volume=volume,
        path_bytes=path_bytes,
        inode=str(meta_addr),
        allocated=allocated,
        kind="file" if kind in ("file", "symlink") else "special",
    )
    if meta is not None:
        for field, value in _meta_times(meta).items():
            setattr(entry, field, value)
    if realloc:
        entry.error = "name only: its metadata entry now belongs to another file"
        entry.extra["realloc"] = True
    elif meta is None:
        entry.error = "name only: no recoverable metadata"
    elif kind == "symlink":
        entry.kind = "symlink"
        entry.extra["note"] = "symbolic link, not followed"
    elif kind != "file":
        entry.error = f"skipped: {kind}"
    else:
        entry.size = int(meta.size)
        entry.locator = make_locator(meta_addr, None)
        if check is not None:
            entry.error = check(tsk_file, None)
    return entry


def _stream_entries(tsk_file, meta, path_raw, volume, allocated, make_locator,
                    check: _Check | None = None):
    for name, attr_type, attr_id, size in _streams(tsk_file):
        address = f"{int(meta.addr)}-{attr_type}-{attr_id}"
        path, path_bytes = display_name(path_raw)
        # $BadClus:$Bad is a sparse stream as large as the volume with no data of its own
        # (TSK and icat return nothing): list it, but do not pretend to read it.
        bad_clusters = path_raw == b"/$BadClus" and name == "$Bad"
        entry = FileEntry(
            file_key=make_key(volume, address, f"{path}:{name}"),
            locator=None if bad_clusters else make_locator(int(meta.addr), [attr_type, attr_id]),
            error="skipped: sparse bad-cluster map, no content" if bad_clusters else None,
            path=f"{path}:{name}",
            volume=volume,
            path_bytes=None if path_bytes is None else path_bytes + b":" + name.encode(),
            inode=address,
            allocated=allocated,
            kind="ads",
            size=size,
            extra={"stream": name},
        )
        for field, value in _meta_times(meta).items():
            setattr(entry, field, value)
        if check is not None and not bad_clusters:
            entry.error = check(tsk_file, [attr_type, attr_id])
        yield entry


class TskStream(io.RawIOBase):
    """Read-only, seekable view of one TSK attribute (or the default stream)."""

    def __init__(self, tsk_file, size: int, attr: list | None, keepalive=None):
        super().__init__()
        self._file = tsk_file
        self._size = size
        self._attr = attr
        self._offset = 0
        self._keepalive = keepalive  # the dfVFS file system owning the FS_Info

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._offset

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._offset, io.SEEK_END: self._size}[whence]
        if base + offset < 0:
            raise OSError("negative seek position")
        self._offset = base + offset
        return self._offset

    def readinto(self, buffer) -> int:
        want = min(len(buffer), self._size - self._offset)
        if want <= 0:
            return 0
        if self._attr is None:
            data = self._file.read_random(self._offset, want)
        else:
            data = self._file.read_random(self._offset, want, self._attr[0], self._attr[1])
        if not data:
            raise OSError(f"short read at offset {self._offset} of {self._size}")
        n = len(data)
        buffer[:n] = data
        self._offset += n
        return n

    def close(self) -> None:
        self._file = None
        self._keepalive = None
        super().close()
