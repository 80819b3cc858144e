"""A small incremental JSON reader for very large files.

VICS files run to gigabytes, often on a single line, so ``json.load`` is out.  This reader
walks the outer structure itself (objects and arrays it is told to descend into) and hands
each element to the C ``json`` decoder (``raw_decode``) on a bounded buffer.  It keeps
exact byte and line positions for error messages, and refuses any single value larger than
``max_value`` bytes, so memory stays bounded whatever the input.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Iterator
from typing import BinaryIO

from seawall.errors import InvalidInput

_WS = " \t\n\r"
_DECODER = json.JSONDecoder()
CHUNK = 1 << 20
MAX_VALUE = 64 << 20  # largest single JSON value (one Media record) accepted


class JsonStreamError(InvalidInput, ValueError):
    def __init__(self, message: str, line: int, column: int, offset: int):
        self.line, self.column, self.offset = line, column, offset
        super().__init__(f"line {line}, column {column}: {message}")


class JsonStream:
    def __init__(self, raw: BinaryIO, max_value: int | None = None):
        self._raw = raw
        self._dec = codecs.getincrementaldecoder("utf-8")(errors="strict")
        self._buf = ""
        self._pos = 0  # index into _buf
        self._base_chars = 0  # characters discarded before _buf
        self._base_lines = 0  # newlines discarded before _buf
        self._base_col_start = 0  # absolute char index of the start of the current line
        self._eof = False
        self._first = True
        self._lc_pos = 0  # newline count cache: buf[:_lc_pos] holds _lc_count newlines
        self._lc_count = 0
        self.max_value = MAX_VALUE if max_value is None else max_value

    # -- buffer management -------------------------------------------------------------
    def _fill(self) -> bool:
        if self._eof:
            return False
        data = self._raw.read(CHUNK)
        if not data:
            self._eof = True
            tail = self._dec.decode(b"", final=True)
            self._buf += tail
            return bool(tail)
        try:
            text = self._dec.decode(data)
        except UnicodeDecodeError as exc:
            raise self.error(f"not UTF-8 ({exc.reason})") from None
        if self._first:
            self._first = False
            if text.startswith("\ufeff"):  # BOM: seen in the wild (GLEAPP)
                text = text[1:]
        # Drop consumed text so the buffer holds at most one value plus one chunk.
        if self._pos > CHUNK:
            dropped = self._buf[: self._pos]
            nl = dropped.count("\n")
            if nl:
                self._base_col_start = self._base_chars + dropped.rfind("\n") + 1
            self._base_lines += nl
            self._base_chars += self._pos
            self._buf = self._buf[self._pos :]
            self._pos = 0
            self._lc_pos = self._lc_count = 0
        self._buf += text
        return True

    def position(self, pos: int | None = None) -> tuple[int, int, int]:
        """(line, column, character offset) of buffer index ``pos`` (default: current)."""
        pos = self._pos if pos is None else pos
        before = self._buf[:pos]
        nl = before.count("\n")
        line = self._base_lines + nl + 1
        if nl:
            col = pos - before.rfind("\n")
        else:
            col = self._base_chars + pos - self._base_col_start + 1
        return line, col, self._base_chars + pos

    @property
    def line(self) -> int:
        """Line of the next token; incremental, so cheap to ask for every record."""
        self.peek()
        if self._pos < self._lc_pos:
            self._lc_pos = self._lc_count = 0
        self._lc_count += self._buf.count("\n", self._lc_pos, self._pos)
        self._lc_pos = self._pos
        return self._base_lines + self._lc_count + 1

    def error(self, message: str, pos: int | None = None) -> JsonStreamError:
        line, col, off = self.position(pos)
        return JsonStreamError(message, line, col, off)

    # -- tokens ------------------------------------------------------------------------
    def peek(self) -> str:
        """Next non-whitespace character ('' at end of input), not consumed."""
        while True:
            while self._pos < len(self._buf) and self._buf[self._pos] in _WS:
                self._pos += 1
            if self._pos < len(self._buf):
                return self._buf[self._pos]
            if not self._fill():
                return ""

    def expect(self, chars: str) -> str:
        c = self.peek()
        if not c or c not in chars:
            found = repr(c) if c else "end of file"
            raise self.error(f"expected {' or '.join(repr(x) for x in chars)}, found {found}")
        self._pos += 1
        return c

    def value(self):
        """Decode the next complete JSON value."""
        self.peek()
        start = self._pos
        while True:
            try:
                obj, end = _DECODER.raw_decode(self._buf, start)
            except json.JSONDecodeError as exc:
                need_more = exc.msg.startswith("Unterminated string") or (
                    exc.pos >= len(self._buf) - 8)
                if need_more and not self._eof:
                    self._grow(start)
                    start = self._pos
                    continue
                if exc.pos >= len(self._buf):
                    raise self.error("unexpected end of file", exc.pos) from None
                raise self.error(exc.msg, exc.pos) from None
            if end >= len(self._buf) and not self._eof:
                # A number or literal at the very end of the buffer may continue.
                self._grow(start)
                start = self._pos
                continue
            self._pos = end
            return obj

    def _grow(self, start: int) -> None:
        if len(self._buf) - start > self.max_value:
            raise self.error(f"a single JSON value is larger than {self.max_value >> 20} MiB",
                             start)
        self._pos = start
        self._fill()

    def key(self) -> str:
        k = self.value()
        if not isinstance(k, str):
            raise self.error("expected an object key (a string)")
        self.expect(":")
        return k

    def object_items(self) -> Iterator[str]:
        """Iterate the keys of an object; the caller must consume each value."""
        self.expect("{")
        if self.peek() == "}":
            self._pos += 1
            return
        while True:
            yield self.key()
            if self.expect(",}") == "}":
                return

    def array_items(self) -> Iterator[int]:
        """Iterate the positions of an array's elements; the caller consumes each one."""
        self.expect("[")
        if self.peek() == "]":
            self._pos += 1
            return
        i = 0
        while True:
            yield i
            i += 1
            if self.expect(",]") == "]":
                return

    def end(self) -> None:
        c = self.peek()
        if c:
            raise self.error(f"unexpected data after the end of the JSON document ({c!r})")
