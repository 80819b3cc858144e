"""PDQ matching on a Dask LocalCluster gives the local result; each worker process
memory-maps the version's index once."""

from __future__ import annotations

import numpy as np

from seawall.matching import distributed as dist_match
from seawall.matching.pdq_index import PdqIndex, brute_force


def test_cluster_search_equals_local(tmp_path):
    from distributed import Client, LocalCluster

    rng = np.random.default_rng(7)
    bank = rng.integers(0, 2**63, size=(30_000, 4), dtype=np.uint64)
    queries = bank[rng.choice(len(bank), 300, replace=False)].copy()
    flips = rng.integers(0, 64, size=(300, 3))
    for i, bits in enumerate(flips):  # near-duplicates: a few bits flipped
        for b in bits:
            queries[i, b % 4] ^= np.uint64(1) << np.uint64(b)
    queries = np.vstack([queries, rng.integers(0, 2**63, size=(200, 4), dtype=np.uint64)])
    index = PdqIndex.build(bank, force_tables=True)
    path = index.save(tmp_path / "idx")

    local = sorted(zip(*[a.tolist() for a in index.search(queries, 31)], strict=True))
    truth = sorted(zip(*[a.tolist() for a in brute_force(bank, queries, 31)], strict=True))
    assert local == truth and len(local) >= 300

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        for _ in range(2):
            got = dist_match.search_on_cluster(client, path, queries, 31, chunk=60)
            assert sorted(zip(*[a.tolist() for a in got], strict=True)) == local
        loaded = client.run(dist_match.loaded_indexes)
    assert all(paths == [str(path)] for paths in loaded.values())
