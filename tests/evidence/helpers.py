"""Evidence test helpers: the bundled test images (tests/data/images), TSK ground truth and
small tar archives built in memory."""

from __future__ import annotations

import hashlib
import io
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest

from tests.datafiles import data_path


def image(name: str) -> Path:
    """Path of a bundled test image (tests/data/images/<name>)."""
    return data_path("images", name)


def tar_bytes(members: dict[str, bytes]) -> bytes:
    """A tar archive holding ``members`` (name -> content)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def need_tool(name: str) -> str:
    tool = shutil.which(name)
    if not tool:
        pytest.skip(f"{name} not installed")
    return tool


def md5_of(stream) -> str:
    digest = hashlib.md5()
    while data := stream.read(1 << 20):
        digest.update(data)
    return digest.hexdigest()


def tsk_truth(images: list[Path], offset: int | None = None) -> dict[str, tuple[bool, str | None]]:
    """{"/path": (deleted, md5 or None)} for every regular file ``fls -r -p`` lists with content.

    Skips TSK's virtual files ($MBR, $FAT1, the FAT volume label), NTFS index attributes
    and deleted names whose metadata was reallocated (their content is another file's).
    """
    need_tool("fls")
    need_tool("icat")
    offset_args = ["-o", str(offset)] if offset is not None else []
    image_args = [str(p) for p in images]
    listing = subprocess.run(["fls", "-r", "-p", *offset_args, *image_args],
                             capture_output=True, check=True).stdout
    truth = {}
    for line in listing.decode("utf-8", "backslashreplace").splitlines():
        head, _, path = line.partition(":\t")
        fields = head.split()
        if len(fields) < 2 or not fields[0].endswith("/r") or fields[0].startswith("v"):
            continue
        if "(realloc)" in path or path.endswith("(Volume Label Entry)"):
            continue
        deleted = fields[1] == "*"
        address = fields[-1]
        if "-144-" in address:
            continue  # NTFS index attributes ($O, $SDH...): metadata, not data streams
        result = subprocess.run(["icat", *offset_args, *image_args, address],
                                capture_output=True)
        # icat itself fails on some NTFS orphans (no $DATA): no content to compare.
        md5 = hashlib.md5(result.stdout).hexdigest() if result.returncode == 0 else None
        truth["/" + path] = (deleted, md5)
    return truth
