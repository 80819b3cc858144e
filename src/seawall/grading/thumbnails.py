"""Server-side thumbnails of media, re-read from the evidence (never a stored copy).

``thumbnail_for(session, file_record)`` returns a JPEG that is blurred and greyscale by default
(``clear=True`` only after an audited reveal).  Videos become a strip of sampled frames; no
audio is ever sent.  Originals are read through a *media reader*
``reader(session, file_record) -> bytes``; the default opens the exhibit with
``seawall.evidence.registry.open_exhibit`` and reads the file with its stored locator, or, for
an archive member (which has none), through its containing archives as the scan did
(:func:`seawall.scan.reread.read_recorded`).  Tests and tools inject another reader with
``set_media_reader`` or the ``reader`` argument.

:func:`display_problem` says why a file cannot be shown; grading refuses such files, since
nobody may grade what nobody could see.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from PIL import Image, ImageFilter, ImageOps
from sqlalchemy import JSON, Integer, column, select, table
from sqlalchemy.orm import Session

from seawall.errors import InvalidInput
from seawall.store.models import FileRecord

MediaReader = Callable[[Session, FileRecord], bytes]

MAX_MEDIA_BYTES = 1 << 30  # larger originals are not thumbnailed in memory
MAX_ARCHIVE_NESTING = 32  # far beyond the scan's own limit (ArchiveLimits.max_depth)
VIDEO_FRAMES = 4
DISPLAY_CHECK_SIZE = 64

_reader: MediaReader | None = None
# Exhibits opened for the current shared_sources() block, by (paths, source kind).
_shared_sources: ContextVar[dict | None] = ContextVar("seawall_shared_sources", default=None)
# The files table's locator column (JSON, as the scanner stores it), typed for decoding.
_FILES_LOCATOR = table("files", column("id", Integer), column("locator", JSON))


class ThumbnailError(InvalidInput):
    """The original could not be read or decoded."""


def set_media_reader(reader: MediaReader | None) -> MediaReader | None:
    """Install a process-wide media reader (None restores the evidence reader); returns the
    previous one."""
    global _reader
    previous, _reader = _reader, reader
    return previous


def _locator(session: Session, record: FileRecord):
    locator = getattr(record, "locator", None)
    if locator is not None:
        return locator
    # The files table has a locator column the model does not map yet: read it directly.
    try:
        return session.execute(select(_FILES_LOCATOR.c.locator)
                               .where(_FILES_LOCATOR.c.id == record.id)).scalar()
    except Exception as exc:  # noqa: BLE001 - any database error means "no locator"
        raise ThumbnailError("this database stores no locators") from exc


def _containers(session: Session, record: FileRecord) -> list[FileRecord]:
    """``record`` and the archives holding it, outermost (a file of the exhibit) first."""
    chain = [record]
    while chain[0].kind == "archive_member":
        if len(chain) > MAX_ARCHIVE_NESTING:
            raise ThumbnailError(f"file {record.id} is nested in too many archives")
        parent = session.scalar(select(FileRecord).where(
            FileRecord.exhibit_id == record.exhibit_id,
            FileRecord.file_key == chain[0].parent_key))
        if parent is None:
            raise ThumbnailError(f"file {record.id}: its containing archive is not recorded")
        chain.insert(0, parent)
    return chain


@contextmanager
def shared_sources() -> Iterator[None]:
    """Within the block, :func:`evidence_reader` opens each exhibit once instead of once per
    file (a grading decision checks many files of one exhibit, and opening a disk image
    costs more than reading a picture); they are closed when the block ends."""
    opened: dict = {}
    token = _shared_sources.set(opened)
    try:
        yield
    finally:
        _shared_sources.reset(token)
        for source in opened.values():
            source.close()


def evidence_reader(session: Session, record: FileRecord) -> bytes:
    """Read the original bytes of ``record`` from its exhibit, read-only."""
    from seawall.evidence.base import EvidenceError
    from seawall.evidence.registry import open_exhibit
    from seawall.scan.reread import RecordedFile, read_recorded

    if record.size is not None and record.size > MAX_MEDIA_BYTES:
        raise ThumbnailError(f"file {record.id} is too large to thumbnail")
    chain = [RecordedFile(r.file_key, r.path, r.volume, _locator(session, r))
             for r in _containers(session, record)]
    if chain[0].locator is None:
        raise ThumbnailError(f"file {record.id} has no locator")
    exhibit = record.exhibit
    key = (tuple(exhibit.identity["paths"]), exhibit.source_kind)
    shared = _shared_sources.get()
    try:
        source = shared.get(key) if shared is not None else None
        if source is None:
            source = open_exhibit(list(key[0]), kind=key[1])
            if shared is not None:
                shared[key] = source
        try:
            return read_recorded(source, chain, max_bytes=MAX_MEDIA_BYTES)
        finally:
            if shared is None:
                source.close()
    except (EvidenceError, OSError) as exc:
        raise ThumbnailError(f"file {record.id} cannot be read from the evidence: {exc}") \
            from exc


def read_media(session: Session, record: FileRecord, reader: MediaReader | None = None) -> bytes:
    return (reader or _reader or evidence_reader)(session, record)


def _fit(image: Image.Image, size: int) -> Image.Image:
    image = ImageOps.exif_transpose(image)
    image = image.convert("RGB")
    image.thumbnail((size, size))
    return image


def _video_frames(data: bytes, size: int) -> list[Image.Image]:
    import av

    from seawall.hashing.vpdq import decodable_frames

    frames = []
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.video[0]
        total = stream.frames or 0
        if total <= 0 and stream.duration and stream.average_rate and stream.time_base:
            total = int(stream.duration * stream.time_base * stream.average_rate)
        wanted = ({int(total * (i + 0.5) / VIDEO_FRAMES) for i in range(VIDEO_FRAMES)}
                  if total > 0 else set(range(VIDEO_FRAMES)))
        # Past damaged packets, as the frame hashes were (hashing.vpdq.recover_frames).
        for index, frame in enumerate(decodable_frames(container, stream)):
            if index in wanted:
                frames.append(_fit(frame.to_image(), size))
            if len(frames) >= VIDEO_FRAMES or index > max(wanted):
                break
    return frames


def _strip(frames: list[Image.Image]) -> Image.Image:
    height = max(f.height for f in frames)
    strip = Image.new("RGB", (sum(f.width for f in frames) + 4 * (len(frames) - 1), height))
    x = 0
    for frame in frames:
        strip.paste(frame, (x, (height - frame.height) // 2))
        x += frame.width + 4
    return strip


def obscure(image: Image.Image) -> Image.Image:
    """Greyscale and blur hard enough that content is not recognisable, only its layout."""
    grey = image.convert("L")
    small = grey.resize((max(1, grey.width // 16), max(1, grey.height // 16)),
                        Image.Resampling.BILINEAR)
    return small.resize(grey.size, Image.Resampling.BILINEAR).filter(
        ImageFilter.GaussianBlur(max(4, min(grey.size) // 20)))


def render_thumbnail(data: bytes, media_class: str | None, *, clear: bool = False,
                     size: int = 320) -> bytes:
    """JPEG thumbnail of original bytes (a frame strip for videos)."""
    try:
        if media_class == "video":
            frames = _video_frames(data, size // 2)
            if not frames:
                raise ThumbnailError("no decodable video frames")
            image = _strip(frames)
        else:
            with Image.open(io.BytesIO(data)) as original:
                original.draft("RGB", (size, size))  # fast JPEG decode at reduced size
                image = _fit(original, size)
    except ThumbnailError:
        raise
    except Exception as exc:  # noqa: BLE001 - any decoder failure
        raise ThumbnailError(f"cannot decode media: {exc}") from exc
    if not clear:
        image = obscure(image)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


def thumbnail_for(session: Session, file_record: FileRecord, *, clear: bool = False,
                  size: int = 320, reader: MediaReader | None = None) -> bytes:
    """JPEG thumbnail of ``file_record`` (blurred and greyscale unless ``clear``)."""
    data = read_media(session, file_record, reader)
    return render_thumbnail(data, file_record.media_class, clear=clear, size=size)


def display_problem(session: Session, file_record: FileRecord,
                    reader: MediaReader | None = None) -> str | None:
    """Why ``file_record`` cannot be shown to a grader (None when its thumbnail can be
    made): the same read and decode as the thumbnail, at a small size."""
    try:
        thumbnail_for(session, file_record, size=DISPLAY_CHECK_SIZE, reader=reader)
    except ThumbnailError as exc:
        return str(exc)
    return None
