"""One table of content signatures (magic numbers), for every part of Seawall that sniffs.

``hashing.media_type.content_kind`` names a file's format from its first bytes, and the
archive expansion (``evidence``) asks which heads are archives it opens; both read the one
ordered :data:`SIGNATURES` table below instead of keeping magic bytes of their own.  A row
is a magic number at an offset (any of several), optionally with a ``test`` for what a magic
number alone cannot tell (ICO directory entries, RIFF forms, BZh block sizes) or a
``resolve`` that names the kind within a family (ISO BMFF brands, zip-based documents).

A leaf module (no Seawall imports): the stages left of hashing may use it too.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Signature:
    """One content format: ``kind`` when ``magic`` (any of them) sits at ``offset`` and
    ``test`` passes; with ``resolve``, the kind it returns (None: no match after all)."""

    kind: str
    magic: tuple[bytes, ...] = ()  # empty: ``test`` alone decides
    offset: int = 0
    test: Callable[[bytes], bool] | None = None
    resolve: Callable[[bytes], str | None] | None = None
    sniffed: bool = True  # used by content_kind
    archive: bool = False  # an archive the evidence stage expands (archive_kind)

    def matches(self, head: bytes) -> bool:
        if self.magic and not any(head[self.offset:self.offset + len(magic)] == magic
                                  for magic in self.magic):
            return False
        return self.test is None or self.test(head)

    def identify(self, head: bytes) -> str | None:
        if not self.matches(head):
            return None
        return self.resolve(head) if self.resolve is not None else self.kind


def _at(offset: int, *values: bytes) -> Callable[[bytes], bool]:
    """Test: one of ``values`` (all the same length) at ``offset``."""
    size = len(values[0])
    return lambda head: head[offset:offset + size] in values


_MACHO_MAGICS = (b"\xfe\xed\xfa\xce", b"\xfe\xed\xfa\xcf", b"\xce\xfa\xed\xfe", b"\xcf\xfa\xed\xfe")

# ftyp major/compatible brands (ISO BMFF: MP4, MOV, 3GP, HEIF, AVIF).
_HEIC_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm", b"hevs"}
_HEIF_GENERIC = {b"mif1", b"msf1", b"mif2"}
_AVIF_BRANDS = {b"avif", b"avis"}
_AUDIO_BRANDS = {b"M4A ", b"M4B ", b"M4P ", b"F4A ", b"F4B "}
_M4V_BRANDS = {b"M4V ", b"M4VH", b"M4VP"}


def _ftyp_kind(head: bytes) -> str | None:
    if len(head) < 12 or head[4:8] != b"ftyp":
        return None
    size = struct.unpack(">I", head[:4])[0]
    major = head[8:12]
    end = min(len(head), size if 16 <= size <= 4096 else 64)
    compat = {head[i:i + 4] for i in range(16, end - 3, 4)}
    brands = {major} | compat
    if major == b"crx ":
        return "cr3"
    if major in _AVIF_BRANDS:
        return "avif"
    if major in _HEIC_BRANDS:
        return "heic"
    if major in _HEIF_GENERIC:
        if brands & _AVIF_BRANDS:
            return "avif"
        return "heic"
    if major in _AUDIO_BRANDS:
        return "m4a"
    if major in _M4V_BRANDS:
        return "m4v"
    if major == b"qt  ":
        return "quicktime"
    if major[:3] in (b"3gp", b"3g2", b"3ge", b"3gg"):
        return "3gp"
    return "mp4"


def _is_mp3(head: bytes) -> bool:
    if head[:3] == b"ID3":
        return True
    if len(head) < 4 or head[0] != 0xFF or (head[1] & 0xE0) != 0xE0:
        return False
    version = (head[1] >> 3) & 3
    layer = (head[1] >> 1) & 3
    bitrate = head[2] >> 4
    rate = (head[2] >> 2) & 3
    # layer 00 is ADTS AAC / reserved; the other fields rule out most random 0xFFEx starts.
    return version != 1 and layer != 0 and bitrate not in (0, 15) and rate != 3


def _is_aac_adts(head: bytes) -> bool:
    return len(head) >= 7 and head[0] == 0xFF and (head[1] & 0xF6) == 0xF0


def _is_ts(head: bytes, off: int, packet: int) -> bool:
    # Need three sync bytes in a row to trust a single 0x47.
    n = 0
    for i in range(off, min(len(head), off + packet * 5), packet):
        if head[i] != 0x47:
            return False
        n += 1
    return n >= 3


def _is_bmp(head: bytes) -> bool:
    if len(head) < 26 or head[:2] != b"BM":
        return False
    reserved = head[6:10]
    dib = struct.unpack("<I", head[14:18])[0]
    return reserved == b"\0\0\0\0" and dib in (12, 16, 40, 52, 56, 64, 108, 124)


def _is_ico(head: bytes) -> bool:
    if len(head) < 22 or head[:2] != b"\0\0" or head[2:4] not in (b"\1\0", b"\2\0"):
        return False
    count = struct.unpack("<H", head[4:6])[0]
    if not 0 < count <= 256:
        return False
    # "00 00 01 00" also starts many other files (exFAT's up-case table, for one), so check
    # the directory entries present in the head: reserved byte 0, image data after the
    # directory, and for icons (not cursors, where these fields are a hotspot) colour
    # planes 0/1 and a real bit depth.
    icon = head[2:4] == b"\1\0"
    table_end = 6 + 16 * count
    for i in range(min(count, (len(head) - 6) // 16)):
        entry = head[6 + 16 * i: 22 + 16 * i]
        planes, bits, size, offset = struct.unpack("<HHII", entry[4:16])
        if entry[3] != 0 or size == 0 or offset < table_end:
            return False
        if icon and (planes > 1 or bits not in (0, 1, 2, 4, 8, 16, 24, 32)):
            return False
    return True


# Every byte except the C0 controls that do not occur in text (tab, LF, FF, CR, ESC do).
_NOT_CONTROL = bytes(b for b in range(256) if not (b < 32 and b not in (9, 10, 12, 13, 27)))


def _is_text(head: bytes) -> bool:
    sample = head[:8192]
    if not sample:
        return False
    if sample[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return True  # UTF-16 with BOM
    if b"\0" in sample:
        return False
    try:
        sample.decode("utf-8")
        return True
    except UnicodeDecodeError as exc:
        # A multi-byte character cut off by the end of the sample is still UTF-8.
        if exc.start >= len(sample) - 3 and exc.reason == "unexpected end of data":
            return True
    # Not UTF-8: accept legacy 8-bit text when control characters are rare.
    controls = len(sample.translate(None, _NOT_CONTROL))
    return controls <= len(sample) // 100


def _text_kind(head: bytes) -> str:
    lower = head[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if lower.startswith(b"<?xml"):
        return "svg" if b"<svg" in head[:4096].lower() else "xml"
    if lower.startswith((b"<!doctype html", b"<html", b"<head", b"<body")):
        return "html"
    if lower.startswith(b"<svg"):
        return "svg"
    return "text"


def _zip_kind(head: bytes) -> str:
    # OOXML/ODF/EPUB are zips; the member names in the first local headers tell them apart.
    window = head[:65536]
    if window[30:38] == b"mimetype":
        if b"application/epub+zip" in window[:200]:
            return "epub"
        if b"application/vnd.oasis.opendocument" in window[:200]:
            return "odf"
    if b"[Content_Types].xml" in window or b"_rels/.rels" in window:
        if b"word/" in window:
            return "docx"
        if b"xl/" in window:
            return "xlsx"
        if b"ppt/" in window:
            return "pptx"
    return "zip"



def _is_pe(head: bytes) -> bool:
    if len(head) < 64:
        return False
    pe = struct.unpack("<I", head[60:64])[0]
    return pe + 4 > len(head) or head[pe:pe + 4] == b"PE\0\0"


def _is_v7_tar(head: bytes) -> bool:
    """Pre-POSIX tar has no magic: accept a header whose checksum field is right."""
    if len(head) < 512:
        return False
    block = head[:512]
    if not block[0] or block[0:1] == b"\0" or not any(block[148:156]):
        return False
    try:
        stored = int(block[148:156].replace(b"\0", b" ").strip() or b"-1", 8)
    except ValueError:
        return False
    computed = sum(block[:148]) + 8 * 32 + sum(block[156:512])
    return stored == computed and block[156:157] in b"01234567\0"


_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
_7Z_MAGIC = b"7z\xbc\xaf\x27\x1c"

# In the order content_kind tries them: the first row that matches names the kind.
SIGNATURES: tuple[Signature, ...] = (
    Signature("jpeg", (b"\xff\xd8\xff",)),
    Signature("png", (b"\x89PNG\r\n\x1a\n",)),
    Signature("gif", (b"GIF87a", b"GIF89a")),
    Signature("tiff", (b"II*\0", b"MM\0*", b"II+\0", b"MM\0+")),
    Signature("webp", (b"RIFF",), test=_at(8, b"WEBP")),
    Signature("avi", (b"RIFF",), test=_at(8, b"AVI ")),
    Signature("wav", (b"RIFF",), test=_at(8, b"WAVE")),
    Signature("mp4", (b"ftyp",), offset=4, resolve=_ftyp_kind),  # ISO BMFF: by brand
    Signature("quicktime", (b"moov", b"mdat", b"wide", b"pnot"), offset=4),
    Signature("matroska", (b"\x1a\x45\xdf\xa3",),
              resolve=lambda head: "webm" if b"webm" in head[:64] else "matroska"),
    Signature("asf", (b"\x30\x26\xb2\x75\x8e\x66\xcf\x11\xa6\xd9\x00\xaa\x00\x62\xce\x6c",)),
    Signature("flv", (b"FLV\x01",)),
    Signature("mpeg-ps", (b"\0\0\1\xba", b"\0\0\1\xb3")),
    Signature("mpeg-ts", test=lambda head: _is_ts(head, 0, 188) or _is_ts(head, 4, 192)),
    Signature("zip", _ZIP_MAGICS, resolve=_zip_kind, archive=True),
    Signature("gzip", (b"\x1f\x8b\x08",)),  # deflate, the only method gzip defines
    Signature("tar", (b"ustar",), offset=257, archive=True),
    Signature("7z", (_7Z_MAGIC,), archive=True),
    Signature("rar", (b"Rar!\x1a\x07\x00", b"Rar!\x1a\x07\x01\x00")),
    Signature("bzip2", (b"BZh",), test=lambda head: len(head) > 3 and 0x31 <= head[3] <= 0x39),
    Signature("xz", (b"\xfd7zXZ\0",)),
    Signature("zstd", (b"\x28\xb5\x2f\xfd",)),
    Signature("cab", (b"MSCF",)),
    Signature("pdf", test=lambda head: b"%PDF-" in head[:1024]),
    Signature("ole", (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",)),
    Signature("rtf", (b"{\\rtf",)),
    Signature("elf", (b"\x7fELF",)),
    Signature("pe", (b"MZ",), test=_is_pe),
    Signature("macho", _MACHO_MAGICS),
    Signature("sqlite", (b"SQLite format 3\0",)),
    Signature("flac", (b"fLaC",)),
    Signature("ogg", (b"OggS",)),
    Signature("aiff", (b"FORM",), test=_at(8, b"AIFF", b"AIFC")),
    Signature("midi", (b"MThd",)),
    Signature("amr", (b"#!AMR\n",)),
    Signature("bmp", test=_is_bmp),
    Signature("ico", test=_is_ico),
    Signature("iso9660", (b"CD001",), offset=0x8001),
    Signature("mp3", test=_is_mp3),
    Signature("aac", test=_is_aac_adts),
    Signature("text", test=_is_text, resolve=_text_kind),
    # Archive expansion only: it opens any gzip header (a bad method is then reported as
    # a corrupt member) and pre-POSIX tars, which have no magic number at all.
    Signature("gzip", (b"\x1f\x8b",), sniffed=False, archive=True),
    Signature("tar", test=_is_v7_tar, sniffed=False, archive=True),
)

_SNIFFED = tuple(row for row in SIGNATURES if row.sniffed)
# Archive magic numbers at byte 0 are tried before a tar header at byte 257, and the
# checksum-only pre-POSIX tar test last (a zip or 7z whose byte 257 reads "ustar" is a zip
# or 7z).
_ARCHIVES = tuple(sorted((row for row in SIGNATURES if row.archive),
                         key=lambda row: (not row.magic, row.offset != 0)))


def content_kind(head: bytes) -> str:
    """The kind of a file from its first bytes: a signature's kind, "empty" or "unknown"."""
    if not head:
        return "empty"
    for row in _SNIFFED:
        kind = row.identify(head)
        if kind is not None:
            return kind
    return "unknown"


def archive_kind(head: bytes) -> str | None:
    """"zip", "tar", "gzip" or "7z" for an archive the evidence stage expands, else None
    (give at least 512 bytes: a pre-POSIX tar is known by its header's checksum)."""
    return next((row.kind for row in _ARCHIVES if row.matches(head)), None)
