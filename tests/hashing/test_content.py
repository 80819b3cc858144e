"""The one-pass analyser: each byte read once, digests, PDQ/vPDQ, retention, errors."""

from __future__ import annotations

import hashlib
import io
import os
import tarfile
import zipfile
from pathlib import Path

import pytest

from seawall.hashing import analyse_stream, pdq_from_bytes
from seawall.hashing import content as content_mod


class CountingStream(io.RawIOBase):
    """Wraps bytes; records every byte handed out and refuses to seek (proves one pass)."""

    def __init__(self, data: bytes, fail_at: int | None = None, short: int | None = None):
        self._data = memoryview(data)
        self.pos = 0
        self.bytes_read = 0
        self.calls = 0
        self._fail_at = fail_at
        self._short = short  # return at most this many bytes per call, as pipes may

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def seek(self, *args: object) -> int:
        raise AssertionError("analyse_stream must not seek")

    def readinto(self, b: memoryview) -> int:  # type: ignore[override]
        self.calls += 1
        if self._fail_at is not None and self.pos >= self._fail_at:
            raise OSError(5, "Input/output error")
        n = min(len(b), len(self._data) - self.pos)
        if self._short:
            n = min(n, self._short)
        if self._fail_at is not None:
            n = min(n, self._fail_at - self.pos)
        b[:n] = self._data[self.pos:self.pos + n]
        self.pos += n
        self.bytes_read += n
        return n


class ReadOnlyStream:
    """A file-like with only read() (like some evidence readers)."""

    def __init__(self, data: bytes) -> None:
        self._bio = io.BytesIO(data)
        self.bytes_read = 0

    def read(self, n: int = -1) -> bytes:
        out = self._bio.read(n)
        self.bytes_read += len(out)
        return out


def _check_digests(res, data: bytes) -> None:
    assert res.size == len(data)
    assert res.md5 == hashlib.md5(data).hexdigest()
    assert res.sha1 == hashlib.sha1(data).hexdigest()
    assert res.sha256 == hashlib.sha256(data).hexdigest()


def test_image_one_pass_with_pdq_and_exif(pdq_data: Path) -> None:
    data = (pdq_data / "images" / "reg-test-input/exif-rotn/exif-rotn-6.jpg").read_bytes()
    stream = CountingStream(data)
    res = analyse_stream(stream, "DCIM/IMG_0001.jpg", chunk_size=1 << 16)
    assert stream.bytes_read == len(data)  # every byte exactly once, no seeks
    _check_digests(res, data)
    assert (res.mime, res.media_class, res.extension_mismatch) == ("image/jpeg", "image", False)
    expected = pdq_from_bytes(data)
    assert res.pdq == expected.hash and res.pdq_quality == expected.quality
    assert res.pdq_dihedral == expected.dihedral and res.pdq_method == "jpeg-draft-L-1/8"
    assert (res.width, res.height) == (4032, 3024)
    assert res.exif is not None and res.exif["model"] == "SM-G930V"
    assert res.error is None and res.archive_kind is None and res.open_retained() is None


def test_image_exact_mode_and_short_reads(pdq_data: Path) -> None:
    data = (pdq_data / "images" / "misc-images/modes/CMYK.jpg").read_bytes()
    stream = CountingStream(data, short=7000)
    res = analyse_stream(stream, "x.txt", fast_pdq=False)
    assert stream.bytes_read == len(data)
    _check_digests(res, data)
    assert res.extension_mismatch is True
    assert res.pdq == pdq_from_bytes(data, fast=False).hash and res.pdq_method == "full"


def test_read_only_stream(bridge_jpeg: bytes) -> None:
    stream = ReadOnlyStream(bridge_jpeg)
    res = analyse_stream(stream, "a.jpg")  # type: ignore[arg-type]
    assert stream.bytes_read == len(bridge_jpeg)
    _check_digests(res, bridge_jpeg)
    assert res.pdq == pdq_from_bytes(bridge_jpeg).hash


def test_video_spooled_hashed_and_deleted(vpdq_data: Path, tmp_path: Path) -> None:
    data = (vpdq_data / "videos" / "test-padded-dimensions.mp4").read_bytes()
    stream = CountingStream(data)
    res = analyse_stream(stream, "clip.mp4", spool_dir=str(tmp_path), chunk_size=1 << 16)
    assert stream.bytes_read == len(data)
    _check_digests(res, data)
    assert res.media_class == "video" and res.error is None
    assert [f.frame_number for f in res.frames] == [0, 30, 60, 90, 120]
    assert res.frames[0].pdq == (
        "e6cf059c4c6696362cc9d6663cd9c263714169d98327399993363d9c3d9cc666")
    assert list(tmp_path.iterdir()) == []  # temp video removed


def test_corrupt_video_keeps_digests(vpdq_data: Path, tmp_path: Path) -> None:
    # Cut off mid-stream: vpdq gives up, the frames before the cut are still hashed.
    data = (vpdq_data / "videos" / "doorknob-hd-no-bar.mp4").read_bytes()[:150_000]
    res = analyse_stream(io.BytesIO(data), "clip.mp4", spool_dir=str(tmp_path))
    _check_digests(res, data)
    assert res.error is not None and res.error.startswith("damaged video")
    assert len(res.frames) >= 1 and res.media_class == "video"
    assert list(tmp_path.iterdir()) == []
    # Only a header: nothing to decode at all.
    head = data[:64]
    res = analyse_stream(io.BytesIO(head), "clip.mp4", spool_dir=str(tmp_path))
    _check_digests(res, head)
    assert res.error is not None and res.error.startswith("corrupt video")
    assert res.frames == [] and list(tmp_path.iterdir()) == []
    assert ".spool" not in res.error  # no temporary file names in the record


def _zip_bytes() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("a.txt", b"hello")
        z.writestr("dir/b.bin", os.urandom(1000))
    return buf.getvalue()


def test_archive_in_memory() -> None:
    data = _zip_bytes()
    res = analyse_stream(CountingStream(data), "stuff.zip")
    _check_digests(res, data)
    assert res.media_class == "archive" and res.archive_kind == "zip"
    with res.open_retained() as f, zipfile.ZipFile(f) as z:  # type: ignore[union-attr]
        assert z.read("a.txt") == b"hello"
    res.release()
    assert res.open_retained() is None


def test_archive_spooled_to_disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(content_mod, "ARCHIVE_MEMORY_LIMIT", 100_000)
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as t:
        payload = os.urandom(300_000)
        info = tarfile.TarInfo("big.bin")
        info.size = len(payload)
        t.addfile(info, io.BytesIO(payload))
    data = buf.getvalue()
    stream = CountingStream(data)
    with analyse_stream(stream, "backup.tar", spool_dir=str(tmp_path),
                        chunk_size=1 << 16) as res:
        assert stream.bytes_read == len(data)
        _check_digests(res, data)
        assert res.archive_kind == "tar"
        assert len(list(tmp_path.iterdir())) == 1
        with res.open_retained() as f, tarfile.open(fileobj=f) as t:  # type: ignore[union-attr]
            assert t.extractfile("big.bin").read() == payload  # type: ignore[union-attr]
    assert list(tmp_path.iterdir()) == []  # release() on exit deleted the spool


def test_keep_archives_false() -> None:
    res = analyse_stream(io.BytesIO(_zip_bytes()), "a.zip", keep_archives=False)
    assert res.archive_kind == "zip" and res.open_retained() is None


def test_other_file() -> None:
    data = os.urandom(3 * 65536 + 5)
    stream = CountingStream(data)
    res = analyse_stream(stream, "blob.bin", chunk_size=65536)
    assert stream.bytes_read == len(data)
    _check_digests(res, data)
    assert res.media_class == "other" and res.pdq is None and res.error is None
    assert res.frames == [] and res.archive_kind is None


def test_empty_file() -> None:
    res = analyse_stream(io.BytesIO(b""), "empty.jpg")
    _check_digests(res, b"")
    assert res.mime == "application/x-empty" and res.extension_mismatch is False


def test_read_error_mid_stream(bridge_jpeg: bytes) -> None:
    stream = CountingStream(bridge_jpeg, fail_at=200_000)
    res = analyse_stream(stream, "a.jpg", chunk_size=65536)
    assert res.md5 is None and res.sha1 is None and res.sha256 is None
    assert res.size == 196_608  # three whole chunks were read before the failing one
    assert res.error is not None and res.error.startswith("read error at offset 196608")
    assert res.media_class == "image" and res.pdq is None


def test_corrupt_image_keeps_digests(bridge_jpeg: bytes) -> None:
    data = bridge_jpeg[: len(bridge_jpeg) // 2]
    res = analyse_stream(io.BytesIO(data), "a.jpg")
    _check_digests(res, data)
    assert res.error is not None and res.error.startswith("corrupt image")
    assert res.pdq is None and (res.width, res.height) == (1600, 1004)


def test_image_over_limit_is_not_held(bridge_jpeg: bytes) -> None:
    res = analyse_stream(io.BytesIO(bridge_jpeg), "a.jpg", image_limit=100_000,
                         chunk_size=65536)
    _check_digests(res, bridge_jpeg)
    assert res.pdq is None and res.error is not None and "image_limit" in res.error


def test_spool_failure_keeps_digests(vpdq_data: Path, tmp_path: Path,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    def broken_write(self: object, data: memoryview) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(content_mod._Sink, "write", broken_write)
    data = (vpdq_data / "videos" / "test-padded-dimensions.mp4").read_bytes()
    res = analyse_stream(io.BytesIO(data), "clip.mp4", spool_dir=str(tmp_path))
    _check_digests(res, data)
    assert res.error is not None and res.error.startswith("spool error")
    assert res.frames == [] and list(tmp_path.iterdir()) == []


def test_asdict_does_not_carry_retained_bytes() -> None:
    import dataclasses

    res = analyse_stream(io.BytesIO(_zip_bytes()), "a.zip")
    fields = dataclasses.asdict(res)
    assert "_retained_bytes" not in fields and fields["archive_kind"] == "zip"
    assert res.open_retained() is not None
    res.release()
