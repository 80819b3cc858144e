"""On-disk layout shared by Seawall's indexes: a folder of ``.npy`` arrays plus
``meta.json``, written atomically and memory-mapped when read."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np


def save_index(path: str | Path, arrays: dict[str, np.ndarray], meta: dict) -> Path:
    """Write ``arrays`` (name -> array) and ``meta`` into the folder ``path`` atomically
    (temporary folder + rename), so a reader never sees half an index."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=path.parent))
    try:
        for name, array in arrays.items():
            np.save(tmp / f"{name}.npy", np.asarray(array))
        (tmp / "meta.json").write_text(json.dumps(meta))
        if path.exists():
            shutil.rmtree(path)
        os.replace(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return path


def read_meta(path: Path, format_name: str, format_version: int) -> dict:
    """The index's metadata; ValueError if the folder holds another format or version."""
    meta = json.loads((path / "meta.json").read_text())
    if meta.get("format") != format_name or meta.get("version") != format_version:
        raise ValueError(f"{path}: not a {format_name} v{format_version} index")
    return meta


def load_array(path: Path, name: str, mmap: bool = True) -> np.ndarray:
    return np.load(path / f"{name}.npy", mmap_mode="r" if mmap else None)
