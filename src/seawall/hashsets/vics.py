"""Project VIC "VICS" JSON: 1.x (``odata.metadata``) and 2.0 (``@odata.context``).

Both shapes are read: a hash set (``…#Media``: ``value`` is a list of Media) and a case
export (``…#Cases``: ``value`` is a list of Cases, each with a ``Media`` list).  Each Media
gives MD5, SHA1 and any SHA1/SHA256 in ``AlternativeHashes``; its ``Category`` code is
mapped through the scheme's table for the file's dialect (2.0: ``US``/``UK``/``Default``/
``CUSTOM`` from the context URL; 1.x: ``1.x``).  A missing or null Category, and codes the
table does not list, become the dialect's ``unknown_code`` (uncategorised: stays in review).
PhotoDNA values are ignored (matching them needs a licensed implementation).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from seawall.hashsets.base import ImportContext, Row, parse_hex
from seawall.hashsets.jsonstream import JsonStream, JsonStreamError
from seawall.hashsets.registry import FORMATS, Format

_MODEL = re.compile(r"DataModels/(?P<ver>\d+(?:\.\d+)?)\.xml(?:/(?P<dialect>[^/$#]+))?",
                    re.IGNORECASE)
DEFAULT_SCHEME = {"UK": "uk"}  # every other dialect defaults to vics-us
_CODE = re.compile(r"-?[0-9]+")
_ALT_KINDS = {"SHA1": "sha1", "SHA-1": "sha1", "SHA256": "sha256", "SHA-256": "sha256",
              "MD5": "md5"}


def parse_context(url: str) -> tuple[str, str]:
    """(data-model version, dialect) from an ``odata.metadata``/``@odata.context`` URL."""
    m = _MODEL.search(url or "")
    if not m:
        return "unknown", "Default"
    ver = m.group("ver")
    if ver.startswith("1"):
        return ver, "1.x"
    return ver, m.group("dialect") or "Default"


def read(raw, ctx: ImportContext) -> Iterator[Row]:
    js = JsonStream(raw)
    state: dict[str, Any] = {"record": 0, "dialect": None}
    try:
        for key in js.object_items():
            if key in ("odata.metadata", "@odata.context"):
                url = js.value()
                if not isinstance(url, str):
                    raise js.error(f"{key} must be a string")
                ver, dialect = parse_context(url)
                ctx.detail.update({"context": url, "data_model": ver, "dialect": dialect})
                state["dialect"] = ctx.dialect or dialect
                state["shape"] = "Cases" if url.rstrip("/").endswith("#Cases") else "Media"
            elif key == "value":
                state["value"] = True
                if state["dialect"] is None:
                    # No context before "value": we cannot know the dialect yet.
                    state["dialect"] = ctx.dialect or "Default"
                    ctx.warn("", "no odata.metadata/@odata.context before 'value'; "
                                 f"dialect taken as {state['dialect']!r}")
                yield from _values(js, ctx, state)
            else:
                js.value()  # other top-level keys are metadata we do not need
        js.end()
    except JsonStreamError as exc:
        where = f"record {state['record'] + 1}, " if state["record"] else ""
        raise ctx.fatal(f"{where}line {exc.line}, column {exc.column}",
                        f"malformed JSON: {str(exc).split(': ', 1)[1]}") from None
    if "context" not in ctx.detail:
        raise ctx.fatal("", "not a VICS file: no 'odata.metadata' or '@odata.context' key")
    if "value" not in state:
        # Else a metadata-only file would replace the current version with an empty one.
        raise ctx.fatal("", "no 'value' list: not a VICS hash set or case export")
    ctx.detail["records"] = state["record"]


def _values(js: JsonStream, ctx: ImportContext, state: dict) -> Iterator[Row]:
    scheme_name = DEFAULT_SCHEME.get(state["dialect"].upper(), "vics-us")
    scheme = ctx.ensure_scheme(scheme_name)
    table = scheme.dialect(state["dialect"])
    if table.assumption:
        ctx.warn("", f"scheme {scheme.name!r} dialect {table.name!r}: category codes are an "
                     "assumption, not a published table (override in a scheme file)")
    ctx.detail["scheme_dialect"] = table.name
    for _ in js.array_items():
        if js.peek() != "{":
            state["record"] += 1
            line = js.line
            obj = js.value()
            ctx.error(f"record {state['record']} (line {line})",
                      f"expected an object, got {type(obj).__name__}")
            continue
        if state.get("shape") == "Media":
            state["record"] += 1
            line = js.line
            yield from _media(js.value(), state["record"], line, ctx, table)
        else:
            yield from _case(js, ctx, state, table)
        if state["record"] % 4096 == 0:
            ctx.report(getattr(js._raw, "bytes_read", 0), ctx.total_bytes)


def _case(js: JsonStream, ctx: ImportContext, state: dict, table) -> Iterator[Row]:
    """A Case object, streamed: its Media list may hold millions of entries."""
    start_line = js.line
    fields = {}
    saw_media = False
    for key in js.object_items():
        if key == "Media":
            saw_media = True
            if js.peek() == "n" and js.value() is None:
                continue  # "Media": null (.NET serialisers' empty list): no media
            if js.peek() != "[":
                raise js.error("'Media' must be a list")
            for _ in js.array_items():
                state["record"] += 1
                line = js.line
                yield from _media(js.value(), state["record"], line, ctx, table)
        else:
            fields[key] = js.value()
    if not saw_media:
        # No context said #Cases, and this element has no Media list: it is a Media itself.
        state["record"] += 1
        yield from _media(fields, state["record"], start_line, ctx, table)


def _media(obj, record: int, line: int, ctx: ImportContext, table) -> Iterator[Row]:
    ctx.rows_read += 1
    where = f"record {record} (line {line})"
    if not isinstance(obj, dict):
        ctx.error(where, f"expected an object, got {type(obj).__name__}")
        return
    code = obj.get("Category")
    if code is None:
        raw_code, category = None, table.unknown_code
    else:
        if isinstance(code, bool) or not isinstance(code, (int, str)):
            ctx.error(where, f"Category must be an integer or null, got {code!r}")
            return
        raw_code = str(code).strip()
        # ASCII digits only: str.isdigit() also passes "²" and "--1", which int() refuses.
        if isinstance(code, str) and not _CODE.fullmatch(raw_code):
            ctx.error(where, f"Category must be an integer or null, got {code!r}")
            return
        category = table.codes.get(str(int(raw_code)))
        if category is None:
            ctx.warn(where, f"Category code {raw_code} is not in the {table.name} table; "
                            f"recorded as {table.unknown_code}")
            category = table.unknown_code
    hashes: list[tuple[str, bytes]] = []
    for field, kind in (("MD5", "md5"), ("SHA1", "sha1"), ("SHA256", "sha256")):
        if obj.get(field) in (None, ""):
            continue
        got = parse_hex(obj[field], kind)
        if isinstance(got, str):
            ctx.error(where, f"{field}: {got}")
            return
        hashes.append(got)
    alts = obj.get("AlternativeHashes") or []
    if not isinstance(alts, list):
        ctx.error(where, "AlternativeHashes must be a list")
        return
    for alt in alts:
        if not isinstance(alt, dict):
            ctx.error(where, "AlternativeHashes entries must be objects")
            return
        alt_kind = _ALT_KINDS.get(str(alt.get("HashName", "")).upper())
        if alt_kind is None:
            continue  # PhotoDNA, EDK, …: not matched here
        if alt.get("HashValue") in (None, ""):
            continue  # absent, as a null MD5/SHA1 is
        got = parse_hex(alt.get("HashValue"), alt_kind)
        if isinstance(got, str):
            ctx.error(where, f"AlternativeHashes {alt.get('HashName')}: {got}")
            return
        hashes.append(got)
    if not hashes:
        hint = ""
        if isinstance(obj.get("Media"), list):  # a Case where the context said #Media
            hint = " (a Case object with a 'Media' list: the context URL should end #Cases)"
        ctx.error(where, f"no MD5, SHA1 or SHA256 hash{hint}")
        return
    seen = set()
    for kind, value in hashes:
        if (kind, value) in seen:
            continue
        seen.add((kind, value))
        yield Row(kind, value, category, record, raw_code)


FORMAT = FORMATS.register(Format(
    name="vics",
    description="Project VIC VICS JSON 1.x / 2.0 (US, UK, Default dialects), streamed",
    read=read,
    default_scheme="vics-us",
))
