"""What every format plugin shares: the row it yields, the import context, input helpers.

A plugin reads its source *streaming* and yields :class:`Row` objects one at a time; the
importer batches them into the database, so no format ever holds a whole set in memory.
Bad rows are reported through :meth:`ImportContext.error` with a human position
("line 12", "record 7 (line 40)"); the import is all-or-nothing.
"""

from __future__ import annotations

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
