"""Content sniffing by magic bytes, and extension mismatch detection."""

from __future__ import annotations

import gzip
import io
import struct
import tarfile
import zipfile
from pathlib import Path

import pytest
from PIL import Image

from seawall.hashing import sniff
from seawall.hashing.media_type import EXTENSIONS, KINDS, MEDIA_CLASSES, content_kind


def _img(fmt: str, mode: str = "RGB") -> bytes:
    buf = io.BytesIO()
    Image.new(mode, (32, 24), (10, 20, 30) if mode == "RGB" else 7).save(buf, fmt)
    return buf.getvalue()


def _ftyp(major: bytes, *compat: bytes) -> bytes:
    body = major + b"\0\0\0\0" + b"".join(compat)
    return struct.pack(">I", 8 + len(body)) + b"ftyp" + body + b"\0\0\0\x08free"


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for k, v in members.items():
            z.writestr(k, v)
    return buf.getvalue()


def _tar() -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as t:
        info = tarfile.TarInfo("a.txt")
        info.size = 3
        t.addfile(info, io.BytesIO(b"abc"))
    return buf.getvalue()


CASES = [
    (_img("JPEG"), "jpeg", "image/jpeg", "image"),
    (_img("PNG"), "png", "image/png", "image"),
    (_img("GIF"), "gif", "image/gif", "image"),
    (_img("BMP"), "bmp", "image/bmp", "image"),
    (_img("TIFF"), "tiff", "image/tiff", "image"),
    (_img("WEBP"), "webp", "image/webp", "image"),
    (_img("ICO"), "ico", "image/vnd.microsoft.icon", "image"),
    (_ftyp(b"heic", b"mif1", b"heic"), "heic", "image/heic", "image"),
    (_ftyp(b"mif1", b"mif1", b"heic"), "heic", "image/heic", "image"),
    (_ftyp(b"avif", b"mif1", b"avif"), "avif", "image/avif", "image"),
    (_ftyp(b"mif1", b"mif1", b"avif", b"miaf"), "avif", "image/avif", "image"),
    (_ftyp(b"isom", b"isom", b"avc1"), "mp4", "video/mp4", "video"),
    (_ftyp(b"mp42", b"mp41"), "mp4", "video/mp4", "video"),
    (_ftyp(b"qt  ", b"qt  "), "quicktime", "video/quicktime", "video"),
    (b"\0\0\0\x10moov" + bytes(32), "quicktime", "video/quicktime", "video"),
    (_ftyp(b"3gp5", b"3gp5"), "3gp", "video/3gpp", "video"),
    (_ftyp(b"M4V ", b"M4V "), "m4v", "video/x-m4v", "video"),
    (_ftyp(b"M4A ", b"isom"), "m4a", "audio/mp4", "audio"),
    (b"RIFF\0\0\0\0AVI LIST" + bytes(32), "avi", "video/x-msvideo", "video"),
    (b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x84webm" + bytes(32), "webm", "video/webm",
     "video"),
    (b"\x1a\x45\xdf\xa3\xa3\x42\x82\x88matroska" + bytes(32), "matroska", "video/x-matroska",
     "video"),
    (bytes.fromhex("3026b2758e66cf11a6d900aa0062ce6c") + bytes(32), "asf", "video/x-ms-asf",
     "video"),
    (b"FLV\x01\x05\0\0\0\x09" + bytes(32), "flv", "video/x-flv", "video"),
    (b"\0\0\1\xba\x44" + bytes(64), "mpeg-ps", "video/mpeg", "video"),
    ((b"\x47" + bytes(187)) * 4, "mpeg-ts", "video/mp2t", "video"),
    (b"RIFF\0\0\0\0WAVEfmt " + bytes(32), "wav", "audio/wav", "audio"),
    (b"ID3\x04\0\0\0\0\0\0" + bytes(32), "mp3", "audio/mpeg", "audio"),
    (b"\xff\xfb\x90\x64" + bytes(400), "mp3", "audio/mpeg", "audio"),
    (_zip({"a.txt": b"hello"}), "zip", "application/zip", "archive"),
    (gzip.compress(b"hello"), "gzip", "application/gzip", "archive"),
    (_tar(), "tar", "application/x-tar", "archive"),
    (b"7z\xbc\xaf\x27\x1c\0\x04" + bytes(32), "7z", "application/x-7z-compressed", "archive"),
    (b"Rar!\x1a\x07\x01\x00" + bytes(32), "rar", "application/vnd.rar", "archive"),
    (b"Rar!\x1a\x07\x00" + bytes(32), "rar", "application/vnd.rar", "archive"),
    (b"BZh91AY&SY" + bytes(32), "bzip2", "application/x-bzip2", "archive"),
    (b"\xfd7zXZ\0\0\x04" + bytes(32), "xz", "application/x-xz", "archive"),
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + bytes(32), "pdf", "application/pdf", "document"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504), "ole", "application/x-ole-storage",
     "document"),
    (_zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w/>"}), "docx",
     KINDS["docx"][0], "document"),
    (_zip({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<w/>"}), "xlsx",
     KINDS["xlsx"][0], "document"),
    (b"\x7fELF\x02\x01\x01" + bytes(64), "elf", "application/x-executable", "other"),
    (b"MZ" + bytes(58) + struct.pack("<I", 64) + b"PE\0\0" + bytes(32), "pe",
     "application/vnd.microsoft.portable-executable", "other"),
    (b"SQLite format 3\0" + bytes(84), "sqlite", "application/vnd.sqlite3", "other"),
    (b"hello world\nthis is text\n", "text", "text/plain", "document"),
    ("caf\u00e9 na\u00efve r\u00e9sum\u00e9\n".encode(), "text", "text/plain", "document"),
    (b"<!DOCTYPE html><html></html>", "html", "text/html", "document"),
    (b"", "empty", "application/x-empty", "other"),
    (bytes(range(256)) * 4, "unknown", "application/octet-stream", "other"),
]


@pytest.mark.parametrize(("data", "kind", "mime", "media_class"), CASES,
                         ids=[c[1] + f"-{i}" for i, c in enumerate(CASES)])
def test_sniff_by_content(data: bytes, kind: str, mime: str, media_class: str) -> None:
    mt = sniff(data, "noextension")
    assert (mt.kind, mt.mime, mt.media_class) == (kind, mime, media_class)
    assert mt.extension_mismatch is False  # no extension -> never a mismatch


def test_tables_are_consistent() -> None:
    for mime, cls in KINDS.values():
        assert cls in MEDIA_CLASSES and "/" in mime
    for ext, kinds in EXTENSIONS.items():
        assert kinds <= set(KINDS), ext


@pytest.mark.parametrize(("name", "mismatch"), [
    ("IMG_0001.JPG", False), ("photo.jpeg", False), ("notes.txt", True), ("report.doc", True),
    ("clip.mp4", True), ("archive.zip", True), ("file.unknownext", False), ("noext", False),
    ("dir.d/file", False), (r"C:\Users\x\Desktop\holiday.png", True), ("x.jpg.exe", True),
])
def test_lying_extensions_on_a_jpeg(name: str, mismatch: bool) -> None:
    mt = sniff(_img("JPEG"), name)
    assert mt.kind == "jpeg" and mt.media_class == "image"
    assert mt.extension_mismatch is mismatch


@pytest.mark.parametrize(("data", "name", "mismatch"), [
    (_zip({"[Content_Types].xml": b"", "word/document.xml": b""}), "letter.docx", False),
    (_zip({"[Content_Types].xml": b"", "word/document.xml": b""}), "letter.zip", False),
    (_zip({"a": b"b"}), "app.apk", False),
    (_zip({"a": b"b"}), "holiday.jpg", True),
    (_ftyp(b"qt  "), "movie.mov", False),
    (_ftyp(b"isom"), "movie.mov", False),
    (_ftyp(b"isom"), "song.mp3", True),
    (_ftyp(b"heic", b"mif1"), "IMG_1234.HEIC", False),
    (b"plain text\n", "data.json", False),
    (b"plain text\n", "module.ts", False),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504), "Thumbs.db", False),
    (b"SQLite format 3\0" + bytes(84), "mmssms.db", False),
    (bytes(range(256)) * 4, "photo.jpg", False),  # unknown content: cannot say it differs
    (_img("PNG"), "image.jpg", True),
])
def test_extension_mismatch(data: bytes, name: str, mismatch: bool) -> None:
    assert sniff(data, name).extension_mismatch is mismatch


def test_real_files(pdq_data: Path, vpdq_data: Path) -> None:
    assert sniff((vpdq_data / "videos" / "doorknob-hd-no-bar.mp4").read_bytes()[:65536],
                 "x.mp4").kind == "mp4"
    for p in (pdq_data / "images").rglob("*"):
        if p.is_file():
            mt = sniff(p.read_bytes()[:65536], p.name)
            assert mt.extension_mismatch is False, p
            expected = "document" if p.suffix == ".md" else "image"
            assert mt.media_class == expected, p


def test_memoryview_head() -> None:
    data = bytearray(_img("PNG"))
    assert content_kind(bytes(memoryview(data)[:100])) == "png"
    assert sniff(memoryview(data), "a.png").kind == "png"


def test_ico_signature_alone_is_not_an_icon() -> None:
    """exFAT's up-case table starts 00 00 01 00 02 00 ... like an icon header; its
    "directory entries" (planes 5, data inside the directory) show it is not one."""
    upcase = b"".join(struct.pack("<H", i) for i in range(2048))
    assert content_kind(upcase) != "ico"
    # Real icons and cursors, one and several images, still are.
    for sizes in ([(16, 16)], [(16, 16), (32, 32), (48, 48)]):
        buf = io.BytesIO()
        Image.new("RGBA", (48, 48), (10, 200, 30, 255)).save(buf, "ICO", sizes=sizes)
        assert content_kind(buf.getvalue()) == "ico", sizes
    cursor = bytearray(buf.getvalue())
    cursor[2:4] = b"\2\0"
    cursor[10:14] = struct.pack("<HH", 7, 9)  # hotspot where an icon has planes/bit depth
    assert content_kind(bytes(cursor)) == "ico"
