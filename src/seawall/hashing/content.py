"""One-pass per-file analysis: digests, media type, PDQ/EXIF or vPDQ, archive retention.

The scanner calls ``analyse_stream`` once per file. The evidence stream is read exactly once,
in ``chunk_size`` pieces into one reused buffer; every piece goes to MD5, SHA-1 and SHA-256
(hashlib releases the GIL on such buffers) and, depending on what the first piece says the file
is, to one retention sink:

* raster image -> an in-memory buffer (up to ``image_limit``) for PDQ and EXIF;
* video        -> a temporary file (vpdq needs a path); deleted after hashing;
* archive      -> memory up to ``ARCHIVE_MEMORY_LIMIT``, then a temporary file, kept until
                  ``ContentResult.release()`` so the scanner can expand it without re-reading
                  the evidence (``open_retained()``);
* anything else -> nothing retained.

Memory is bounded by ``chunk_size + image_limit + ARCHIVE_MEMORY_LIMIT`` whatever the file size.
"""

from __future__ import annotations

import io
import os
import tempfile
import threading
from dataclasses import dataclass, field
from typing import BinaryIO

from .digests import MultiDigest
from .errors import HashingError
from .exif import camera_info
from .media_type import RASTER_KINDS, SNIFF_BYTES, sniff
from .pdq import DEFAULT_MAX_PIXELS, open_image, pdq_from_image
from .vpdq import VideoFrame, recover_frames, vpdq_from_path

DEFAULT_CHUNK_SIZE = 1 << 20
DEFAULT_IMAGE_LIMIT = 256 << 20
# Archives up to this size stay in memory; larger ones are spooled to disk.
ARCHIVE_MEMORY_LIMIT = 16 << 20

_local = threading.local()


@dataclass
class ContentResult:
    """Everything the scanner records about one file's content.

    Digests are None when the stream could not be read to the end (``error`` says where).
    When only the perceptual step failed, digests are filled and ``error`` says why
    ("corrupt image: ...", "decompression bomb: ...", "corrupt video: ...").
    """

    size: int
    md5: str | None
    sha1: str | None
    sha256: str | None
    mime: str
    media_class: str
    extension_mismatch: bool
    kind: str = "unknown"
    pdq: str | None = None
    pdq_quality: int | None = None
    pdq_dihedral: list[str] | None = None
    pdq_method: str | None = None
    width: int | None = None
    height: int | None = None
    exif: dict[str, str | None] | None = None
    frames: list[VideoFrame] = field(default_factory=list)
    error: str | None = None
    archive_kind: str | None = None

    def __post_init__(self) -> None:
        # Plain attributes, not fields: dataclasses.asdict() (used to store results) must not
        # drag up to ARCHIVE_MEMORY_LIMIT bytes along.
        self._retained_bytes: bytes | None = None
        self._retained_path: str | None = None

    def open_retained(self) -> BinaryIO | None:
        """A new read handle on the retained archive bytes, or None when nothing was kept."""
        if self._retained_bytes is not None:
            return io.BytesIO(self._retained_bytes)
        if self._retained_path is not None:
            return open(self._retained_path, "rb")
        return None

    def release(self) -> None:
        """Drop retained bytes and delete any temporary file (idempotent)."""
        self._retained_bytes = None
        path, self._retained_path = self._retained_path, None
        if path is not None:
            _unlink_quietly(path)

    def __enter__(self) -> ContentResult:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def _unlink_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def _buffer(chunk_size: int) -> memoryview:
    """A per-thread reusable read buffer (a fresh 1 MiB per small file would dominate)."""
    buf = getattr(_local, "buf", None)
    if buf is None or len(buf) != chunk_size:
        buf = memoryview(bytearray(chunk_size))
        _local.buf = buf
    return buf


class _Reader:
    """Fills a buffer completely from ``readinto`` or ``read`` (short reads are legal)."""

    def __init__(self, stream: BinaryIO) -> None:
        self._readinto = getattr(stream, "readinto", None)
        self._read = stream.read

    def fill(self, view: memoryview) -> int:
        want = len(view)
        got = 0
        while got < want:
            if self._readinto is not None:
                n = self._readinto(view[got:])
            else:
                data = self._read(want - got)
                n = len(data) if data else 0
                view[got:got + n] = data or b""
            if not n:
                break
            got += n
        return got


class _Sink:
    """Where retained bytes go: memory first, optionally overflowing to a temp file."""

    def __init__(self, memory_limit: int | None, spool_dir: str | None,
                 overflow_to_disk: bool) -> None:
        self.memory_limit = memory_limit
        self.spool_dir = spool_dir
        self.overflow_to_disk = overflow_to_disk
        self.mem: io.BytesIO | None = io.BytesIO() if memory_limit else None
        self.file: BinaryIO | None = None
        self.path: str | None = None
        self.dropped = False
        if not memory_limit and overflow_to_disk:
            self._open_file()

    def _open_file(self) -> None:
        fd, self.path = tempfile.mkstemp(prefix="seawall-", suffix=".spool", dir=self.spool_dir)
        self.file = os.fdopen(fd, "wb")

    def write(self, data: memoryview) -> None:
        if self.dropped:
            return
        if self.file is not None:
            self.file.write(data)
            return
        assert self.mem is not None and self.memory_limit is not None
        if self.mem.tell() + len(data) <= self.memory_limit:
            self.mem.write(data)
            return
        if self.overflow_to_disk:
            self._open_file()
            assert self.file is not None
            self.file.write(self.mem.getbuffer())
            self.mem = None
            self.file.write(data)
        else:
            self.mem = None
            self.dropped = True

    def close(self) -> None:
        if self.file is not None:
            self.file.close()
            self.file = None

    def discard(self) -> None:
        self.close()
        self.mem = None
        if self.path is not None:
            _unlink_quietly(self.path)
            self.path = None


def analyse_stream(
    stream: BinaryIO,
    name: str,
    *,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    image_limit: int = DEFAULT_IMAGE_LIMIT,
    spool_dir: str | None = None,
    fast_pdq: bool = True,
    video_seconds_per_hash: float = 1.0,
    keep_archives: bool = True,
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> ContentResult:
    """Read ``stream`` once and return digests, type and perceptual hashes (module docstring).

    ``name`` is only used for the extension-mismatch check. The caller owns ``stream`` and must
    call ``release()`` on the result when ``archive_kind`` is set (or use it as a context
    manager) to delete a spooled archive.
    """
    if chunk_size < SNIFF_BYTES:
        raise ValueError(f"chunk_size must be >= {SNIFF_BYTES}")
    view = _buffer(chunk_size)
    reader = _Reader(stream)
    digest = MultiDigest()
    offset = 0
    sink: _Sink | None = None
    try:
        n = reader.fill(view)
    except Exception as exc:  # noqa: BLE001 - any read failure is recorded, never raised
        return _unreadable(0, exc)
    mtype = sniff(view[:min(n, SNIFF_BYTES)], name)
    archive_kind = mtype.archive_kind
    spool_error: str | None = None
    try:
        if mtype.kind in RASTER_KINDS:
            sink = _Sink(image_limit, spool_dir, overflow_to_disk=False)
        elif mtype.media_class == "video":
            sink = _Sink(None, spool_dir, overflow_to_disk=True)
        elif archive_kind and keep_archives:
            sink = _Sink(ARCHIVE_MEMORY_LIMIT, spool_dir, overflow_to_disk=True)
    except OSError as exc:
        spool_error = f"spool error: {exc}; not perceptually hashed or retained"
    while n:
        chunk = view[:n]
        digest.update(chunk)
        if sink is not None:
            try:
                sink.write(chunk)
            except OSError as exc:
                # Our temp disk failing must not cost the file its digests.
                sink.discard()
                sink = None
                spool_error = f"spool error: {exc}; not perceptually hashed or retained"
        offset += n
        if n < chunk_size:
            break  # fill() only returns short at end of stream
        try:
            n = reader.fill(view)
        except Exception as exc:  # noqa: BLE001 - any read failure is recorded, never raised
            if sink is not None:
                sink.discard()
            result = _unreadable(offset, exc)
            result.mime, result.media_class = mtype.mime, mtype.media_class
            result.extension_mismatch, result.kind = mtype.extension_mismatch, mtype.kind
            return result
    d = digest.result()
    result = ContentResult(
        size=d.size, md5=d.md5, sha1=d.sha1, sha256=d.sha256,
        mime=mtype.mime, media_class=mtype.media_class,
        extension_mismatch=mtype.extension_mismatch, kind=mtype.kind,
        archive_kind=archive_kind, error=spool_error,
    )
    if sink is None:
        return result
    try:
        sink.close()
    except OSError as exc:
        sink.discard()
        result.error = f"spool error: {exc}; not perceptually hashed or retained"
        return result
    try:
        if mtype.kind in RASTER_KINDS:
            _image_step(result, sink, image_limit, fast_pdq, max_pixels)
        elif mtype.media_class == "video":
            _video_step(result, sink, video_seconds_per_hash)
        else:
            if sink.mem is not None:
                result._retained_bytes = sink.mem.getvalue()
            else:
                result._retained_path = sink.path
                sink.path = None  # ownership moves to the result
    finally:
        sink.discard()
    return result


def _unreadable(offset: int, exc: BaseException) -> ContentResult:
    return ContentResult(
        size=offset, md5=None, sha1=None, sha256=None,
        mime="application/octet-stream", media_class="other", extension_mismatch=False,
        error=f"read error at offset {offset}: {type(exc).__name__}: {exc}; "
              "content not read completely, digests not recorded",
    )


def _image_step(result: ContentResult, sink: _Sink, image_limit: int, fast: bool,
                max_pixels: int) -> None:
    if sink.dropped or sink.mem is None:
        result.error = (f"image too large: {result.size} bytes exceeds image_limit "
                        f"{image_limit}; not perceptually hashed")
        return
    sink.mem.seek(0)
    try:
        with open_image(sink.mem, max_pixels=max_pixels) as im:
            result.width, result.height = im.size
            result.exif = camera_info(im)
            pdq = pdq_from_image(im, fast=fast, max_pixels=max_pixels)
    except HashingError as exc:
        result.error = str(exc)
        return
    result.pdq, result.pdq_quality = pdq.hash, pdq.quality
    result.pdq_dihedral, result.pdq_method = pdq.dihedral, pdq.method


# The error of a video hashed only in part (its frames are stored; it can still be matched
# and graded): the grading queue recognises it by this prefix.
DAMAGED_VIDEO = "damaged video"

# The audio type of a container sniffed as video that turns out to hold only sound.
_AUDIO_MIME = {"video/mp4": "audio/mp4", "video/quicktime": "audio/mp4",
               "video/3gpp": "audio/3gpp", "video/webm": "audio/webm",
               "video/x-matroska": "audio/x-matroska", "video/ogg": "audio/ogg"}


def _video_step(result: ContentResult, sink: _Sink, seconds_per_hash: float) -> None:
    assert sink.path is not None
    try:
        result.frames = vpdq_from_path(sink.path, seconds_per_hash)
        return
    except HashingError as exc:
        failure = str(exc)
    try:
        recovered = recover_frames(sink.path, seconds_per_hash)
    except HashingError as exc:
        result.error = f"{failure}: {exc}"
        return
    if not recovered.video_streams:
        if recovered.audio_streams:  # e.g. an .m4a: sound, not a broken video
            result.mime = _AUDIO_MIME.get(result.mime, result.mime)
            result.media_class = "audio"
        else:
            result.error = f"{failure}: the container holds no video stream"
        return
    problem = f" (first: {recovered.first_problem})" if recovered.first_problem else ""
    if not recovered.frames:
        result.error = f"{failure}: no decodable frames{problem}"
        return
    result.frames = recovered.frames
    result.error = (
        f"{DAMAGED_VIDEO}: Meta's vpdq could not hash it; {len(recovered.frames)} sampled "
        f"frames hashed from the {recovered.decoded} frames that decode, "
        f"{recovered.bad_packets} damaged packets skipped{problem}")


def analyse_path(path: str | os.PathLike[str], name: str | None = None,
                 **kwargs: object) -> ContentResult:
    """``analyse_stream`` on a local file (tests, tools)."""
    with open(path, "rb", buffering=0) as f:
        return analyse_stream(f, name or os.fspath(path), **kwargs)  # type: ignore[arg-type]
