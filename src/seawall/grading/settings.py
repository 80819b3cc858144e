"""Settings of the grading workflow (queue clustering, dual grading, reveals, breaks)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta


@dataclass
class GradingSettings:
    # How long one deliberate reveal lets the user see the unblurred thumbnail.
    reveal_window: timedelta = timedelta(minutes=5)
    # PDQ Hamming distance within which media are graded together as one cluster.
    pdq_cluster_threshold: int = 31
    # Independent graders needed before a grade is final, per category (others need 1):
    # the most severe category of the UK and VICS-US schemes.
    graders_required: dict[str, int] = field(default_factory=lambda: {"A": 2, "CAM": 2})
    # Continuous grading after which a break reminder is shown.
    break_after: timedelta = timedelta(minutes=50)
    thumbnail_size: int = 320
