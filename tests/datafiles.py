"""The test data bundled with the suite under tests/data/ (sources and licences: its README.md).

Every test reaches a data file through ``data_path``. A missing file is an error, never a
skip: a clone that lacks part of tests/data must fail loudly, not pass with tests left out.

Disk images that are mostly zeros are stored gzipped (``NAME.gz``, 4 MiB → a few KiB) to keep
the checkout small; ``data_path("images", "mbr.raw")`` unpacks such a file once into a
read-only cache outside the repository and checks it against the SHA-256 that SHA256SUMS
gives for the unpacked name, so tests see exactly the published image.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import tempfile
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"
COMPRESSED_SUFFIX = ".gz"


def manifest() -> dict[str, str]:
    """SHA256SUMS as {relative name: sha256}; unpacked names of gzipped files included."""
    rows = (DATA_DIR / "SHA256SUMS").read_text(encoding="utf-8").splitlines()
    return {name: digest for digest, name in (row.split("  ", 1) for row in rows)}


def _unpacked(packed: Path, name: str) -> Path:
    expected = manifest().get(name)
    if expected is None:
        raise FileNotFoundError(f"{packed} has no SHA-256 for {name} in tests/data/SHA256SUMS")
    cache = Path(tempfile.gettempdir()) / f"seawall-testdata-{os.getuid()}" / expected[:16]
    target = cache / Path(name).name
    if target.exists():
        return target
    cache.mkdir(parents=True, exist_ok=True)
    partial = cache / f".{target.name}.{os.getpid()}"
    digest = hashlib.sha256()
    with gzip.open(packed, "rb") as src, open(partial, "wb") as dst:
        while chunk := src.read(1 << 20):
            digest.update(chunk)
            dst.write(chunk)
    if digest.hexdigest() != expected:
        partial.unlink()
        raise ValueError(f"{packed} does not unpack to the SHA-256 recorded for {name}")
    partial.chmod(0o444)  # evidence: read-only, as the originals are treated
    os.replace(partial, target)  # atomic: concurrent test processes never see half a file
    return target


def data_path(*parts: str) -> Path:
    """``tests/data/<parts...>`` (unpacked if stored gzipped); raises when it is not there."""
    path = DATA_DIR.joinpath(*parts)
    if path.exists():
        return path
    packed = path.with_name(path.name + COMPRESSED_SUFFIX)
    if packed.exists():
        return _unpacked(packed, path.relative_to(DATA_DIR).as_posix())
    raise FileNotFoundError(f"bundled test data missing: {path} (see tests/data/README.md)")


def stored_name(name: str) -> str:
    """The name under which ``name`` is stored in tests/data (``NAME.gz`` when gzipped)."""
    return name if (DATA_DIR / name).exists() else name + COMPRESSED_SUFFIX


__all__ = ["DATA_DIR", "data_path", "manifest", "stored_name"]
