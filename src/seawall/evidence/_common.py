"""Small helpers shared by the evidence sources (names, keys, times)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

MAX_KEY_LENGTH = 1000
_EPOCH = datetime(1970, 1, 1)


def display_name(raw: bytes) -> tuple[str, bytes | None]:
    """Decode a raw name: (display text, raw or None).  Every evidence name passes here.

    The display text is unambiguous: an undecodable byte is written ``\\xNN`` and a
    backslash ``\\\\``, so a name holding the byte 0xFF and one literally written
    ``a\\xff`` never print alike, in any output.  The raw bytes are returned whenever the
    text is not simply their UTF-8 decoding (bytes that are not UTF-8, or a backslash), so
    the exact on-disk name is never lost while the common case stays light.
    """
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        # A backslash byte is never part of a multi-byte UTF-8 sequence: safe to double here.
        return raw.replace(b"\\", b"\\\\").decode("utf-8", "backslashreplace"), raw
    if "\\" in text:
        return text.replace("\\", "\\\\"), raw
    return text, None


def display_text(name: str | bytes) -> tuple[str, bytes | None]:
    """:func:`display_name` of a name some library already decoded.

    tarfile decodes with ``surrogateescape``, and a 7z's UTF-16 names or a file system's
    names can hold lone surrogates: text no database can store.  They are shown like
    undecodable bytes (``\\xNN``) and keep their raw bytes."""
    if isinstance(name, bytes):
        return display_name(name)
    try:
        raw = name.encode("utf-8")
    except UnicodeEncodeError:
        try:
            raw = name.encode("utf-8", "surrogateescape")
        except UnicodeEncodeError:
            raw = name.encode("utf-8", "surrogatepass")
    return display_name(raw)


def make_key(*parts: str) -> str:
    """Join key parts with "|"; long keys keep a readable head plus a SHA-1 of the whole."""
    key = "|".join(parts)
    if len(key) <= MAX_KEY_LENGTH:
        return key
    digest = hashlib.sha1(key.encode("utf-8", "surrogatepass")).hexdigest()
    return f"{key[: MAX_KEY_LENGTH - 42]}#{digest}"


def utc_from_posix(seconds: float | int | None, nanoseconds: int = 0) -> datetime | None:
    """Naive UTC datetime from a POSIX time; None for unset (0) or absurd values."""
    if seconds is None or (not seconds and not nanoseconds):
        return None
    try:
        # timedelta arithmetic avoids the platform limits of fromtimestamp().
        return _EPOCH + timedelta(seconds=int(seconds), microseconds=(nanoseconds or 0) // 1000)
    except (OverflowError, ValueError, TypeError):
        return None


def utc_from_dfdatetime(value) -> datetime | None:
    """Naive UTC datetime from a dfdatetime value (as dfVFS file entries return them)."""
    if value is None:
        return None
    try:
        micro = value.GetPlasoTimestamp()
    except (AttributeError, ValueError, OverflowError):
        return None
    if micro is None:
        return None
    try:
        return _EPOCH + timedelta(microseconds=int(micro))
    except OverflowError:
        return None


def now_utc() -> datetime:
    """Current time as a naive UTC datetime."""
    return datetime.now(UTC).replace(tzinfo=None)
