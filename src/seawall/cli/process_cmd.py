"""``seawall process``: the processing farm's worker (scan and match the backlog's exhibits
in priority order; several may run at once, on one machine or many)."""

from __future__ import annotations

import json
import signal
import sys
from contextlib import ExitStack

import typer
from rich.markup import escape

from seawall.cli.common import (
    BacklogConfigOption,
    DbOption,
    FormatOption,
    check_format,
    console,
    fail,
)
from seawall.cluster import cluster_client


def _stop_on_sigterm(_signum, _frame) -> None:
    # systemd stops the service with SIGTERM: unwind like Ctrl-C, so the item in hand is
    # given back at once (resumable) instead of waiting for its lease to expire.
    raise KeyboardInterrupt


def process(
    until_empty: bool = typer.Option(False, "--until-empty", help="Exit 0 once no exhibit "
                                     "with a path is left to process (default: keep polling "
                                     "for new ones, as a service)."),
    cluster: str = typer.Option(None, "--cluster", help="Dask scheduler address: scan and "
                                "match on the cluster (its workers see the evidence at the "
                                "same paths)."),
    workers: int = typer.Option(0, "--workers", help="Local worker processes per scan "
                                "(default: all cores)."),
    batch_size: int = typer.Option(64, "--batch-size", help="Files per work unit."),
    commit_every: int = typer.Option(5000, "--commit-every", help="Records per database "
                                     "transaction (the most a killed processor's successor "
                                     "redoes)."),
    lease: float = typer.Option(120.0, "--lease", help="Seconds a claim lasts without a "
                                "heartbeat: how soon another processor takes over the "
                                "exhibit of one that died."),
    poll: float = typer.Option(10.0, "--poll", help="Seconds between looks for new work."),
    fmt: str = FormatOption, config: str | None = BacklogConfigOption, db: str = DbOption,
) -> None:
    """Scan and match the backlog's exhibits that have a path, most urgent first (the
    order `seawall backlog queue` shows), keeping each one's status, counts and times."""
    from seawall.operations.config import backlog_config
    from seawall.processing.claims import processor_name
    from seawall.processing.farm import ScanSettings, run
    from seawall.store.audit import cli_actor

    check_format(fmt)
    if lease < 3 or poll <= 0:
        fail("--lease must be at least 3 seconds and --poll positive")
    cfg = backlog_config(config)
    settings = ScanSettings(workers=workers or None, batch_files=max(1, batch_size),
                            commit_records=max(1, commit_every))
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    with ExitStack() as stack:
        client = None
        if cluster:
            client = stack.enter_context(cluster_client(cluster))
        try:
            for done in run(db, cfg, processor_name(), cli_actor(), until_empty=until_empty,
                            poll_seconds=poll, client=client, settings=settings,
                            lease_seconds=lease):
                if fmt == "json":
                    sys.stdout.write(json.dumps(done.as_dict()) + "\n")
                    sys.stdout.flush()
                elif done.error:
                    console.print(f"[red]failed:[/red] {escape(done.case)}/"
                                  f"{escape(done.exhibit)}: {escape(done.error)}")
                else:
                    console.print(f"{escape(done.case)}/{escape(done.exhibit)} ({done.band}): "
                                  f"{done.files} files, {done.errors} with errors")
        except KeyboardInterrupt:
            fail("stopped; the exhibit in hand was given back and resumes where it stopped",
                 130)


def register(app: typer.Typer) -> None:
    app.command()(process)
