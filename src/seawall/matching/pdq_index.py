"""Exact PDQ radius search: multi-index hashing (MIH) in numpy, memory-mappable on disk.

Why it is exact: the 256-bit hash is cut into 12 chunks (each 64-bit word into 22+21+21
bits).  If two hashes are within Hamming distance r, the 12 chunk distances add up to at
most r, so at least one chunk differs by at most ``t = r // 12`` bits (pigeonhole; t = 2 at
r = 31).  For every chunk we enumerate all keys within t bits of the query's chunk and read
the bank rows filed under them; every candidate is then verified with a full 256-bit
popcount.  Nothing within r can be missed, and nothing beyond r is returned, so the result
equals brute force (tests check this on random, clustered, tiny and degenerate banks).

Layout (all plain ``.npy`` files, loaded with ``mmap_mode="r"``: opening a 10M-hash index
is instant and pages come in on demand):

* ``hashes.npy``   (N, 4) uint64, the bank (big-endian words of the canonical hex);
* ``ids{j}.npy``   (N,) uint32, bank rows sorted by chunk j's key;
* ``off{j}.npy``   (2**bits + 1,) uint32, where each key's rows start in ``ids{j}``;
* ``meta.json``    format name and version, N, chunking.

Memory at N hashes: 32 N (hashes) + 48 N (ids) + 134 MB (offset tables) = about 930 MB at
10M, all of it file-backed.  Small banks (and radii whose probe count would explode) are
searched by brute force, which is exact by definition.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import combinations
from pathlib import Path

import numpy as np

from seawall.matching.index_files import load_array, read_meta, save_index

FORMAT_NAME = "seawall-pdq-mih"
FORMAT_VERSION = 1
DEFAULT_RADIUS = 31
# (word, shift, bits): 12 chunks covering all 256 bits without crossing a 64-bit word.
CHUNKS = tuple((w, s, b) for w in range(4) for s, b in ((0, 22), (22, 21), (43, 21)))
BRUTE_FORCE_BELOW = 20000  # under this many hashes a flat scan is as fast
MAX_CHUNK_TOLERANCE = 3  # beyond this the probe count explodes; use brute force
CANDIDATE_CAP = 4_000_000  # candidates verified at once (bounds temporary memory)
_MASKS: dict[tuple[int, int], np.ndarray] = {}


def popcount_rows(x: np.ndarray) -> np.ndarray:
    """Hamming weight of each row of an (n, 4) uint64 array."""
    return np.bitwise_count(x).sum(axis=1, dtype=np.int32)


def hex_to_words(hexes: Iterable[str]) -> np.ndarray:
    """(n, 4) uint64 from 64-char hex strings; raises ValueError naming the bad entry."""
    hexes = list(hexes)
    for i, h in enumerate(hexes):
        if not isinstance(h, str) or len(h) != 64:
            raise ValueError(f"entry {i}: PDQ hash must be 64 hex digits, got {h!r}")
    try:
        raw = bytes.fromhex("".join(hexes))
    except ValueError:
        for i, h in enumerate(hexes):
            try:
                bytes.fromhex(h)
            except ValueError:
                raise ValueError(f"entry {i}: {h!r} is not hexadecimal") from None
        raise
    return bytes_to_words(raw)


def bytes_to_words(raw: bytes | bytearray | memoryview) -> np.ndarray:
    """(n, 4) uint64 from concatenated 32-byte digests."""
    arr = np.frombuffer(raw, dtype=">u8")
    if arr.size % 4:
        raise ValueError("PDQ digests must be 32 bytes each")
    return arr.reshape(-1, 4).astype(np.uint64)


def words_to_hex(words: np.ndarray) -> list[str]:
    raw = np.ascontiguousarray(words, dtype=np.uint64).astype(">u8").tobytes()
    return [raw[i:i + 32].hex() for i in range(0, len(raw), 32)]


def _masks(bits: int, t: int) -> np.ndarray:
    """All ``bits``-bit values with at most ``t`` bits set (the probe offsets)."""
    key = (bits, t)
    if key not in _MASKS:
        vals = [0]
        for k in range(1, t + 1):
            vals.extend(sum(1 << i for i in c) for c in combinations(range(bits), k))
        _MASKS[key] = np.array(vals, dtype=np.uint32)
    return _MASKS[key]


def _chunk_keys(words: np.ndarray, w: int, s: int, b: int) -> np.ndarray:
    return ((words[:, w] >> np.uint64(s)) & np.uint64((1 << b) - 1)).astype(np.uint32)


def brute_force(bank: np.ndarray, queries: np.ndarray, radius: int = DEFAULT_RADIUS,
                block: int = 1 << 22):
    """Reference search: (query index, bank row, distance) of every pair within radius."""
    qs, rs, ds = [], [], []
    bank = np.asarray(bank, dtype=np.uint64)
    step = max(1, block // max(1, len(bank)))
    for q0 in range(0, len(queries), step):
        q = np.asarray(queries[q0:q0 + step], dtype=np.uint64)
        d = np.bitwise_count(q[:, None, :] ^ bank[None, :, :]).sum(axis=2, dtype=np.int32)
        qi, ri = np.nonzero(d <= radius)
        qs.append(qi + q0)
        rs.append(ri)
        ds.append(d[qi, ri])
    return _finish(qs, rs, ds)


def _finish(qs, rs, ds):
    if not qs:
        e = np.zeros(0, np.int64)
        return e, e.copy(), np.zeros(0, np.int32)
    q = np.concatenate(qs).astype(np.int64)
    r = np.concatenate(rs).astype(np.int64)
    d = np.concatenate(ds).astype(np.int32)
    order = np.lexsort((r, q))
    return q[order], r[order], d[order]


class PdqIndex:
    """Exact Hamming radius search over a bank of PDQ hashes."""

    def __init__(self, hashes: np.ndarray, ids: list[np.ndarray] | None = None,
                 offsets: list[np.ndarray] | None = None, path: Path | None = None):
        self.hashes = hashes
        self.ids = ids
        self.offsets = offsets
        self.path = path

    def __len__(self) -> int:
        return len(self.hashes)

    @property
    def has_tables(self) -> bool:
        return self.ids is not None

    # -- building ----------------------------------------------------------------------
    @classmethod
    def build(cls, hashes: np.ndarray, force_tables: bool = False) -> PdqIndex:
        """Index an (N, 4) uint64 bank in memory."""
        hashes = np.ascontiguousarray(hashes, dtype=np.uint64).reshape(-1, 4)
        if len(hashes) >= 1 << 32:
            raise ValueError("at most 2**32 - 1 hashes per index")
        if len(hashes) < BRUTE_FORCE_BELOW and not force_tables:
            return cls(hashes)
        ids, offsets = [], []
        for w, s, b in CHUNKS:
            keys = _chunk_keys(hashes, w, s, b)
            ids.append(np.argsort(keys).astype(np.uint32))
            off = np.zeros((1 << b) + 1, dtype=np.uint32)
            np.cumsum(np.bincount(keys, minlength=1 << b), out=off[1:])
            offsets.append(off)
        return cls(hashes, ids, offsets)

    @classmethod
    def from_hex(cls, hexes: Iterable[str], on_error: str = "raise",
                 force_tables: bool = False) -> tuple[PdqIndex, list[int]]:
        """Build from hex strings.  Returns (index, source position of each bank row).

        ``on_error="skip"`` leaves malformed entries out (their positions are not listed);
        ``"raise"`` stops at the first with a ValueError naming it."""
        good, where = [], []
        for i, h in enumerate(hexes):
            ok = isinstance(h, str) and len(h.strip()) == 64
            if ok:
                try:
                    bytes.fromhex(h.strip())
                except ValueError:
                    ok = False
            if not ok:
                if on_error == "raise":
                    raise ValueError(f"entry {i}: {h!r} is not a 64-hex-digit PDQ hash")
                continue
            good.append(h.strip().lower())
            where.append(i)
        words = hex_to_words(good) if good else np.zeros((0, 4), np.uint64)
        return cls.build(words, force_tables=force_tables), where

    # -- persistence -------------------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        """Write atomically (temp dir + rename), so readers never see half an index."""
        arrays = {"hashes": self.hashes}
        if self.has_tables:
            assert self.ids is not None and self.offsets is not None
            for j in range(len(CHUNKS)):
                arrays[f"ids{j}"] = self.ids[j]
                arrays[f"off{j}"] = self.offsets[j]
        return save_index(path, arrays, {"format": FORMAT_NAME, "version": FORMAT_VERSION,
                                         "n": len(self), "chunks": CHUNKS,
                                         "tables": self.has_tables})

    @classmethod
    def load(cls, path: str | Path, mmap: bool = True) -> PdqIndex:
        path = Path(path)
        meta = read_meta(path, FORMAT_NAME, FORMAT_VERSION)
        hashes = load_array(path, "hashes", mmap)
        if len(hashes) != meta["n"]:
            raise ValueError(f"{path}: truncated index")
        ids = offsets = None
        if meta.get("tables"):
            ids = [load_array(path, f"ids{j}", mmap) for j in range(len(CHUNKS))]
            offsets = [load_array(path, f"off{j}", mmap) for j in range(len(CHUNKS))]
        return cls(hashes, ids, offsets, path)

    # -- search ------------------------------------------------------------------------
    def search(self, queries: np.ndarray, radius: int = DEFAULT_RADIUS, batch: int = 256):
        """All (query index, bank row, distance) with distance <= radius, sorted.

        Exactly what :func:`brute_force` returns, for any radius >= 0."""
        queries = np.ascontiguousarray(queries, dtype=np.uint64).reshape(-1, 4)
        if radius < 0 or len(self) == 0 or len(queries) == 0:
            return _finish([], [], [])
        t = radius // len(CHUNKS)
        if not self.has_tables or t > MAX_CHUNK_TOLERANCE:
            return brute_force(self.hashes, queries, radius)
        qs, rs, ds = [], [], []
        for q0 in range(0, len(queries), batch):
            q, r, d = self._search_batch(queries[q0:q0 + batch], radius, t)
            qs.append(q + q0)
            rs.append(r)
            ds.append(d)
        return _finish(qs, rs, ds)

    def _search_batch(self, q: np.ndarray, radius: int, t: int):
        assert self.offsets is not None  # search() checks has_tables
        nq = len(q)
        out_q: list[np.ndarray] = []
        out_r: list[np.ndarray] = []
        out_d: list[np.ndarray] = []
        for j, (w, s, b) in enumerate(CHUNKS):
            probes = _chunk_keys(q, w, s, b)[:, None] ^ _masks(b, t)[None, :]
            off = self.offsets[j]
            start = off[probes].astype(np.int64)
            count = off[probes + 1].astype(np.int64) - start
            # Candidates are verified chunk by chunk, in groups of queries holding at most
            # CANDIDATE_CAP of them, so a huge near-duplicate family cannot exhaust memory.
            per_query = np.cumsum(count.sum(axis=1))
            lo = 0
            while lo < nq:
                base = per_query[lo - 1] if lo else 0
                hi = max(lo + 1, int(np.searchsorted(per_query, base + CANDIDATE_CAP, "right")))
                self._verify(q, j, lo, start[lo:hi], count[lo:hi], radius, out_q, out_r, out_d)
                lo = hi
        if not out_q:
            return _finish([], [], [])
        cq, cr, dist = np.concatenate(out_q), np.concatenate(out_r), np.concatenate(out_d)
        # A near pair is found once per chunk it agrees on: keep one copy.
        _, first = np.unique(cq * len(self) + cr, return_index=True)
        return cq[first], cr[first], dist[first]

    def _verify(self, q, j, q0, start, count, radius, out_q, out_r, out_d) -> None:
        assert self.ids is not None  # search() checks has_tables
        owner = np.repeat(np.arange(q0, q0 + len(start), dtype=np.int64), start.shape[1])
        start, count = start.ravel(), count.ravel()
        keep = count > 0
        if not keep.any():
            return
        start, count, owner = start[keep], count[keep], owner[keep]
        # Expand the [start, start + count) ranges into one flat position array.
        first = np.cumsum(count) - count
        pos = np.repeat(start - first, count) + np.arange(count.sum(), dtype=np.int64)
        cr = np.asarray(self.ids[j][pos], dtype=np.int64)
        cq = np.repeat(owner, count)
        dist = popcount_rows(self.hashes[cr] ^ q[cq])
        hit = dist <= radius
        if hit.any():
            out_q.append(cq[hit])
            out_r.append(cr[hit])
            out_d.append(dist[hit])
