"""bench/RESULTS.md is shared by several benchmarks: each replaces only its own section."""

from __future__ import annotations

import re
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


def replace_section(heading: str, text: str, *, stop: str = r"^## ") -> None:
    """Put ``text`` in place of the section under ``heading`` (up to the next line matching
    ``stop``), or append it; every other section stays as it is."""
    old = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n"
    pattern = re.compile(rf"^{re.escape(heading)}\n.*?(?={stop}|\Z)", re.S | re.M)
    if pattern.search(old):
        new = pattern.sub(lambda _: text + "\n", old, count=1)
    else:
        new = old.rstrip("\n") + "\n\n" + text + "\n"
    RESULTS.write_text(new.rstrip("\n") + "\n")
