"""A folder (or one loose file) as an exhibit, read without changing it."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from typing import BinaryIO

from seawall.evidence._common import display_name, make_key, utc_from_posix
from seawall.evidence.base import EvidenceError, EvidenceSource, FileEntry
from seawall.evidence.registry import SOURCES

_SPECIAL_KINDS = (
    (stat.S_ISFIFO, "FIFO"),
    (stat.S_ISSOCK, "socket"),
    (stat.S_ISCHR, "character device"),
    (stat.S_ISBLK, "block device"),
)
# O_NOATIME keeps access times intact; O_NOFOLLOW and O_NONBLOCK make sure a file swapped
# for a symlink or FIFO after listing can neither redirect nor hang the read.
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
_O_NOATIME = getattr(os, "O_NOATIME", 0)


def _open_readonly(path: bytes) -> BinaryIO:
    """Open a regular file read-only without updating its access time where permitted."""
    fd = -1
    if _O_NOATIME:
        try:
            fd = os.open(path, _OPEN_FLAGS | _O_NOATIME)
        except PermissionError:
            fd = -1  # O_NOATIME needs file ownership (or CAP_FOWNER): retry without it.
    if fd < 0:
        fd = os.open(path, _OPEN_FLAGS)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise EvidenceError(f"not a regular file: {path!r}")
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


@SOURCES.register
class DirectorySource(EvidenceSource):
    """Walks a folder in sorted order with bytes paths; never follows symbolic links."""

    NAME = "directory"
    PRIORITY = 90

    def __init__(self, paths: list[str]):
        super().__init__(paths)
        if len(self.paths) != 1:
            raise EvidenceError("a directory exhibit is exactly one folder or file")
        self._root = os.fsencode(os.path.abspath(self.paths[0]))

    @classmethod
    def accepts(cls, paths: list[str]) -> bool:
        if len(paths) != 1:
            return False
        try:
            mode = os.stat(paths[0]).st_mode
        except OSError:
            return False
        return stat.S_ISDIR(mode) or stat.S_ISREG(mode)

    def iter_entries(self) -> Iterator[FileEntry]:
        try:
            root_stat = os.lstat(self._root)
        except OSError as exc:
            raise EvidenceError(f"cannot read exhibit {self.paths[0]!r}: {exc}") from exc
        if not stat.S_ISDIR(root_stat.st_mode):
            name = os.path.basename(self._root)
            yield self._entry(b"/" + name, b"", root_stat)
            return
        visited = {(root_stat.st_dev, root_stat.st_ino)}
        yield from self._walk_dir(b"", visited)

    def _walk_dir(self, start: bytes, visited: set) -> Iterator[FileEntry]:
        # Explicit stack instead of recursion: arbitrarily deep trees must not crash.
        pending = [start]
        while pending:
            rel_dir = pending.pop()
            try:
                children = self._list_dir(rel_dir)
            except OSError as exc:
                yield self._error_entry(rel_dir or b"/", "directory",
                                        f"unreadable directory: {exc}")
                continue
            subdirs = []
            for name, st in children:
                rel = rel_dir + b"/" + name
                if isinstance(st, OSError):
                    yield self._error_entry(rel, "file", f"cannot stat: {st}")
                elif stat.S_ISDIR(st.st_mode):
                    ident = (st.st_dev, st.st_ino)
                    if ident in visited:  # bind mounts can make a folder contain itself
                        yield self._error_entry(rel, "directory", "directory loop, not entered")
                    else:
                        visited.add(ident)
                        subdirs.append(rel)
                else:
                    yield self._entry(rel, rel, st)
            # Reverse so that popping from the end visits folders in sorted order.
            pending.extend(reversed(subdirs))

    def _list_dir(self, rel_dir: bytes) -> list[tuple[bytes, os.stat_result | OSError]]:
        result = []
        with os.scandir(self._root + rel_dir) as it:
            for dir_entry in it:
                try:
                    st: os.stat_result | OSError = dir_entry.stat(follow_symlinks=False)
                except OSError as exc:
                    st = exc
                result.append((dir_entry.name, st))
        result.sort(key=lambda item: item[0])
        return result

    def _entry(self, display_rel: bytes, rel: bytes, st: os.stat_result) -> FileEntry:
        path, path_bytes = display_name(display_rel)
        entry = FileEntry(
            file_key=self._key(display_rel, path, path_bytes),
            locator={"rel": rel.hex()},
            path=path,
            path_bytes=path_bytes,
            inode=str(st.st_ino),
            mtime=utc_from_posix(st.st_mtime_ns // 10**9, st.st_mtime_ns % 10**9),
            atime=utc_from_posix(st.st_atime_ns // 10**9, st.st_atime_ns % 10**9),
            ctime=utc_from_posix(st.st_ctime_ns // 10**9, st.st_ctime_ns % 10**9),
            extra={"mode": stat.filemode(st.st_mode)},
        )
        mode = st.st_mode
        if stat.S_ISREG(mode):
            entry.size = st.st_size
        elif stat.S_ISLNK(mode):
            entry.kind = "symlink"
            entry.locator = None
            entry.extra["note"] = "symbolic link, not followed"
            try:
                entry.extra["target"] = display_name(os.readlink(self._root + rel))[0]
            except OSError:
                pass
        else:
            entry.kind = "special"
            entry.locator = None
            label = next((name for test, name in _SPECIAL_KINDS if test(mode)), "special file")
            entry.error = f"skipped: {label}"
        return entry

    def _error_entry(self, rel: bytes, kind: str, error: str) -> FileEntry:
        path, path_bytes = display_name(rel)
        return FileEntry(
            file_key=self._key(rel, path, path_bytes),
            locator=None,
            path=path,
            path_bytes=path_bytes,
            kind=kind,
            error=error,
        )

    @staticmethod
    def _key(rel: bytes, path: str, path_bytes: bytes | None) -> str:
        # Undecodable names get a hex key so that "\x80" typed literally and byte 0x80 differ.
        return make_key(path) if path_bytes is None else make_key("hex:" + rel.hex())

    def open(self, locator: object) -> BinaryIO:
        if not isinstance(locator, dict) or "rel" not in locator:
            raise EvidenceError(f"bad directory locator {locator!r}")
        try:
            rel = bytes.fromhex(locator["rel"])
        except (TypeError, ValueError) as exc:
            raise EvidenceError(f"bad directory locator {locator!r}") from exc
        if b"/.." in rel or (rel and not rel.startswith(b"/")):
            raise EvidenceError("locator escapes the exhibit")
        try:
            return _open_readonly(self._root + rel)
        except OSError as exc:
            raise EvidenceError(f"cannot open {os.fsdecode(rel)!r}: {exc}") from exc

    def describe(self) -> dict:
        info: dict = {"paths": self.paths, "kind": self.NAME, "warnings": []}
        try:
            st = os.stat(self._root)
            info["is_directory"] = stat.S_ISDIR(st.st_mode)
            if stat.S_ISREG(st.st_mode):
                info["size"] = st.st_size
        except OSError as exc:
            info["warnings"].append(f"cannot stat exhibit: {exc}")
        return info
