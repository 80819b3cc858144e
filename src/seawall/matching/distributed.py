"""PDQ searches on a Dask cluster.

The index of a hash-set version is saved once on storage every worker mounts (the index
cache folder: next to an SQLite database, or ``$SEAWALL_INDEX_DIR``) and memory-mapped by
each worker process the first time it is needed; afterwards tasks carry only query hashes.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from seawall.matching.pdq_index import PdqIndex

# Per worker process: index path -> memory-mapped index (loaded once, shared by tasks).
_LOADED: dict[str, PdqIndex] = {}
QUERY_CHUNK = 20_000


def loaded_indexes() -> list[str]:
    """Paths of the indexes this process has memory-mapped (for tests and diagnostics)."""
    return sorted(_LOADED)


def search_chunk(index_path: str, queries: np.ndarray, radius: int):
    index = _LOADED.get(index_path)
    if index is None:
        index = _LOADED[index_path] = PdqIndex.load(index_path, mmap=True)
    return index.search(queries, radius)


def search_on_cluster(client, index_path: Path, queries: np.ndarray, radius: int,
                      chunk: int = QUERY_CHUNK):
    """Same result as ``PdqIndex.load(index_path).search(queries, radius)``, computed by the
    cluster's workers in chunks of queries."""
    futures = [client.submit(search_chunk, str(index_path), queries[i:i + chunk], radius,
                             pure=False)
               for i in range(0, len(queries), chunk)]
    parts = client.gather(futures)
    qi, rows, dists = [], [], []
    for start, (q, r, d) in zip(range(0, len(queries), chunk), parts, strict=True):
        qi.append(np.asarray(q) + start)
        rows.append(np.asarray(r))
        dists.append(np.asarray(d))
    if not qi:
        empty = np.zeros(0, np.int64)
        return empty, empty, empty
    return np.concatenate(qi), np.concatenate(rows), np.concatenate(dists)
