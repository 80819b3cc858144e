"""vPDQ video hashes through Meta's ``vpdq`` package (libav decode + PDQ per sampled frame).

``vpdq.computeHash`` does everything we need (sampling interval, every frame with 0, RGB24
frames at native resolution), so no PyAV fallback is used. It needs a file path, which is why
content.py spools videos to a temporary file.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import vpdq as _vpdq

from .errors import HashingError


@dataclass(frozen=True)
class VideoFrame:
    """One hashed frame: ``pdq`` is 64 lowercase hex chars, ``timestamp`` in seconds."""

    frame_number: int
    timestamp: float
    pdq: str
    quality: int


def vpdq_from_path(path: str | os.PathLike[str], seconds_per_hash: float = 1.0, *,
                   downsample_width: int = 0, downsample_height: int = 0,
                   thread_count: int = 1) -> list[VideoFrame]:
    """vPDQ frames of a video file; ``seconds_per_hash=0`` hashes every frame.

    ``thread_count`` defaults to 1 because the scanner already runs one worker per core
    (0 lets vpdq choose). Corrupt, truncated or frameless videos raise ``HashingError``.
    """
    if seconds_per_hash < 0:
        raise ValueError("seconds_per_hash must be >= 0")
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise HashingError(f"corrupt video: no such file {path!r}")
    try:
        features = _vpdq.computeHash(
            path,
            seconds_per_hash=float(seconds_per_hash),
            downsample_width=downsample_width,
            downsample_height=downsample_height,
            thread_count=thread_count,
        )
    except Exception as exc:  # vpdq raises a bare Exception("Fail to create VPDQ hash")
        raise HashingError(f"corrupt video: {exc}") from exc
    if not features:
        raise HashingError("corrupt video: no decodable frames")
    return [
        VideoFrame(int(f.frame_number), float(f.timestamp), str(f.hex).lower(), int(f.quality))
        for f in features
    ]
