"""Small helpers shared by the evidence sources (names, keys, times)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

MAX_KEY_LENGTH = 1000
_EPOCH = datetime(1970, 1, 1)


def display_name(raw: bytes) -> tuple[str, bytes | None]:
    """Decode a raw name: (display text with undecodable bytes as ``\\xNN``, raw or None).

    The raw bytes are only returned when they are not valid UTF-8, so that the exact
    on-disk name is never lost while the common case stays light.
    """
    try:
        return raw.decode("utf-8"), None
    except UnicodeDecodeError:
        return raw.decode("utf-8", "backslashreplace"), raw


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
