"""PDQ lists: one 64-hex hash a line, optionally ``hash,category``, or the
python-threatexchange local-file form ``pdq <hash>``.

Lines without a category take ``--category``.  Hex is normalised to lower case.  The
all-zero hash (what a corrupt or flat-image hash looks like, cf. pytx #1609) is rejected:
it would "match" every low-detail image.
"""

from __future__ import annotations

from collections.abc import Iterator

from seawall.hashsets.base import ImportContext, Row, parse_hex, text_lines
from seawall.hashsets.registry import FORMATS, Format

_ZERO = bytes(32)


def read(raw, ctx: ImportContext) -> Iterator[Row]:
    default = ctx.category_name("--category", ctx.category) if ctx.category else None
    for lineno, line in text_lines(raw, ctx, ctx.total_bytes):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        ctx.rows_read += 1
        where = f"line {lineno}"
        category = default
        if "," in text:
            text, cat = (p.strip() for p in text.split(",", 1))
            if cat:  # an empty column ("HASH,") takes --category, as a bare hash does
                category = ctx.category_name(where, cat)
                if category is None:
                    continue
        else:
            parts = text.split()
            if len(parts) == 2 and parts[0].lower() == "pdq":
                text = parts[1]
            elif len(parts) != 1:
                ctx.error(where, f"expected 'HASH', 'HASH,CATEGORY' or 'pdq HASH', got "
                                 f"{line[:80]!r}")
                continue
        got = parse_hex(text, "pdq")
        if isinstance(got, str):
            ctx.error(where, got)
            continue
        if got[1] == _ZERO:
            ctx.error(where, "all-zero PDQ hash (corrupt or quality-0 hash)")
            continue
        if category is None:
            ctx.error(where, "no category on the line and no --category given")
            continue
        yield Row("pdq", got[1], category, lineno)


FORMAT = FORMATS.register(Format(
    name="pdq",
    description="PDQ list: HASH, HASH,CATEGORY or 'pdq HASH' per line",
    read=read,
))
