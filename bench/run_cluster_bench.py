"""Scan throughput on a Dask LocalCluster with 1 and 2 worker processes (issue 8).

Usage: .venv/bin/python bench/run_cluster_bench.py CORPUS_DIR [--repeat 2]
CORPUS_DIR: e.g. made by ../shared/bench/make_corpus.py OUT --images 300 --seed 1.
Prints a Markdown table for bench/RESULTS.md; each configuration's best of --repeat runs.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path


def corpus_bytes(root: Path) -> tuple[int, int]:
    files = size = 0
    for dirpath, _dirs, names in os.walk(root):
        for name in names:
            files += 1
            size += os.path.getsize(os.path.join(dirpath, name))
    return files, size


def scan_once(corpus: Path, client, workers: int | None) -> float:
    from seawall.scan.pipeline import scan_exhibit

    with tempfile.TemporaryDirectory() as tmp:
        db = f"sqlite:///{tmp}/bench.db"
        start = time.perf_counter()
        scan_exhibit([str(corpus)], "BENCH", db_url=db, dask_client=client,
                     workers=workers)
        return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    from distributed import Client, LocalCluster

    files, size = corpus_bytes(args.corpus)
    print(f"corpus: {files} files, {size / 1e6:.0f} MB")
    rows = []
    for n in (1, 2):
        with LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                          dashboard_address=None) as cluster, Client(cluster) as client:
            best = min(scan_once(args.corpus, client, None) for _ in range(args.repeat))
        rows.append((f"Dask LocalCluster, {n} worker process(es)", best))
    for n in (1, 2):
        best = min(scan_once(args.corpus, None, n) for _ in range(args.repeat))
        rows.append((f"local process pool, {n} worker(s)", best))
    base = rows[0][1]
    print("| configuration | seconds | files/s | MB/s | speed-up vs 1 Dask worker |")
    print("|---|---|---|---|---|")
    for name, seconds in rows:
        print(f"| {name} | {seconds:.1f} | {files / seconds:.0f} | {size / 1e6 / seconds:.0f} "
              f"| {base / seconds:.2f}x |")


if __name__ == "__main__":
    main()
