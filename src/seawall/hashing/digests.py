"""One-pass cryptographic digests (MD5, SHA-1, SHA-256) over bytes or a stream."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import BinaryIO

DEFAULT_CHUNK_SIZE = 1 << 20


@dataclass(frozen=True)
class Digests:
    """Hex digests of one byte sequence."""

    size: int
    md5: str
    sha1: str
    sha256: str


class MultiDigest:
    """Feeds each buffer to MD5, SHA-1 and SHA-256 in turn.

    hashlib releases the GIL for buffers over 2 KiB, so several of these can run in parallel
    threads; pass memoryviews to avoid copying.
    """

    __slots__ = ("_md5", "_sha1", "_sha256", "size")

    def __init__(self) -> None:
        # usedforsecurity=False: these are identification digests, and it keeps MD5 usable
        # on FIPS-restricted OpenSSL builds.
        self._md5 = hashlib.md5(usedforsecurity=False)
        self._sha1 = hashlib.sha1(usedforsecurity=False)
        self._sha256 = hashlib.sha256()
        self.size = 0

    def update(self, data: bytes | bytearray | memoryview) -> None:
        self._md5.update(data)
        self._sha1.update(data)
        self._sha256.update(data)
        self.size += len(data)

    def result(self) -> Digests:
        return Digests(
            self.size, self._md5.hexdigest(), self._sha1.hexdigest(), self._sha256.hexdigest()
        )


def digest_bytes(data: bytes | bytearray | memoryview) -> Digests:
    """Digests of an in-memory buffer."""
    md = MultiDigest()
    md.update(data)
    return md.result()


def digest_stream(stream: BinaryIO, chunk_size: int = DEFAULT_CHUNK_SIZE) -> Digests:
    """Digests of everything left in ``stream``, read once in ``chunk_size`` pieces."""
    md = MultiDigest()
    buf = bytearray(chunk_size)
    view = memoryview(buf)
    readinto = getattr(stream, "readinto", None)
    while True:
        if readinto is not None:
            n = readinto(view)
            if not n:
                break
            md.update(view[:n])
        else:
            chunk = stream.read(chunk_size)
            if not chunk:
                break
            md.update(chunk)
    return md.result()
