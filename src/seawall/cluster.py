"""Connecting to a lab's Dask cluster (``--cluster tcp://HOST:8786``).

Every command that runs work on a cluster connects here, before it changes anything, so an
unreachable scheduler is one clear error rather than a half-started scan.  The client is
never made Dask's process-wide default: everything that uses it is handed it explicitly.
How long to wait for the scheduler is Dask's own setting,
``distributed.comm.timeouts.connect`` (``DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT=10s``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from seawall.errors import Unavailable


class _DropCancelledClose(logging.Filter):
    """Drop Dask's log of its own close being cancelled when the scheduler goes away.

    Dask logs that as an ERROR with a traceback from inside its reconnect loop; Seawall
    reports the lost cluster itself (the item stays resumable), so the traceback only
    buries the message a user needs."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], asyncio.CancelledError))


_CLIENT_LOG_FILTER = _DropCancelledClose()


@contextmanager
def cluster_client(address: str) -> Iterator[Any]:
    """A ``distributed.Client`` connected to the scheduler at ``address``, closed on exit.

    Raises :class:`Unavailable` when the scheduler cannot be reached (or Dask is not
    installed); errors raised inside the block pass through unchanged."""
    try:
        from distributed import Client
        from distributed.comm import resolve_address
    except ImportError as exc:
        raise Unavailable("--cluster needs Dask distributed (pip install distributed)") from exc
    try:
        # Checked first: a Client given a malformed address hangs on its way out.
        resolve_address(address)
        client = Client(address, set_as_default=False)
    except (OSError, ValueError, TypeError) as exc:  # refused, timed out, malformed address
        raise Unavailable(f"cannot reach the Dask scheduler at {address}: {exc}") from exc
    logging.getLogger("distributed.client").addFilter(_CLIENT_LOG_FILTER)  # idempotent
    try:
        yield client
    finally:
        client.close()
