"""Plain MD5 / SHA-1 / SHA-256 lists, one category for the whole list (``--category``).

Accepted lines: a bare hex digest, or md5sum/sha1sum/sha256sum output (``HASH  name`` or
``HASH *name``).  The algorithm follows from the length (32/40/64).  Blank lines and lines
starting with ``#`` are skipped.
"""

from __future__ import annotations

from collections.abc import Iterator

from seawall.hashsets.base import ImportContext, Row, parse_hex, text_lines
from seawall.hashsets.registry import Format


def read(raw, ctx: ImportContext) -> Iterator[Row]:
    if not ctx.category:
        raise ctx.fatal("--category", "a hash list needs one category for the whole list "
                                      "(e.g. --category A, or --category known_benign)")
    category = ctx.category_name("--category", ctx.category)
    if category is None:
        raise ctx.fatal("", "no valid category")
    for lineno, line in text_lines(raw, ctx, ctx.total_bytes):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        ctx.rows_read += 1
        digest = text.split(None, 1)[0]
        got = parse_hex(digest)
        if isinstance(got, str):
            ctx.error(f"line {lineno}", got)
            continue
        yield Row(got[0], got[1], category, lineno)


FORMAT = Format(
    name="hashlist",
    description="MD5/SHA-1/SHA-256 list (bare or md5sum style), one --category for all",
    read=read,
    needs_category=True,
)
