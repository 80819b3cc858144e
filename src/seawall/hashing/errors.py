"""Exceptions raised by the hashing package."""

from seawall.errors import InvalidInput


class HashingError(InvalidInput):
    """A file could not be hashed perceptually (corrupt, truncated, too large, unsupported).

    The message starts with a short category ("corrupt image: ...", "decompression bomb: ...",
    "corrupt video: ...") so callers can store it verbatim as the file's error.
    """
