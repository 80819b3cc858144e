"""Plain data used by the policy, forecast and simulation (no database needed)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

WAITING = ("received", "triaged")
OPEN = ("received", "triaged", "in_examination")


@dataclass
class Entry:
    """One backlog exhibit with its effective risk band."""

    case_reference: str
    exhibit_reference: str
    exhibit_type: str
    received: date
    status: str = "received"
    band: str = "medium"
    band_source: str = "stored"
    safeguarding: bool = False
    estimated_hours: float | None = None
    started: date | None = None
    reported: date | None = None
    actual_hours: float | None = None
    examiner: str | None = None
    band_conflict: bool = False  # the case's exhibits were given differing bands
    # Automated processing of an item with a path (seawall process): status ("waiting",
    # "scanning", "scanned", "failed"), files, errors, provisional counts, error.
    scan: dict | None = None

    @property
    def key(self) -> str:
        return f"{self.case_reference}/{self.exhibit_reference}"

    @property
    def waiting(self) -> bool:
        return self.status in WAITING
