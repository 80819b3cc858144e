"""Thumbnails are re-read from evidence through open_exhibit and the stored locator;
videos become a strip of sampled frames."""

from __future__ import annotations

import io

import av
import pytest
from PIL import Image
from sqlalchemy import select, text

from seawall.grading import thumbnails
from seawall.store.db import session_scope
from seawall.store.models import FileRecord
from tests.datafiles import data_path

from .conftest import picture


class FakeSource:
    opened: list = []

    def __init__(self, paths, kind):
        self.paths, self.kind = paths, kind

    def open(self, locator):
        FakeSource.opened.append((self.paths, self.kind, locator))
        return io.BytesIO(picture(7))

    def close(self):
        pass


def test_evidence_reader_uses_exhibit_and_locator(db_url, ids, monkeypatch):
    import seawall.evidence.registry as registry

    monkeypatch.setattr(registry, "open_exhibit", lambda paths, kind=None: FakeSource(paths, kind))
    with session_scope(db_url) as s:
        record = s.get(FileRecord, ids["dup1"])
        with pytest.raises(thumbnails.ThumbnailError):
            thumbnails.thumbnail_for(s, record, reader=thumbnails.evidence_reader)
        s.execute(text("UPDATE files SET locator = :loc WHERE id = :id"),
                  {"loc": '{"inode": 42}', "id": record.id})
        data = thumbnails.thumbnail_for(s, record, reader=thumbnails.evidence_reader)
    assert FakeSource.opened[-1] == (["/evidence/ex1"], "directory", {"inode": 42})
    assert Image.open(io.BytesIO(data)).mode == "L"


def test_injected_reader_and_clear_variant(db_url, ids):
    with session_scope(db_url) as s:
        record = s.scalar(select(FileRecord).where(FileRecord.id == ids["near"]))
        previous = thumbnails.set_media_reader(lambda _s, _r: picture(3, (800, 600)))
        try:
            clear = Image.open(io.BytesIO(thumbnails.thumbnail_for(s, record, clear=True)))
        finally:
            thumbnails.set_media_reader(previous)
    assert clear.mode == "RGB" and max(clear.size) == 320


def test_undecodable_media_raises():
    with pytest.raises(thumbnails.ThumbnailError):
        thumbnails.render_thumbnail(b"not a picture", "image")


def test_video_strip_of_frames():
    out = io.BytesIO()
    with av.open(out, "w", format="mp4") as container:
        stream = container.add_stream("mpeg4", rate=10)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for i in range(20):
            frame = av.VideoFrame.from_image(Image.new("RGB", (64, 48), (i * 12, 80, 160)))
            container.mux(stream.encode(frame))
        container.mux(stream.encode())
    data = thumbnails.render_thumbnail(out.getvalue(), "video", clear=True, size=128)
    strip = Image.open(io.BytesIO(data))
    assert strip.width > 3 * strip.height  # four frames side by side


def test_video_strip_of_a_damaged_video():
    """Bytes overwritten mid-stream: the strip still shows the frames that decode."""
    data = bytearray(data_path("vpdq", "videos", "doorknob-hd-no-bar.mp4").read_bytes())
    middle = len(data) // 2
    data[middle:middle + 3000] = bytes((i * 37 + 11) % 256 for i in range(3000))
    assert len(thumbnails._video_frames(bytes(data), 64)) >= 3
    strip = Image.open(io.BytesIO(thumbnails.render_thumbnail(bytes(data), "video",
                                                              clear=True, size=128)))
    assert strip.width > 2 * strip.height


def test_shared_sources_open_each_exhibit_once(db_url, ids, monkeypatch):
    """A grading decision checks many files: inside shared_sources() the exhibit is opened
    once and closed at the end of the block."""
    import seawall.evidence.registry as registry

    opened, closed = [], []

    class CountingSource(FakeSource):
        def __init__(self, paths, kind):
            super().__init__(paths, kind)
            opened.append(self)

        def close(self):
            closed.append(self)

    monkeypatch.setattr(registry, "open_exhibit", lambda paths, kind=None: CountingSource(
        paths, kind))
    with session_scope(db_url) as s:
        records = [s.get(FileRecord, ids[n]) for n in ("dup1", "near", "far")]
        for record in records:
            record.locator = {"inode": record.id}
        with thumbnails.shared_sources():
            assert [thumbnails.display_problem(s, r, thumbnails.evidence_reader)
                    for r in records] == [None, None, None]
            assert len(opened) == 1 and closed == []
        assert closed == opened
        thumbnails.display_problem(s, records[0], thumbnails.evidence_reader)
    assert len(opened) == 2 and len(closed) == 2  # outside the block: opened per file
