"""Settings of one web application instance."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from seawall.grading.settings import GradingSettings


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
    # The grading workflow the app serves (reveals, dual grading, clustering, breaks).
    grading: GradingSettings = field(default_factory=GradingSettings)
