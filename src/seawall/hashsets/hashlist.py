"""Plain MD5 / SHA-1 / SHA-256 lists, one category for the whole list (``--category``).

Accepted lines: a bare hex digest; md5sum/sha1sum/sha256sum output (``HASH  name`` or
``HASH *name``, and GNU's ``\\HASH  name`` for escaped names); BSD/``--tag`` output
(``MD5 (name) = HASH``, as macOS ``md5`` and ``shasum --tag`` write); and hashdeep output
(``%%%% HASHDEEP-1.0``, a ``%%%% size,md5,sha256,filename`` column line, then CSV rows).
The algorithm follows from the length (32/40/64).  Blank lines and lines starting with ``#``
are skipped.  File names are ignored and need not be UTF-8.

A CSV whose first line is a header (``md5``, ``hash,category``, ``MD5;SHA1;FileName`` …) is
read by column name: every ``md5``/``sha1``/``sha256``/``hash`` cell is an entry, and a
``category`` column overrides ``--category`` row by row.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from seawall.hashsets.base import (
    Header,
    ImportContext,
    ImportFailed,
    Row,
    detect_header,
    named_row,
    parse_hex,
    text_lines,
)
from seawall.hashsets.registry import FORMATS, Format

_TAG = re.compile(r"[A-Za-z0-9-]+ ?\(.*\) ?= ?(\S+)")  # "SHA256 (name) = HASH"
_HASHDEEP_KINDS = ("md5", "sha1", "sha256")
_HEADER_KINDS: dict[str, str | None] = {"md5": "md5", "sha1": "sha1", "sha256": "sha256",
                                        "hash": None}


def read(raw, ctx: ImportContext) -> Iterator[Row]:
    category: str | None = None
    if ctx.category:
        category = ctx.category_name("--category", ctx.category)
        if category is None:
            raise ctx.fatal("", "no valid category")
    columns: list[str] | None = None  # hashdeep column line, once seen
    header: Header | None = None
    first = True
    # surrogateescape: md5sum writes non-UTF-8 file names as raw bytes.
    for lineno, line in text_lines(raw, ctx, ctx.total_bytes, errors="surrogateescape"):
        text = line.strip()
        if not text or text.startswith("#"):  # also hashdeep's "##" lines
            continue
        where = f"line {lineno}"
        if first:
            first = False
            if not text.startswith("%%%%"):
                header = detect_header(text, lineno, ctx, _HEADER_KINDS)
            if category is None and (header is None or header.category is None):
                raise _no_category(ctx)
            if header is not None or ctx.errors:  # the header, or a bad row reported
                continue
        if header is not None:
            ctx.rows_read += 1
            for kind, value, row_category in named_row(header, text, where, ctx, category):
                yield Row(kind, value, row_category, lineno)
            continue
        if text.startswith("%%%%"):
            body = text[4:].strip()
            if not body.upper().startswith("HASHDEEP"):
                columns = [c.strip().lower() for c in body.split(",")]
                if not any(c in _HASHDEEP_KINDS for c in columns):
                    raise ctx.fatal(where, f"hashdeep columns {body!r} have no md5, sha1 "
                                           "or sha256")
            continue
        ctx.rows_read += 1
        assert category is not None  # checked on the first line: no header, so --category
        if columns is not None:
            yield from _hashdeep(text, columns, where, lineno, category, ctx)
            continue
        tag = _TAG.fullmatch(text.removeprefix("\\"))
        # GNU md5sum starts a line with "\" when it escaped the file name.
        digest = tag.group(1) if tag else text.split(None, 1)[0].removeprefix("\\")
        got = parse_hex(digest)
        if isinstance(got, str):
            ctx.error(where, got)
            continue
        yield Row(got[0], got[1], category, lineno)


def _no_category(ctx: ImportContext) -> ImportFailed:
    return ctx.fatal("--category", "a hash list needs one category for the whole list "
                                   "(e.g. --category A, or --category known_benign) "
                                   "or a header naming a category column")


def _hashdeep(text: str, columns: list[str], where: str, lineno: int, category: str,
              ctx: ImportContext) -> Iterator[Row]:
    # The file name is the last column and may itself hold commas.
    fields = text.split(",", len(columns) - 1)
    if len(fields) != len(columns):
        ctx.error(where, f"expected {len(columns)} hashdeep fields ({','.join(columns)}), "
                         f"got {len(fields)}")
        return
    rows = []
    for name, value in zip(columns, fields, strict=True):
        if name not in _HASHDEEP_KINDS:
            continue  # size, tiger, whirlpool, filename
        got = parse_hex(value.strip(), name)
        if isinstance(got, str):
            ctx.error(where, f"{name}: {got}")
            return
        rows.append(Row(got[0], got[1], category, lineno))
    yield from rows


FORMAT = FORMATS.register(Format(
    name="hashlist",
    description="MD5/SHA-1/SHA-256 list (bare, md5sum, BSD --tag or hashdeep), one --category",
    read=read,
    needs_category=True,
))
