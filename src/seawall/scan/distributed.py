"""Running scan batches on a Dask distributed cluster.

Workers execute the same :func:`seawall.scan.worker.process_batch` as the local pool: each
opens the exhibit itself through dfVFS from storage that every node mounts at the same path
(read-only), so only file-entry metadata travels to workers and only records travel back.
Dask reruns the tasks of a worker that dies; records are written once, by the scheduler
client, keyed by ``file_key`` (a task that ran twice cannot write twice).  When the scan
ends, however it ends, every worker closes the exhibit and deletes its work files.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from seawall.evidence.base import FileEntry
from seawall.scan.worker import EntryResult, WorkerOptions, process_batch, release_sources


def run_on_cluster(client, paths: list[str], kind: str, batches: Iterator[list[FileEntry]],
                   options: WorkerOptions, consume: Callable[[list[EntryResult]], None],
                   max_in_flight: int | None = None) -> None:
    """Submit batches to the cluster of ``client``, keeping a bounded number in flight, and
    hand each result to ``consume`` as it completes."""
    from distributed import as_completed

    try:
        if max_in_flight is None:
            threads = sum(client.nthreads().values()) or 1
            max_in_flight = threads * 3
        # The client is not Dask's default (seawall.cluster): name its event loop, or
        # as_completed looks for a default client and fails with "No clients found".
        pending = as_completed(loop=client.loop)
        in_flight = 0
        exhausted = False

        def submit_more() -> None:
            nonlocal in_flight, exhausted
            while not exhausted and in_flight < max_in_flight:
                batch = next(batches, None)
                if batch is None:
                    exhausted = True
                    return
                # pure=False: two batches with equal content are still two tasks; retries
                # cover worker loss on top of Dask's own rescheduling of lost tasks.
                pending.add(client.submit(process_batch, tuple(paths), kind, batch, options,
                                          pure=False, retries=2))
                in_flight += 1

        submit_more()
        while in_flight:
            future = next(pending)
            in_flight -= 1
            result = future.result()
            future.release()
            consume(result)
            submit_more()
    finally:
        try:
            client.run(release_sources, tuple(paths), kind)
        except Exception:  # noqa: BLE001 - a lost worker has nothing left to release
            pass
