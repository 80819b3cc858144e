"""What every format plugin shares: the row it yields, the import context, input helpers.

A plugin reads its source *streaming* and yields :class:`Row` objects one at a time; the
importer batches them into the database, so no format ever holds a whole set in memory.
Bad rows are reported through :meth:`ImportContext.error` with a human position
("line 12", "record 7 (line 40)"); the import is all-or-nothing.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from seawall.errors import InvalidInput
from seawall.hashsets.scheme import Scheme, SchemeError, load_scheme

HEX_LENGTHS = {32: "md5", 40: "sha1", 64: "sha256"}
_WANT = {"md5": 32, "sha1": 40, "sha256": 64, "pdq": 64}
KINDS = ("md5", "sha1", "sha256", "pdq", "vpdq")
_HEX = re.compile(r"[0-9a-fA-F]+")
MAX_LINE = 1 << 16  # longer lines are rejected, so a 2 GB single-line file costs no memory
MAX_ERRORS = 50


@dataclass(slots=True)
class Row:
    kind: str  # md5 | sha1 | sha256 | pdq | vpdq
    value: bytes  # raw digest (vpdq: SHA-256 of the canonical frame list)
    category: str  # scheme category name or "known_benign"
    position: int  # line or record number in the source
    raw_code: str | None = None  # category code as written in the source (VICS)
    payload: str | None = None  # vpdq: "hex:quality" frames, space separated


@dataclass
class ImportIssue:
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


class ImportFailed(InvalidInput):
    """The import was rejected; nothing was written."""

    def __init__(self, issues: list[ImportIssue], truncated: bool = False):
        self.issues = issues
        self.truncated = truncated
        lines = [str(i) for i in issues]
        if truncated:
            lines.append(f"(stopped after {len(issues)} errors)")
        super().__init__("\n".join(lines))


class _TooMany(Exception):
    pass


@dataclass
class ImportContext:
    scheme: Scheme | None = None  # None: the format picks its default (VICS: by dialect)
    category: str | None = None  # default category for formats with one category per list
    dialect: str | None = None  # VICS dialect override
    progress: Callable[[int, int | None], None] | None = None  # (done, total) in bytes/rows
    errors: list[ImportIssue] = field(default_factory=list)
    warnings: list[ImportIssue] = field(default_factory=list)
    detail: dict = field(default_factory=dict)  # format facts recorded on the version
    rows_read: int = 0  # source records read

    total_bytes: int | None = None

    def ensure_scheme(self, default: str) -> Scheme:
        if self.scheme is None:
            self.scheme = load_scheme(default)
        return self.scheme

    def category_name(self, where: str, name: str) -> str | None:
        """Canonical name of a category written in the source, or None (error recorded)."""
        try:
            return self.ensure_scheme("uk").resolve(name)
        except SchemeError as exc:
            self.error(where, str(exc))
            return None

    def error(self, where: str, message: str) -> None:
        """Record a bad row; keep reading (to report more) until MAX_ERRORS."""
        self.errors.append(ImportIssue(where, message))
        if len(self.errors) >= MAX_ERRORS:
            raise _TooMany()

    def fatal(self, where: str, message: str) -> ImportFailed:
        """An error after which the source cannot be read further."""
        self.errors.append(ImportIssue(where, message))
        return ImportFailed(self.errors)

    def warn(self, where: str, message: str) -> None:
        if len(self.warnings) < 100:
            self.warnings.append(ImportIssue(where, message))

    def report(self, done: int, total: int | None) -> None:
        if self.progress:
            self.progress(done, total)


def parse_hex(text: object, kind: str | None = None) -> tuple[str, bytes] | str:
    """Validate a hex digest; return (kind, bytes) or an error message."""
    if not isinstance(text, str):
        return f"expected a hex string, got {type(text).__name__}"
    if kind is not None and len(text) == _WANT[kind]:
        # Fast path (NSRL has hundreds of millions of rows): fromhex accepts spaces
        # between bytes, so the byte length is checked too.
        try:
            raw = bytes.fromhex(text)
            if len(raw) * 2 == len(text):
                return kind, raw
        except ValueError:
            pass
    s = text.strip()
    if not s or not _HEX.fullmatch(s):
        return f"{_short(s)!r} is not hexadecimal"
    if kind is None:
        kind = HEX_LENGTHS.get(len(s))
        if kind is None:
            return f"{_short(s)!r} has {len(s)} hex digits (MD5 32, SHA-1 40, SHA-256 64)"
    want = _WANT[kind]
    if len(s) != want:
        return f"{kind.upper()} {_short(s)!r} has {len(s)} hex digits, expected {want}"
    return kind, bytes.fromhex(s)


_DIGEST = re.compile(r"[0-9a-fA-F]{32}|[0-9a-fA-F]{40}|[0-9a-fA-F]{64}")
_WORDS = re.compile(r"[^0-9A-Za-z]+")


@dataclass(frozen=True)
class Header:
    """A CSV header line (``hash,category``, ``MD5;SHA1;FileName`` …): columns read by name."""

    line: int
    columns: list[str]  # lower-cased, as written
    delimiter: str
    digests: list[tuple[int, str | None]]  # (column, kind; None: by length)
    category: int | None  # the category column, if any


def csv_fields(text: str, delimiter: str) -> list[str]:
    """One CSV line (quotes as the csv module reads them), fields stripped."""
    return [f.strip() for f in next(csv.reader([text], delimiter=delimiter), [])]


def sniff_delimiter(text: str) -> str:
    """The commonest of ``,`` ``;`` and tab in the line (spreadsheets in many locales
    write ``;``); ``,`` when there is none."""
    best = max(",;\t", key=text.count)
    return best if best in text else ","


def detect_header(text: str, lineno: int, ctx: ImportContext,
                  kinds: dict[str, str | None]) -> Header | None:
    """Read the first content line as a header, or return None when it is data.

    A line is data when its first word is hexadecimal or any word is a digest (md5sum,
    ``--tag`` and ``pdq HASH`` lines); otherwise it must name a hash column of this format
    (``kinds``: column name -> digest kind), or it is reported as a bad row.
    """
    words = [w for w in _WORDS.split(text) if w]
    if not words or _HEX.fullmatch(words[0]) or any(_DIGEST.fullmatch(w) for w in words):
        return None
    delimiter = sniff_delimiter(text)
    columns = [c.lower() for c in csv_fields(text, delimiter)]
    digests = [(i, kinds[c]) for i, c in enumerate(columns) if c in kinds]
    if not digests:
        ctx.error(f"line {lineno}", f"neither a hash nor a header naming a "
                                    f"{'/'.join(kinds)} column: {_short(text)!r}")
        return None
    category = columns.index("category") if "category" in columns else None
    header = Header(lineno, columns, delimiter, digests, category)
    ctx.detail["header"] = {"line": lineno, "columns": columns}
    return header


def named_row(header: Header, text: str, where: str, ctx: ImportContext,
              default_category: str | None) -> list[tuple[str, bytes, str]]:
    """The digests and category of one row under ``header``; [] (error recorded) if bad.

    An empty category cell takes ``--category``; an empty digest cell is skipped (a row
    may carry an MD5 but no SHA-1)."""
    fields = csv_fields(text, header.delimiter)

    def cell(index: int) -> str:
        return fields[index] if index < len(fields) else ""

    category = default_category
    if header.category is not None and cell(header.category):
        category = ctx.category_name(where, cell(header.category))
        if category is None:
            return []
    digests: list[tuple[str, bytes]] = []
    for index, kind in header.digests:
        if not cell(index):
            continue
        got = parse_hex(cell(index), kind)
        if isinstance(got, str):
            ctx.error(where, f"{header.columns[index]}: {got}")
            return []
        digests.append(got)
    if not digests:
        named = "/".join(header.columns[i] for i, _ in header.digests)
        ctx.error(where, f"no value in the {named} column")
        return []
    if category is None:
        ctx.error(where, "no category in the row and no --category given")
        return []
    return [(kind, value, category) for kind, value in digests]


def _short(s: str, n: int = 80) -> str:
    return s if len(s) <= n else s[:n] + "…"


class HashingReader(io.RawIOBase):
    """A binary file wrapper that hashes (SHA-256) and counts every byte read."""

    def __init__(self, path: Path):
        self._f = open(path, "rb")  # noqa: SIM115  (closed in close())
        self.sha256 = hashlib.sha256()
        self.bytes_read = 0

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        n = self._f.readinto(b)
        if n:
            self.sha256.update(memoryview(b)[:n])
            self.bytes_read += n
        return n

    def drain(self) -> None:
        """Read to the end, so the digest covers the whole file."""
        while chunk := self._f.read(1 << 20):
            self.sha256.update(chunk)
            self.bytes_read += len(chunk)

    def close(self) -> None:
        self._f.close()
        super().close()


def text_lines(raw: HashingReader, ctx: ImportContext, total: int | None,
               max_line: int = MAX_LINE, errors: str = "strict") -> Iterator[tuple[int, str]]:
    """Yield (line number, line) from UTF-8 text (BOM tolerated) with a line-length cap.

    ``errors="surrogateescape"`` keeps lines whose ignored parts (file names) are not UTF-8.
    """
    buffered = io.BufferedReader(raw, 1 << 20)
    # Windows tools (PowerShell 5 ``>`` / Out-File) write UTF-16 with a BOM.
    bom = buffered.peek(2)[:2]
    encoding = "utf-16" if bom in (b"\xff\xfe", b"\xfe\xff") else "utf-8-sig"
    text = io.TextIOWrapper(buffered, encoding=encoding, errors=errors, newline=None)
    lineno = 0
    try:
        while True:
            line = text.readline(max_line + 1)
            if not line:
                return
            lineno += 1
            if len(line) > max_line and not line.endswith("\n"):
                raise ctx.fatal(f"line {lineno}", f"longer than {max_line} characters; "
                                "not a hash list (is this the right --format?)")
            if lineno % 65536 == 0:
                ctx.report(raw.bytes_read, total)
            yield lineno, line.rstrip("\r\n")
    except UnicodeDecodeError as exc:
        raise ctx.fatal(f"line {lineno + 1}", f"not {encoding.removesuffix('-sig').upper()} "
                                              f"text ({exc.reason})") from None
    finally:
        # Detach, so the wrappers do not close ``raw``: the importer still drains it.
        text.detach()
        buffered.detach()
