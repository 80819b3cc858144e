"""Exact digest lookup: sorted 64-bit prefixes + searchsorted, memory-mapped.

    .venv/bin/python bench/bench_exact_lookup.py --n 100000000 --lookups 1000000

Builds an MD5-sized (16-byte) set of ``--n`` random digests, saves it, reopens it
memory-mapped, and times ``--lookups`` lookups (half present, half absent).  Prints JSON.
"""

from __future__ import annotations

import argparse
import gc
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
from seawall.matching.exact_index import ExactIndex  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=10_000_000)
    ap.add_argument("--lookups", type=int, default=1_000_000)
    ap.add_argument("--workdir", default=None)
    args = ap.parse_args()
    rng = np.random.default_rng(1)
    work = Path(args.workdir or tempfile.mkdtemp(prefix="exactbench-"))
    t = time.perf_counter()
    digests = rng.integers(0, 256, size=(args.n, 16), dtype=np.uint8)
    gen = time.perf_counter() - t
    t = time.perf_counter()
    index = ExactIndex.build(digests)
    build = time.perf_counter() - t
    index.save(work / "ix")
    present = digests[rng.integers(0, args.n, args.lookups // 2)]
    del digests, index
    gc.collect()
    absent = rng.integers(0, 256, size=(args.lookups - len(present), 16), dtype=np.uint8)
    queries = np.vstack([present, absent])[rng.permutation(args.lookups)]
    r0 = psutil.Process().memory_info().rss
    t = time.perf_counter()
    index = ExactIndex.load(work / "ix")
    load = time.perf_counter() - t
    index.lookup(queries[:1000])  # warm
    t = time.perf_counter()
    got = index.lookup(queries)
    dt = time.perf_counter() - t
    disk = sum(f.stat().st_size for f in (work / "ix").iterdir())
    res = {"n": args.n, "lookups": args.lookups, "generate_s": round(gen, 1),
           "build_s": round(build, 1), "load_s": round(load, 4),
           "lookups_per_s": round(args.lookups / dt), "hits": int((got >= 0).sum()),
           "index_bytes": disk,
           "rss_delta_after_lookups_bytes": psutil.Process().memory_info().rss - r0}
    shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
