"""Export formats: a writer ``fn(session, case_reference, out_path, **options) -> int``
(the number of records written), registered with ``@EXPORTERS.named("dfxml")``.

Other packages add formats through the ``seawall.exporters`` entry-point group (see
:mod:`seawall.registry`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from sqlalchemy.orm import Session

from seawall.registry import Registry


class Exporter(Protocol):
    # Any, not object: each writer declares the options it takes (``dialect: str`` ...).
    def __call__(self, session: Session, case_reference: str, out: Path,
                 **options: Any) -> int: ...


EXPORTERS: Registry[Exporter] = Registry(
    "export format", "seawall.exporters",
    builtin=("seawall.exports.dfxml", "seawall.exports.vics", "seawall.exports.case_uco"))
