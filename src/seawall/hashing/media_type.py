"""Content-based media type detection (magic numbers), independent of the file name.

``sniff(head, name)`` looks only at the first bytes of a file (pass at least 64 KiB when you
have them: ISO 9660 and MPEG-TS need more than a few bytes) and uses the name solely to decide
``extension_mismatch``: the extension names a *known* type and the content is a *known*,
different type (a JPEG called ``.txt`` or ``.doc``). Unknown extensions, no extension, or
unrecognised content never count as a mismatch.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass

# How much of the head sniff() looks at (ISO 9660 puts its signature at 32 KiB).
SNIFF_BYTES = 65536

MEDIA_CLASSES = ("image", "video", "audio", "archive", "document", "other")

# kind -> (mime, media_class). "kind" is our short, stable name for a content format.
KINDS: dict[str, tuple[str, str]] = {
    "jpeg": ("image/jpeg", "image"),
    "png": ("image/png", "image"),
    "gif": ("image/gif", "image"),
    "bmp": ("image/bmp", "image"),
    "tiff": ("image/tiff", "image"),
    "webp": ("image/webp", "image"),
    "heic": ("image/heic", "image"),
    "avif": ("image/avif", "image"),
    "ico": ("image/vnd.microsoft.icon", "image"),
    "cr3": ("image/x-canon-cr3", "image"),
    "svg": ("image/svg+xml", "image"),
    "mp4": ("video/mp4", "video"),
    "m4v": ("video/x-m4v", "video"),
    "quicktime": ("video/quicktime", "video"),
    "3gp": ("video/3gpp", "video"),
    "avi": ("video/x-msvideo", "video"),
    "matroska": ("video/x-matroska", "video"),
    "webm": ("video/webm", "video"),
    "asf": ("video/x-ms-asf", "video"),
    "flv": ("video/x-flv", "video"),
    "mpeg-ps": ("video/mpeg", "video"),
    "mpeg-ts": ("video/mp2t", "video"),
    "wav": ("audio/wav", "audio"),
    "mp3": ("audio/mpeg", "audio"),
    "m4a": ("audio/mp4", "audio"),
    "flac": ("audio/flac", "audio"),
    "ogg": ("audio/ogg", "audio"),
    "aiff": ("audio/aiff", "audio"),
    "midi": ("audio/midi", "audio"),
    "amr": ("audio/amr", "audio"),
    "aac": ("audio/aac", "audio"),
    "zip": ("application/zip", "archive"),
    "gzip": ("application/gzip", "archive"),
    "tar": ("application/x-tar", "archive"),
    "7z": ("application/x-7z-compressed", "archive"),
    "rar": ("application/vnd.rar", "archive"),
    "bzip2": ("application/x-bzip2", "archive"),
    "xz": ("application/x-xz", "archive"),
    "zstd": ("application/zstd", "archive"),
    "cab": ("application/vnd.ms-cab-compressed", "archive"),
    "iso9660": ("application/x-iso9660-image", "archive"),
    "pdf": ("application/pdf", "document"),
    "ole": ("application/x-ole-storage", "document"),
    "docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "document",
    ),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "document"),
    "pptx": (
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "document",
    ),
    "odf": ("application/vnd.oasis.opendocument", "document"),
    "epub": ("application/epub+zip", "document"),
    "rtf": ("application/rtf", "document"),
    "html": ("text/html", "document"),
    "xml": ("text/xml", "document"),
    "text": ("text/plain", "document"),
    "elf": ("application/x-executable", "other"),
    "pe": ("application/vnd.microsoft.portable-executable", "other"),
    "macho": ("application/x-mach-binary", "other"),
    "sqlite": ("application/vnd.sqlite3", "other"),
    "empty": ("application/x-empty", "other"),
    "unknown": ("application/octet-stream", "other"),
}

# Kinds whose container is an archive the scanner may expand ("zip" also covers OOXML/ODF/EPUB).
ARCHIVE_KINDS = {
    "zip": "zip", "docx": "zip", "xlsx": "zip", "pptx": "zip", "odf": "zip", "epub": "zip",
    "gzip": "gzip", "tar": "tar", "7z": "7z", "bzip2": "bzip2", "xz": "xz", "rar": "rar",
}

# Raster formats Pillow (+ pillow-heif) can decode for PDQ.
RASTER_KINDS = frozenset({"jpeg", "png", "gif", "bmp", "tiff", "webp", "heic", "avif", "ico"})

_MACHO_MAGICS = (b"\xfe\xed\xfa\xce", b"\xfe\xed\xfa\xcf", b"\xce\xfa\xed\xfe", b"\xcf\xfa\xed\xfe")
_ZIP_FAMILY = {"zip", "docx", "xlsx", "pptx", "odf", "epub"}
_TEXT_FAMILY = {"text", "html", "xml", "svg"}
_MP4_FAMILY = {"mp4", "m4v", "quicktime", "3gp", "m4a"}


def _ext_table() -> dict[str, frozenset[str]]:
    t: dict[str, set[str]] = {}

    def add(exts: str, kinds: set[str] | str) -> None:
        ks = {kinds} if isinstance(kinds, str) else kinds
        for e in exts.split():
            t.setdefault(e, set()).update(ks)

    add("jpg jpeg jpe jfif", "jpeg")
    add("png apng", "png")
    add("gif", "gif")
    add("bmp dib", "bmp")
    # Camera raw formats are TIFF containers.
    add("tif tiff dng nef nrw cr2 arw srw pef orf erf 3fr", "tiff")
    add("webp", "webp")
    add("heic heif hif", {"heic", "avif"})
    add("avif", {"avif", "heic"})
    add("ico cur", "ico")
    add("cr3", "cr3")
    add("svg", {"svg", "xml", "text"})
    add("mp4 m4v mov qt 3gp 3g2 m4a m4b f4v", _MP4_FAMILY)
    add("avi", "avi")
    add("mkv mka mk3d", {"matroska", "webm"})
    add("webm", {"webm", "matroska"})
    add("wmv wma asf", "asf")
    add("flv", "flv")
    add("mpg mpeg mpe vob m2v", {"mpeg-ps"})
    # .ts is also TypeScript source, so plain text is not a mismatch.
    add("ts", {"mpeg-ts", "text"})
    add("mts m2ts", "mpeg-ts")
    add("wav", "wav")
    add("mp3", "mp3")
    add("flac", "flac")
    add("ogg oga ogv opus spx", "ogg")
    add("aif aiff aifc", "aiff")
    add("mid midi", "midi")
    add("amr", "amr")
    add("aac", {"aac", "m4a", "mp4"})
    add("zip", _ZIP_FAMILY)
    add("docx docm dotx", {"docx", "zip"})
    add("xlsx xlsm xltx", {"xlsx", "zip"})
    add("pptx pptm potx", {"pptx", "zip"})
    add("odt ods odp odg", {"odf", "zip"})
    add("epub", {"epub", "zip"})
    add("jar apk ipa xpi kmz cbz whl nupkg", _ZIP_FAMILY)
    add("gz tgz", "gzip")
    add("tar", "tar")
    add("7z", "7z")
    add("rar cbr", "rar")
    add("bz2 tbz tbz2", "bzip2")
    add("xz txz", "xz")
    add("zst", "zstd")
    add("cab", "cab")
    add("iso", "iso9660")
    add("pdf", "pdf")
    add("doc dot xls xlt ppt pps msg msi", "ole")
    add("rtf", "rtf")
    add("txt text log csv tsv json md ini cfg conf yaml yml", _TEXT_FAMILY)
    add("html htm xhtml", {"html", "xml", "text"})
    add("xml plist", {"xml", "text"})
    add("exe dll sys scr ocx cpl", "pe")
    add("so o ko", "elf")
    add("dylib", "macho")
    # .db is used by SQLite and by Windows Thumbs.db (OLE).
    add("sqlite sqlite3 db3", "sqlite")
    add("db", {"sqlite", "ole"})
    return {k: frozenset(v) for k, v in t.items() if v}


EXTENSIONS: dict[str, frozenset[str]] = _ext_table()


@dataclass(frozen=True)
class MediaType:
    """What the content of a file is, by its magic bytes."""

    mime: str
    media_class: str
    extension_mismatch: bool
    kind: str = "unknown"


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


def content_kind(head: bytes) -> str:
    """The kind (key of ``KINDS``) of a file from its first bytes."""
    h = head
    if not h:
        return "empty"
    if h[:3] == b"\xff\xd8\xff":
        return "jpeg"
    if h[:8] == b"\x89PNG\r\n\x1a\n":
        return "png"
    if h[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if h[:4] in (b"II*\0", b"MM\0*", b"II+\0", b"MM\0+"):
        return "tiff"
    if h[:4] == b"RIFF" and len(h) >= 12:
        form = h[8:12]
        if form == b"WEBP":
            return "webp"
        if form == b"AVI ":
            return "avi"
        if form == b"WAVE":
            return "wav"
    kind = _ftyp_kind(h)
    if kind:
        return kind
    if len(h) >= 8 and h[4:8] in (b"moov", b"mdat", b"wide", b"pnot"):
        return "quicktime"
    if h[:4] == b"\x1a\x45\xdf\xa3":
        return "webm" if b"webm" in h[:64] else "matroska"
    if h[:16] == b"\x30\x26\xb2\x75\x8e\x66\xcf\x11\xa6\xd9\x00\xaa\x00\x62\xce\x6c":
        return "asf"
    if h[:4] == b"FLV\x01":
        return "flv"
    if h[:4] in (b"\0\0\1\xba", b"\0\0\1\xb3"):
        return "mpeg-ps"
    if _is_ts(h, 0, 188) or _is_ts(h, 4, 192):
        return "mpeg-ts"
    if h[:4] == b"PK\x03\x04" or h[:4] in (b"PK\x05\x06", b"PK\x07\x08"):
        return _zip_kind(h)
    if h[:3] == b"\x1f\x8b\x08":
        return "gzip"
    if len(h) >= 262 and h[257:262] == b"ustar":
        return "tar"
    if h[:6] == b"7z\xbc\xaf\x27\x1c":
        return "7z"
    if h[:7] == b"Rar!\x1a\x07\x00" or h[:8] == b"Rar!\x1a\x07\x01\x00":
        return "rar"
    if h[:3] == b"BZh" and len(h) > 3 and 0x31 <= h[3] <= 0x39:
        return "bzip2"
    if h[:6] == b"\xfd7zXZ\0":
        return "xz"
    if h[:4] == b"\x28\xb5\x2f\xfd":
        return "zstd"
    if h[:4] == b"MSCF":
        return "cab"
    if b"%PDF-" in h[:1024]:
        return "pdf"
    if h[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        return "ole"
    if h[:5] == b"{\\rtf":
        return "rtf"
    if h[:4] == b"\x7fELF":
        return "elf"
    if h[:2] == b"MZ" and len(h) >= 64:
        pe = struct.unpack("<I", h[60:64])[0]
        if pe + 4 > len(h) or h[pe:pe + 4] == b"PE\0\0":
            return "pe"
    if h[:4] in _MACHO_MAGICS:
        return "macho"
    if h[:16] == b"SQLite format 3\0":
        return "sqlite"
    if h[:4] == b"fLaC":
        return "flac"
    if h[:4] == b"OggS":
        return "ogg"
    if h[:4] == b"FORM" and h[8:12] in (b"AIFF", b"AIFC"):
        return "aiff"
    if h[:4] == b"MThd":
        return "midi"
    if h[:6] == b"#!AMR\n":
        return "amr"
    if _is_bmp(h):
        return "bmp"
    if _is_ico(h):
        return "ico"
    if len(h) >= 0x8006 and h[0x8001:0x8006] == b"CD001":
        return "iso9660"
    if _is_mp3(h):
        return "mp3"
    if _is_aac_adts(h):
        return "aac"
    if _is_text(h):
        return _text_kind(h)
    return "unknown"


def extension_of(name: str) -> str:
    """Lower-case extension without the dot ("" when there is none)."""
    base = os.path.basename(name.replace("\\", "/"))
    _, ext = os.path.splitext(base)
    return ext[1:].lower()


def sniff(head: bytes, name: str) -> MediaType:
    """Media type of a file from its first bytes; ``name`` only feeds ``extension_mismatch``."""
    kind = content_kind(bytes(head[:SNIFF_BYTES]))
    mime, media_class = KINDS[kind]
    expected = EXTENSIONS.get(extension_of(name))
    mismatch = bool(expected) and kind not in ("unknown", "empty") and kind not in expected
    return MediaType(mime=mime, media_class=media_class, extension_mismatch=mismatch, kind=kind)
