"""Cluster and farm throughput (issue 13), deployed as a lab runs it.

1. Scan on a Dask cluster: ``dask scheduler`` and 1, then 2, separately started
   ``dask worker --nworkers 1 --nthreads 1`` processes; one exhibit scanned through them.
2. Processing farm: the same files as 4 exhibits through 2 ``seawall process --workers 1``
   processes, against the same bytes as 1 exhibit through 1 ``seawall process --workers 2``
   (both use two cores; the ratio is the farm's overhead).

Usage (repository root): .venv/bin/python bench/run_cluster_bench.py CORPUS_DIR [--repeat 2]
        [--write]
CORPUS_DIR: e.g. made by ../shared/bench/make_corpus.py OUT --images 200 --seed 1.
Prints Markdown; --write puts it in bench/RESULTS.md (its own sections only).
Each configuration's best of --repeat runs, a fresh SQLite database per run.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "src")]

from results_md import replace_section  # noqa: E402
from tests.cluster_processes import process_cluster, seawall_env  # noqa: E402


def corpus_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def cluster_scan(corpus: Path, workers: int, work: Path) -> float:
    from seawall.cluster import cluster_client
    from seawall.scan.pipeline import scan_exhibit

    with process_cluster(work / "cluster", workers=workers) as cluster, \
            cluster_client(cluster.address) as client:
        start = time.perf_counter()
        scan_exhibit([str(corpus)], "BENCH", db_url=f"sqlite:///{work / 'scan.db'}",
                     dask_client=client)
        return time.perf_counter() - start


def split(files: list[Path], corpus: Path, out: Path, parts: int) -> list[Path]:
    """``parts`` exhibits of about equal bytes, hard links to the corpus's files."""
    folders = [out / f"EX-{i + 1}" for i in range(parts)]
    sizes = [0] * parts
    for f in sorted(files, key=lambda p: p.stat().st_size, reverse=True):
        i = sizes.index(min(sizes))
        target = folders[i] / f.relative_to(corpus)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.link(f, target)
        sizes[i] += f.stat().st_size
    return folders


def farm(exhibits: list[Path], processors: int, workers: int, work: Path) -> float:
    from seawall.operations.backlog import add_item
    from seawall.operations.config import backlog_config
    from seawall.store.db import session_scope

    db = f"sqlite:///{work / 'farm.db'}"
    with session_scope(db) as session:
        for ex in exhibits:
            add_item(session, "bench", backlog_config(), "BENCH", ex.name, path=str(ex))
    cmd = [sys.executable, "-m", "seawall", "process", "--until-empty", "--workers",
           str(workers), "--poll", "0.2", "--db", db, "--format", "json"]
    start = time.perf_counter()
    procs = [subprocess.Popen(cmd, env=seawall_env(), stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE) for _ in range(processors)]
    for proc in procs:
        _out, err = proc.communicate(timeout=3600)
        if proc.returncode:
            raise SystemExit(err.decode()[-2000:])
    return time.perf_counter() - start


def best(repeat: int, run) -> float:
    times = []
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as tmp:
            times.append(run(Path(tmp)))
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    corpus = args.corpus.resolve()
    files = corpus_files(corpus)
    size = sum(f.stat().st_size for f in files)
    load = os.getloadavg()
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    machine = (f"{platform.node()}, {os.cpu_count()} cores, load average "
               f"{load[0]:.1f} at the start")
    command = f"`bench/run_cluster_bench.py {args.corpus} --repeat {args.repeat}`"

    scans = [(n, best(args.repeat, lambda w, n=n: cluster_scan(corpus, n, w))) for n in (1, 2)]
    lines = ["## Scan on a Dask cluster", "",
             f"{command}, {when}, {machine}; corpus {len(files)} files, {size / 1e6:.0f} MB; "
             "`dask scheduler` and each `dask worker --nworkers 1 --nthreads 1` a separate "
             "process (as in `docs/deploy.md`), scan time only, best of "
             f"{args.repeat}, fresh SQLite per run:", "",
             "| dask worker processes | seconds | files/s | MB/s | speed-up vs 1 worker |",
             "|---|---|---|---|---|"]
    for n, seconds in scans:
        lines.append(f"| {n} | {seconds:.1f} | {len(files) / seconds:.0f} | "
                     f"{size / 1e6 / seconds:.0f} | {scans[0][1] / seconds:.2f}x |")

    with tempfile.TemporaryDirectory() as tmp:
        whole = split(files, corpus, Path(tmp) / "one", 1)
        quarters = split(files, corpus, Path(tmp) / "four", 4)
        single = best(args.repeat, lambda w: farm(whole, 1, 2, w))
        shared = best(args.repeat, lambda w: farm(quarters, 2, 1, w))
    farm_lines = ["## Processing farm", "",
                  f"{command}, {when}, {machine}; the same corpus. Wall time from starting "
                  "the processors to the last one exiting (`seawall process --until-empty`: "
                  "start-up, claims, scans, matching, counts), best of "
                  f"{args.repeat}, fresh SQLite per run:", "",
                  "| configuration | seconds | MB/s |", "|---|---|---|",
                  f"| 1 exhibit, 1 processor `--workers 2` | {single:.1f} | "
                  f"{size / 1e6 / single:.0f} |",
                  f"| 4 exhibits (same bytes), 2 processors `--workers 1` | {shared:.1f} | "
                  f"{size / 1e6 / shared:.0f} |", "",
                  f"Ratio 4-exhibit farm / single exhibit: **{shared / single:.2f}** "
                  f"(farm overhead {100 * (shared / single - 1):+.0f}%; goal under +10%)."]
    text = "\n".join(lines)
    farm_text = "\n".join(farm_lines)
    print(text + "\n\n" + farm_text)
    if args.write:
        replace_section("## Scan on a Dask cluster", text)
        replace_section("## Processing farm", farm_text)


if __name__ == "__main__":
    main()
