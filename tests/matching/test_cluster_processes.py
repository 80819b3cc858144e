"""``seawall match --cluster`` against ``dask scheduler`` and ``dask worker`` processes gives
the matches of a local ``seawall match``, the PDQ searches done by the workers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from seawall.matching.pdq_index import BRUTE_FORCE_BELOW, words_to_hex
from tests.cluster_processes import process_cluster, run_seawall
from tests.conftest import picture_bytes

pytest.importorskip("distributed")


def matches(db: str) -> list[tuple]:
    from sqlalchemy import select

    from seawall.store.db import session_scope
    from seawall.store.hashset_models import HashMatch
    from seawall.store.models import FileRecord

    with session_scope(db) as session:
        rows = session.execute(select(FileRecord.path, HashMatch.kind, HashMatch.distance,
                                      HashMatch.category, HashMatch.entry_id)
                               .join(FileRecord, FileRecord.id == HashMatch.file_id)).all()
    return sorted(tuple(r) for r in rows)


def near(hex_hash: str, bits: int) -> str:
    """The hash with its lowest ``bits`` bits flipped (a re-encoded copy, say)."""
    value = int(hex_hash, 16) ^ ((1 << bits) - 1)
    return f"{value:064x}"


def test_match_on_process_cluster_equals_local_match(tmp_path: Path, db_url: str):
    from distributed import Client

    from seawall.matching import distributed as dist_match
    from seawall.scan.listing import file_dict, iter_files
    from seawall.store.db import session_scope

    root = tmp_path / "EX-1"
    root.mkdir()
    for i in range(12):
        (root / f"img_{i:02d}.jpg").write_bytes(picture_bytes(700 + i))
    env = {"SEAWALL_INDEX_DIR": str(tmp_path / "indexes")}  # a folder every worker sees
    scan = run_seawall("scan", str(root), "--case", "M", "--db", db_url, "--no-match", **env)
    assert scan.returncode == 0, scan.stderr
    with session_scope(db_url) as session:
        pdqs = sorted(file_dict(e, r)["pdq"] for e, r in iter_files(session, "M"))
    # A bank large enough to be searched through its saved index (the cluster's path), with
    # six of the pictures in it: exactly, or a few bits away.
    rng = np.random.default_rng(11)
    bank = words_to_hex(rng.integers(0, 2**64, size=(BRUTE_FORCE_BELOW + 100, 4),
                                     dtype=np.uint64))
    known = [pdqs[0], pdqs[1], near(pdqs[2], 3), near(pdqs[3], 9), near(pdqs[4], 20),
             near(pdqs[5], 40)]
    lines = [f"{h},{'A' if i % 2 else 'C'}\n" for i, h in enumerate(bank + known)]
    (tmp_path / "bank.csv").write_text("".join(lines))
    imported = run_seawall("hashset", "import", str(tmp_path / "bank.csv"), "--format", "pdq",
                           "--name", "big", "--db", db_url, **env)
    assert imported.returncode == 0, imported.stderr

    local = run_seawall("match", "--case", "M", "--db", db_url, **env)
    assert local.returncode == 0, local.stderr
    expected = matches(db_url)
    assert len({path for path, *_ in expected}) == 5  # 40 bits away is beyond radius 31

    with process_cluster(tmp_path / "cluster") as cluster:
        on_cluster = run_seawall("match", "--case", "M", "--db", db_url,
                                 "--cluster", cluster.address, **env)
        assert on_cluster.returncode == 0, on_cluster.stderr + cluster.log_tail()
        with Client(cluster.address, set_as_default=False) as client:
            loaded = client.run(dist_match.loaded_indexes)
    assert matches(db_url) == expected
    assert [p for paths in loaded.values() for p in paths], "no worker searched the index"
