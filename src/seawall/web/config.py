"""Settings of one web application instance."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta


@dataclass
class WebSettings:
    db_url: str | None = None
    # Secure cookies need TLS; set when served behind HTTPS (directly or via a proxy).
    secure_cookies: bool = False
    session_idle: timedelta = timedelta(minutes=30)
    session_absolute: timedelta = timedelta(hours=12)
    # Login delay per user name (known or not, so the answer reveals nothing): after this
    # many consecutive failures each further attempt must wait login_delay_base, doubling
    # per failure up to login_delay_max.  A delay, never a lock: the right password works
    # once it has passed.  Failures older than login_failure_window no longer count.
    login_delay_after: int = 5
    login_delay_base: timedelta = timedelta(seconds=2)
    login_delay_max: timedelta = timedelta(minutes=10)
    login_failure_window: timedelta = timedelta(hours=24)
    # Rate limit per client address: failures within the window before 429s.  Behind a
    # reverse proxy the address is the proxy's unless `seawall serve --proxy-headers`
    # (see docs/deploy.md), and then every user would share one limit.
    ip_failure_limit: int = 20
    ip_failure_window: timedelta = timedelta(minutes=10)
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
