"""PDQ radius-31 search: seawall's MIH index vs faiss (HMA's MultiHash, Flat) and numpy.

    .venv/bin/python bench/bench_pdq_index.py --n 10000000 --queries 10000 --bank uniform

One thread everywhere.  Queries: ``--planted`` of them are bank hashes with 0-40 random
bits flipped (so some are just inside and some just outside radius 31), the rest random.
Slow baselines run on the first ``--baseline-queries`` queries only; their q/s is exact for
that subset.  Recall is checked pair for pair against faiss IndexBinaryFlat (exact brute
force) on the baseline subset, and against the planted ground truth on all queries.
Prints one JSON object.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
import numpy as np  # noqa: E402
import psutil  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
from seawall.matching.pdq_index import PdqIndex, popcount_rows  # noqa: E402

RADIUS = 31


def rss() -> int:
    return psutil.Process().memory_info().rss


def flip(rows: np.ndarray, nbits: np.ndarray, rng) -> np.ndarray:
    """Flip exactly nbits[i] distinct random bits of rows[i]."""
    out = rows.copy()
    for i, k in enumerate(nbits):
        for b in rng.choice(256, int(k), replace=False):
            out[i, b // 64] ^= np.uint64(1) << np.uint64(b % 64)
    return out


def make_bank(n: int, kind: str, rng) -> np.ndarray:
    bank = rng.integers(0, 2**64, size=(n, 4), dtype=np.uint64)
    if kind == "clustered":
        # Near-duplicate families: 1/8 of the bank are centres; every other hash is a
        # centre with 1-24 random bits flipped.  Family sizes are skewed (centre index
        # drawn as centres * u**2): mean 8, the largest few thousand.
        centres = n // 8
        fam = (centres * rng.random(n - centres) ** 2).astype(np.int64)
        members = bank[fam]
        k = rng.integers(1, 25, size=len(members))
        # Vectorised flips: OR together up to 24 random single-bit masks per row.
        for j in range(24):
            bit = rng.integers(0, 256, size=len(members))
            on = j < k
            word, shift = bit // 64, (bit % 64).astype(np.uint64)
            mask = np.where(on, np.uint64(1) << shift, np.uint64(0))
            members[np.arange(len(members)), word] ^= mask
        bank[centres:] = members
    return bank


def pairs(q, r) -> set:
    return set(zip(q.tolist(), r.tolist(), strict=True))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--queries", type=int, default=10_000)
    ap.add_argument("--planted", type=float, default=0.5)
    ap.add_argument("--baseline-queries", type=int, default=500)
    ap.add_argument("--brute-queries", type=int, default=50)
    ap.add_argument("--bank", choices=["uniform", "clustered"], default="uniform")
    ap.add_argument("--skip-faiss", action="store_true")
    ap.add_argument("--workdir", default=None)
    args = ap.parse_args()
    rng = np.random.default_rng(7)
    res: dict = {"n": args.n, "bank": args.bank, "queries": args.queries, "radius": RADIUS,
                 "threads": 1}

    t = time.perf_counter()
    bank = make_bank(args.n, args.bank, rng)
    n_planted = int(args.queries * args.planted)
    src = rng.integers(0, args.n, n_planted)
    planted = flip(bank[src], rng.integers(0, 41, n_planted), rng)
    queries = np.vstack([planted, rng.integers(0, 2**64, size=(args.queries - n_planted, 4),
                                               dtype=np.uint64)])
    order = rng.permutation(len(queries))
    queries, truth_src = queries[order], np.concatenate(
        [src, np.full(args.queries - n_planted, -1)])[order]
    res["generate_s"] = round(time.perf_counter() - t, 1)

    # -- seawall MIH -------------------------------------------------------------------
    work = Path(args.workdir or tempfile.mkdtemp(prefix="pdqbench-"))
    gc.collect()
    r0 = rss()
    t = time.perf_counter()
    index = PdqIndex.build(bank, force_tables=True)
    build_s = time.perf_counter() - t
    path = index.save(work / "index")
    disk = sum(f.stat().st_size for f in path.iterdir())
    del index
    gc.collect()
    t = time.perf_counter()
    index = PdqIndex.load(path)
    load_s = time.perf_counter() - t
    t = time.perf_counter()
    index.search(queries[:1], RADIUS)
    first_s = time.perf_counter() - t
    r1 = rss()
    t = time.perf_counter()
    qi, ri, di = index.search(queries, RADIUS)
    search_s = time.perf_counter() - t
    res["seawall_mih"] = {
        "build_s": round(build_s, 1), "load_s": round(load_s, 4),
        "first_query_after_load_s": round(first_s, 3),
        "qps": round(args.queries / search_s, 1), "ms_per_query": round(1000 * search_s /
                                                                       args.queries, 3),
        "index_bytes": disk, "rss_after_queries_bytes": rss() - r0 + 0,
        "rss_delta_load_bytes": r1 - r0, "pairs_found": len(qi)}
    # Planted ground truth: every planted query within 31 bits of its source must be found.
    dist_src = np.full(len(queries), 999)
    has = truth_src >= 0
    dist_src[has] = popcount_rows(queries[has] ^ bank[truth_src[has]])
    want = {(i, int(truth_src[i])) for i in np.nonzero(dist_src <= RADIUS)[0]}
    found = pairs(qi, ri)
    res["planted_within_radius"] = len(want)
    res["planted_recall"] = round(len(want & found) / max(1, len(want)), 6)

    nb = args.baseline_queries
    sub = queries[:nb]
    sel = qi < nb
    mine_sub = pairs(qi[sel], ri[sel])

    # -- numpy brute force -------------------------------------------------------------
    nbq = args.brute_queries
    t = time.perf_counter()
    brute = set()
    for i in range(nbq):
        d = popcount_rows(bank ^ queries[i])
        for r in np.nonzero(d <= RADIUS)[0]:
            brute.add((i, int(r)))
    bs = time.perf_counter() - t
    res["numpy_brute_force"] = {"qps": round(nbq / bs, 2), "queries": nbq,
                                "bytes": bank.nbytes}
    res["recall_vs_numpy_brute_force"] = {
        "equal": brute == {p for p in found if p[0] < nbq}, "pairs": len(brute)}

    if not args.skip_faiss:
        import faiss

        faiss.omp_set_num_threads(1)
        codes = bank.astype(">u8").view(np.uint8).reshape(-1, 32)
        qcodes = sub.astype(">u8").view(np.uint8).reshape(-1, 32)

        def run(ix):
            t0 = time.perf_counter()
            lims, dist, labels = ix.range_search(qcodes, RADIUS + 1)
            s = time.perf_counter() - t0
            got = set()
            for i in range(nb):
                for j in range(lims[i], lims[i + 1]):
                    got.add((i, int(labels[j])))
            return got, s

        gc.collect()
        r0 = rss()
        t = time.perf_counter()
        flat = faiss.IndexBinaryFlat(256)
        flat.add(codes)
        fb = time.perf_counter() - t
        flat_pairs, fs = run(flat)
        res["faiss_flat"] = {"build_s": round(fb, 1), "qps": round(nb / fs, 1),
                             "rss_delta_bytes": rss() - r0, "queries": nb}
        del flat
        gc.collect()
        r0 = rss()
        t = time.perf_counter()
        mih = faiss.IndexBinaryMultiHash(256, 16, 16)
        mih.nflip = 1
        mih.add(codes)
        mb = time.perf_counter() - t
        gc.collect()
        mih_rss = rss() - r0
        mih_pairs, ms = run(mih)
        fd = work / "mih.faiss"
        t = time.perf_counter()
        faiss.write_index_binary(mih, str(fd))
        mih_disk = fd.stat().st_size
        del mih
        gc.collect()
        t = time.perf_counter()
        faiss.read_index_binary(str(fd))
        mih_load = time.perf_counter() - t
        res["faiss_multihash_16x16_nflip1"] = {
            "build_s": round(mb, 1), "qps": round(nb / ms, 1), "rss_delta_bytes": mih_rss,
            "serialized_bytes": mih_disk, "load_s": round(mih_load, 2), "queries": nb,
            "recall_vs_flat": round(len(mih_pairs & flat_pairs) / max(1, len(flat_pairs)), 6)}
        res["recall_vs_faiss_flat"] = {
            "equal": mine_sub == flat_pairs, "pairs": len(flat_pairs),
            "recall": round(len(mine_sub & flat_pairs) / max(1, len(flat_pairs)), 6),
            "extra": len(mine_sub - flat_pairs)}
        m = res["seawall_mih"]
        f = res["faiss_multihash_16x16_nflip1"]
        res["ratios"] = {"qps_vs_faiss_mih": round(m["qps"] / f["qps"], 1),
                         "qps_vs_faiss_flat": round(m["qps"] / res["faiss_flat"]["qps"], 1),
                         "qps_vs_numpy": round(m["qps"] / res["numpy_brute_force"]["qps"], 1),
                         "memory_vs_faiss_mih_rss": round(m["index_bytes"] / max(1, mih_rss),
                                                          3)}
    shutil.rmtree(work, ignore_errors=True)
    res["peak_rss_bytes"] = psutil.Process().memory_info().rss
    print(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
