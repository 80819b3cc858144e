"""The file-system walk: every file of every file system the volume discovery found.

File systems The Sleuth Kit knows are walked with pytsk3 (``tsk_walker``: allocated and
deleted names, NTFS ADS, HFS+ resource forks); the others (APFS, XFS, ...), and any TSK
cannot open, through dfVFS.  Locators name the back-end that reads the file again.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from dfvfs.lib import errors as dfvfs_errors

from seawall.evidence import tsk_walker
from seawall.evidence._common import display_text, make_key, utc_from_dfdatetime
from seawall.evidence.base import FileEntry
from seawall.evidence.disk_image.image import Image
from seawall.evidence.disk_image.specs import TSK_WALKABLE, WHOLE_IMAGE, chain_of, tsk_chain
from seawall.evidence.disk_image.tsk import TskFileSystems

_MAX_DEPTH = 512


class FileSystemWalk:
    def __init__(self, image: Image, tsk: TskFileSystems):
        self.image = image
        self.tsk = tsk
        self.counts: dict[str, int] = {}  # entries listed per file system (by label)

    def entries(self, file_systems: list) -> Iterator[FileEntry]:
        seen: set[str] = set()
        for volume, fs_spec in file_systems:
            label = volume or WHOLE_IMAGE
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
            self.counts[label] = count
            if not count:
                self.image.warnings.append(f"file system in volume {label} listed no files")

    def _walk_file_system(self, volume: str, fs_spec) -> Iterator[FileEntry]:
        if fs_spec.type_indicator in TSK_WALKABLE:
            chain = tsk_chain(fs_spec)
            try:
                fs_info, _, extent = self.tsk.open(chain)
            except (dfvfs_errors.Error, OSError, RuntimeError) as exc:
                # TSK cannot read it (e.g. newer ext4 features): dfVFS without deleted files.
                self.image.warnings.append(
                    f"volume {volume or WHOLE_IMAGE}: The Sleuth Kit cannot open the file "
                    f"system ({exc}); listed through dfVFS without deleted files")
            else:
                def make_locator(inode: int, attr: list | None) -> dict:
                    return {"backend": "tsk", "fs": chain, "inode": inode, "attr": attr}

                yield from tsk_walker.walk(fs_info, volume, make_locator, extent)
                return
        yield from self._walk_dfvfs(volume, fs_spec)

    def _walk_dfvfs(self, volume: str, fs_spec) -> Iterator[FileEntry]:
        try:
            file_system = self.image.open_file_system(fs_spec)
            root = file_system.GetRootFileEntry()
        except (dfvfs_errors.Error, OSError, RuntimeError) as exc:
            self.image.errors.append(f"volume {volume or WHOLE_IMAGE}: cannot open: {exc}")
            return
        pending = [(root, "", 0)]
        while pending:
            directory, dir_path, depth = pending.pop()
            try:
                children = sorted(directory.sub_file_entries, key=lambda e: e.name or "")
            except (dfvfs_errors.Error, OSError, RuntimeError) as exc:
                self.image.warnings.append(f"{volume}{dir_path or '/'}: cannot list: {exc}")
                continue
            subdirs = []
            for child in children:
                path = f"{dir_path}/{display_text(child.name or '')[0]}"
                try:
                    if child.IsDirectory():
                        if depth < _MAX_DEPTH:
                            subdirs.append((child, path, depth + 1))
                        continue
                    yield from self._dfvfs_entries(volume, child, path)
                except (dfvfs_errors.Error, OSError, RuntimeError) as exc:
                    yield FileEntry(file_key=make_key(volume, "", path), locator=None,
                                    path=path, volume=volume, error=f"cannot read: {exc}")
            pending.extend(reversed(subdirs))

    def _dfvfs_entries(self, volume: str, file_entry, path: str) -> Iterator[FileEntry]:
        path_spec = file_entry.path_spec
        inode = None
        for attribute in ("identifier", "inode", "mft_entry"):
            if getattr(path_spec, attribute, None) is not None:
                inode = str(getattr(path_spec, attribute))
                break
        times: dict[str, Any] = {
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
        chain = chain_of(path_spec)
        base.size = file_entry.size
        base.locator = {"backend": "dfvfs", "spec": chain, "stream": ""}
        yield base
        for data_stream in file_entry.data_streams:
            if not data_stream.name:
                continue
            name = data_stream.name
            shown = display_text(name)[0]
            yield FileEntry(
                file_key=make_key(volume, inode or "", f"{path}:{shown}"),
                locator={"backend": "dfvfs", "spec": chain, "stream": name},
                path=f"{path}:{shown}", volume=volume, inode=inode, kind="ads",
                extra={"stream": name}, **times)
