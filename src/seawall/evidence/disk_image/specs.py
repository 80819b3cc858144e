"""dfVFS path-spec helpers shared by the disk-image modules: which layer types are volumes,
media or byte-for-byte linear, chains that locators store, volume names."""

from __future__ import annotations

import os
import stat

import pytsk3
from dfvfs.lib import definitions
from dfvfs.path import factory as path_spec_factory

OS = definitions.TYPE_INDICATOR_OS
# File systems whose dfVFS back-end sits on a volume TSK can also open; TSK lists deleted
# names and is what examiners cross-check with (fls/icat).
TSK_WALKABLE = {
    definitions.TYPE_INDICATOR_TSK,
    definitions.TYPE_INDICATOR_NTFS,
    definitions.TYPE_INDICATOR_FAT,
    definitions.TYPE_INDICATOR_EXT,
    definitions.TYPE_INDICATOR_HFS,
}
# Path-spec types that name a volume; their location ("/p1", "/apfs1") becomes the name.
VOLUME_TYPES = {
    definitions.TYPE_INDICATOR_TSK_PARTITION,
    definitions.TYPE_INDICATOR_GPT,
    definitions.TYPE_INDICATOR_APM,
    definitions.TYPE_INDICATOR_APFS_CONTAINER,
    definitions.TYPE_INDICATOR_LVM,
    definitions.TYPE_INDICATOR_VSHADOW,
    definitions.TYPE_INDICATOR_CS,
}
TSK_FS_TYPES = {
    int(getattr(pytsk3, name)): name.removeprefix("TSK_FS_TYPE_")
    for name in dir(pytsk3)
    if name.startswith("TSK_FS_TYPE_") and not name.endswith(("_DETECT", "_ENUM"))
}
CHUNK = 1 << 20
# Layers that map a volume onto the raw image byte for byte and in order: on them a read
# past the end of the image comes back empty, so the bytes present can be measured.
LINEAR_TYPES = {
    OS,
    definitions.TYPE_INDICATOR_RAW,
    definitions.TYPE_INDICATOR_TSK_PARTITION,
    definitions.TYPE_INDICATOR_GPT,
    definitions.TYPE_INDICATOR_APM,
}
MEDIA_TYPES = set(definitions.STORAGE_MEDIA_IMAGE_TYPE_INDICATORS) | {
    definitions.TYPE_INDICATOR_RAW}
WHOLE_IMAGE = "(whole image)"  # label of a file system that is not in a named volume

# Disk-image containers dfVFS has no back-end for, by signature: (offset, magic, name).
_UNSUPPORTED_CONTAINERS = (
    (0x40, b"\x7f\x10\xda\xbe", "VirtualBox VDI disk image"),
    (0, b"WithoutFreeSpace", "Parallels disk image"),
    (0, b"WithouFreSpacExt", "Parallels disk image"),
)


def unsupported_container(path: str) -> str | None:
    try:
        with open(path, "rb") as f:
            head = f.read(0x48)
    except OSError:
        return None
    for offset, magic, name in _UNSUPPORTED_CONTAINERS:
        if head[offset:offset + len(magic)] == magic:
            return name
    return None


def chain_of(path_spec) -> list:
    """The path-spec chain above the image file, bottom first, as JSON-ready lists."""
    chain = []
    while path_spec is not None and path_spec.type_indicator != OS:
        attributes = path_spec.CopyToDict()
        attributes.pop("parent", None)
        chain.append([path_spec.type_indicator, attributes])
        path_spec = path_spec.parent
    chain.reverse()
    return chain


def spec_from_chain(root_spec, chain: list):
    path_spec = root_spec
    for type_indicator, attributes in chain:
        path_spec = path_spec_factory.Factory.NewPathSpec(
            type_indicator, parent=path_spec, **attributes)
    return path_spec


def tsk_chain(fs_spec) -> list:
    """The chain of a TSK file system on the volume under ``fs_spec``."""
    return chain_of(path_spec_factory.Factory.NewPathSpec(
        definitions.TYPE_INDICATOR_TSK, location="/", parent=fs_spec.parent))


def volume_name(path_spec) -> str:
    names = []
    while path_spec is not None:
        location = getattr(path_spec, "location", None)
        if path_spec.type_indicator in VOLUME_TYPES and location:
            names.append(location.strip("/"))
        path_spec = path_spec.parent
    return "/".join(reversed(names))


def is_linear(path_spec) -> bool:
    """True when every layer down to the image file is a raw image or a plain partition."""
    while path_spec is not None:
        if path_spec.type_indicator not in LINEAR_TYPES:
            return False
        path_spec = path_spec.parent
    return True


def volume_offset(path_spec, file_object) -> int | None:
    """Start of a partition within the media (dfVFS keeps it in the file object)."""
    if path_spec.type_indicator in MEDIA_TYPES or path_spec.type_indicator == OS:
        return 0
    for attribute in ("_range_offset", "_partition_offset"):
        value = getattr(file_object, attribute, None)
        if isinstance(value, int) and value >= 0:
            return value
    return None


def text(value) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def is_block_device(path: str) -> bool:
    try:
        return stat.S_ISBLK(os.stat(path).st_mode)
    except OSError:
        return False
