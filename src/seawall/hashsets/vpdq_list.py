"""vPDQ video hashes.

Two layouts: the upstream vPDQ hash file of one video (``frame,quality,pdq_hex,timestamp``
per line, as in ThreatExchange ``vpdq/sample-hashes``), or python-threatexchange lines
``vpdq ["pdq_hex,quality,timestamp", …]`` (one video a line, a JSON list).  One category
for the whole file (``--category``).  A video entry is stored with its frames (hex:quality);
its value is the SHA-256 of that frame list, so the same video imported twice is a
duplicate.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator

from seawall.hashsets.base import ImportContext, Row, parse_hex, text_lines
from seawall.hashsets.registry import FORMATS, Format


def _frame(text: str, where: str, ctx: ImportContext, hex_at: int, q_at: int):
    parts = [p.strip() for p in text.split(",")]
    if len(parts) < max(hex_at, q_at) + 1:
        ctx.error(where, f"expected frame fields, got {text[:80]!r}")
        return None
    got = parse_hex(parts[hex_at], "pdq")
    if isinstance(got, str):
        ctx.error(where, got)
        return None
    try:
        quality = int(parts[q_at])
    except ValueError:
        ctx.error(where, f"quality {parts[q_at]!r} is not an integer")
        return None
    return f"{got[1].hex()}:{quality}"


def _row(frames: list[str], category: str, position: int) -> Row:
    payload = " ".join(frames)
    return Row("vpdq", hashlib.sha256(payload.encode()).digest(), category, position,
               payload=payload)


def read(raw, ctx: ImportContext) -> Iterator[Row]:
    if not ctx.category:
        raise ctx.fatal("--category", "a vPDQ file needs --category")
    category = ctx.category_name("--category", ctx.category)
    if category is None:
        raise ctx.fatal("", "no valid category")
    frames: list[str] = []
    layout = None
    for lineno, line in text_lines(raw, ctx, ctx.total_bytes, max_line=64 << 20):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        where = f"line {lineno}"
        if layout is None:
            layout = "pytx" if text.lower().startswith("vpdq ") else "frames"
        if layout == "pytx":
            ctx.rows_read += 1
            kind, _, body = text.partition(" ")
            try:
                items = json.loads(body)
            except json.JSONDecodeError as exc:
                ctx.error(where, f"malformed JSON at column {len(kind) + 2 + exc.pos}: "
                                 f"{exc.msg}")
                continue
            if kind.lower() != "vpdq" or not isinstance(items, list) or not all(
                    isinstance(i, str) for i in items):
                ctx.error(where, "expected: vpdq [\"pdq_hex,quality,timestamp\", …]")
                continue
            got = [_frame(i, f"{where} frame {n}", ctx, 0, 1) for n, i in enumerate(items, 1)]
            if got and all(got):
                yield _row(got, category, lineno)
            elif not got:
                ctx.error(where, "video with no frames")
        else:
            f = _frame(text, where, ctx, 2, 1)
            if f:
                frames.append(f)
    if layout == "frames":
        ctx.rows_read += 1
        if frames and not ctx.errors:
            yield _row(frames, category, 1)
        elif not frames:
            ctx.error("", "no frames")
    ctx.detail["layout"] = layout


FORMAT = FORMATS.register(Format(
    name="vpdq",
    description="vPDQ video hashes (upstream frame file, or pytx 'vpdq [...]' lines)",
    read=read,
    needs_category=True,
))
