"""PDQ lists: one 64-hex hash a line, optionally ``hash,category``, or the
python-threatexchange local-file form ``pdq <hash>``.

Lines without a category take ``--category``.  ``HASH;CATEGORY`` and quoted fields are read
as CSV; a first line that is a header (``pdq``, ``hash,category`` …) is skipped and the
``pdq``/``hash`` and ``category`` columns are read by name.  Hex is normalised to lower case.  The
all-zero hash (what a corrupt or flat-image hash looks like, cf. pytx #1609) is rejected:
it would "match" every low-detail image.
"""

from __future__ import annotations

from collections.abc import Iterator

from seawall.hashsets.base import (
    Header,
    ImportContext,
    Row,
    csv_fields,
    detect_header,
    named_row,
    parse_hex,
    sniff_delimiter,
    text_lines,
)
from seawall.hashsets.registry import FORMATS, Format

_ZERO = bytes(32)
_HEADER_KINDS: dict[str, str | None] = {"pdq": "pdq", "hash": "pdq"}


def read(raw, ctx: ImportContext) -> Iterator[Row]:
    default = ctx.category_name("--category", ctx.category) if ctx.category else None
    header: Header | None = None
    first = True
    for lineno, line in text_lines(raw, ctx, ctx.total_bytes):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        where = f"line {lineno}"
        if first:
            first = False
            header = detect_header(text, lineno, ctx, _HEADER_KINDS)
            if header is not None or ctx.errors:  # the header, or a bad row reported
                continue
        ctx.rows_read += 1
        if header is not None:
            for _kind, value, row_category in named_row(header, text, where, ctx, default):
                if value == _ZERO:
                    ctx.error(where, "all-zero PDQ hash (corrupt or quality-0 hash)")
                else:
                    yield Row("pdq", value, row_category, lineno)
            continue
        category = default
        fields = csv_fields(text, sniff_delimiter(text))
        if len(fields) > 2:
            ctx.error(where, f"expected 'HASH,CATEGORY', got {len(fields)} fields")
            continue
        if len(fields) == 2:
            text, cat = fields
            if cat:  # an empty column ("HASH,") takes --category, as a bare hash does
                category = ctx.category_name(where, cat)
                if category is None:
                    continue
        else:
            parts = fields[0].split()
            if len(parts) == 2 and parts[0].lower() == "pdq":
                text = parts[1]
            elif len(parts) == 1:
                text = parts[0]
            else:
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
