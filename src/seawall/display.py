"""How evidence text (file names, references) is shown to people.

Characters a browser or PDF would hide, collapse or use to reorder text (C0/C1 controls,
DEL, the bidirectional controls) are part of the evidence when they occur in a file name:
a right-to-left override can make "gpj.exe" read as "exe.jpg".  Pages and reports show
them as escapes, the way the scanner shows undecodable bytes ("\\xff").
"""

from __future__ import annotations

import re

from markupsafe import Markup

_INVISIBLE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
# The same, but tab, LF and CR pass: web forms round-trip multi-line text (notes, reasons)
# through <textarea>, where an escape would be saved back as text.
_INVISIBLE_INLINE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _escape(match: re.Match) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x80 else f"\\u{code:04x}"


def visible(value: str, *, keep_line_breaks: bool = False) -> str:
    """``value`` with every invisible or reordering character written as an escape."""
    return (_INVISIBLE_INLINE if keep_line_breaks else _INVISIBLE).sub(_escape, value)


def finalize(value):
    """Jinja ``finalize`` hook for reports: plain strings shown visibly; markup left as is."""
    return visible(value) if isinstance(value, str) and not isinstance(value, Markup) else value


def finalize_keep_line_breaks(value):
    """The web pages' hook: as ``finalize``, but tab/LF/CR pass (see above)."""
    if isinstance(value, str) and not isinstance(value, Markup):
        return visible(value, keep_line_breaks=True)
    return value
