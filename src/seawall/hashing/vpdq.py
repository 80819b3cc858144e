"""vPDQ video hashes through Meta's ``vpdq`` package (libav decode + PDQ per sampled frame).

``vpdq.computeHash`` does everything we need (sampling interval, every frame with 0, RGB24
frames at native resolution). It needs a file path, which is why content.py spools videos
to a temporary file.

When vpdq fails it keeps nothing: one packet the decoder refuses (a damaged or partly
overwritten file, common among recovered deleted files) loses every frame hash.
``recover_frames`` then does vpdq's own sampling with PyAV and ``pdq_fast`` (frame *n* of
the decoded sequence is hashed when ``n % int(seconds_per_hash * fps) == 0``, at native size
in RGB24, timestamp ``n / fps``: filehasher.cpp), decoding packet by packet and skipping
the ones the decoder refuses. On undamaged videos it gives vpdq's frame numbers, timestamps,
hashes and qualities exactly (tests/hashing/test_vpdq.py). It also tells an audio-only
MP4/Matroska file, which vpdq cannot tell from a broken video, from a video.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import vpdq as _vpdq

from . import pdq_fast
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


@dataclass(frozen=True)
class RecoveredVideo:
    """What ``recover_frames`` could read."""

    frames: list[VideoFrame]
    video_streams: int
    audio_streams: int
    decoded: int  # frames decoded
    bad_packets: int  # packets the decoder refused (skipped)
    first_problem: str | None


def recover_frames(path: str | os.PathLike[str], seconds_per_hash: float = 1.0
                   ) -> RecoveredVideo:
    """vPDQ frames of the first video stream by PyAV, past damaged packets (see the module
    docstring).  Raises ``HashingError`` when the container itself cannot be read."""
    import av  # only on this slow path: PyAV's import costs ~0.1 s per worker

    try:
        container = av.open(os.fspath(path))
    except (av.error.FFmpegError, OSError, ValueError, IndexError) as exc:
        # (strerror: without the temporary spool file's name, which means nothing later)
        raise HashingError(f"the container cannot be read ({_reason(exc)})") from exc
    with container:
        videos, audios = container.streams.video, container.streams.audio
        if not videos:
            return RecoveredVideo([], 0, len(audios), 0, 0, None)
        stream = videos[0]
        stream.codec_context.thread_count = 1  # one worker per core already
        fps = float(stream.average_rate or stream.guessed_rate or 0)
        frame_mod = max(int(seconds_per_hash * fps), 1) if seconds_per_hash > 0 else 1
        frames: list[VideoFrame] = []
        damaged: list[BaseException] = []
        decoded, demux_problem = 0, None
        try:
            for frame in decodable_frames(container, stream, damaged):
                if decoded % frame_mod == 0:
                    digest, quality, _ = pdq_fast.pdq_from_rgb_fast(
                        frame.to_ndarray(format="rgb24"), dihedral=False)
                    frames.append(VideoFrame(decoded, decoded / fps if fps else 0.0,
                                             digest, quality))
                decoded += 1
        except (av.error.FFmpegError, OSError, ValueError) as exc:  # the demuxer gave up
            demux_problem = _reason(exc)
        first_problem = _reason(damaged[0]) if damaged else demux_problem
        return RecoveredVideo(frames, len(videos), len(audios), decoded, len(damaged),
                              first_problem)


def decodable_frames(container, stream, damaged: list[BaseException] | None = None):
    """The frames of ``stream``, decoded packet by packet, skipping each packet the decoder
    refuses (appended to ``damaged``), where vpdq and ``container.decode`` stop for good."""
    import av

    for packet in container.demux(stream):
        try:
            frames = packet.decode()
        except (av.error.FFmpegError, ValueError) as exc:
            if damaged is not None:
                damaged.append(exc)
            continue
        yield from frames


def _reason(exc: BaseException) -> str:
    return getattr(exc, "strerror", None) or str(exc)
