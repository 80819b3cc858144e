"""Content-based media type detection (magic numbers), independent of the file name.

The magic numbers themselves are in :mod:`seawall.signatures` (one table, shared with the
archive expansion); this module maps the kinds to MIME types, media classes and extensions.

``sniff(head, name)`` looks only at the first bytes of a file (pass at least 64 KiB when you
have them: ISO 9660 and MPEG-TS need more than a few bytes) and uses the name solely to decide
``extension_mismatch``: the extension names a *known* type and the content is a *known*,
different type (a JPEG called ``.txt`` or ``.doc``). Unknown extensions, no extension, or
unrecognised content never count as a mismatch.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from seawall.signatures import content_kind

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

    @property
    def archive_kind(self) -> str | None:
        """The archive format the scanner expands this content as ("zip", "tar", ...), or
        None (an OOXML document is a zip; a PDF is not an archive)."""
        if self.media_class not in ("archive", "document"):
            return None
        return ARCHIVE_KINDS.get(self.kind)


def extension_of(name: str) -> str:
    """Lower-case extension without the dot ("" when there is none)."""
    base = os.path.basename(name.replace("\\", "/"))
    _, ext = os.path.splitext(base)
    return ext[1:].lower()


def sniff(head: bytes | memoryview, name: str) -> MediaType:
    """Media type of a file from its first bytes; ``name`` only feeds ``extension_mismatch``."""
    kind = content_kind(bytes(head[:SNIFF_BYTES]))
    mime, media_class = KINDS[kind]
    expected = EXTENSIONS.get(extension_of(name), frozenset())
    mismatch = bool(expected) and kind not in ("unknown", "empty") and kind not in expected
    return MediaType(mime=mime, media_class=media_class, extension_mismatch=mismatch, kind=kind)
