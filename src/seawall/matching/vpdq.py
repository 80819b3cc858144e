"""vPDQ video matching ("bag of frames", timestamps ignored), as ThreatExchange defines it.

For a query video Q (the seized file) and a compared video C (a hash-set entry): take the
*unique* frame hashes of each, keep those with quality >= ``QUALITY`` (50), and count the
frames of each side that have at least one partner on the other side within ``RADIUS`` (31)
bits.  ``query_pct`` = matched Q frames / Q frames, ``compared_pct`` = matched C frames / C
frames (both in percent).

Our threshold, explicit: a seized video matches a known video when **query_pct >= 80**
(at least 80 % of the *seized* video's distinct frames occur in the known video) and
compared_pct >= 0.  This is python-threatexchange's convention (its
``VPDQ_QUERY_MATCH_THRESHOLD_PERCENT = 80`` on the query side); Meta's vpdq README states
the example the other way round (80 % on the compared side).  Putting it on the seized side
means a clip cut from a known video still matches, which is what triage needs; a seized
compilation that merely *contains* a known video does not, unless ``compared_pct`` is used
(set ``VpdqPolicy(query_pct=0, compared_pct=80)``).  Both percentages are stored on every
vPDQ match, so the report can show them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from seawall.matching.pdq_index import PdqIndex, popcount_rows

RADIUS = 31
QUALITY = 50


@dataclass(frozen=True)
class VpdqPolicy:
    query_pct: float = 80.0  # share of the seized video's frames found in the known video
    compared_pct: float = 0.0  # share of the known video's frames found in the seized one
    radius: int = RADIUS
    quality: int = QUALITY

    def accepts(self, query_pct: float, compared_pct: float) -> bool:
        return query_pct >= self.query_pct and compared_pct >= self.compared_pct


def unique_frames(frames: list[tuple[bytes, int]], quality: int = QUALITY) -> np.ndarray:
    """(n, 4) uint64 of the distinct frame hashes with quality >= ``quality``."""
    seen = sorted({h for h, q in frames if q >= quality})
    if not seen:
        return np.zeros((0, 4), np.uint64)
    return np.frombuffer(b"".join(seen), dtype=">u8").reshape(-1, 4).astype(np.uint64)


def match_percent(query: np.ndarray, compared: np.ndarray, radius: int = RADIUS
                  ) -> tuple[float, float]:
    """Brute-force (query_pct, compared_pct) of two unique, quality-filtered frame sets."""
    if len(query) == 0 or len(compared) == 0:
        return 0.0, 0.0
    close = np.zeros((len(query), len(compared)), dtype=bool)
    for i in range(len(query)):
        close[i] = popcount_rows(compared ^ query[i]) <= radius
    return (100.0 * close.any(axis=1).sum() / len(query),
            100.0 * close.any(axis=0).sum() / len(compared))


class VideoBank:
    """The vPDQ videos of one hash-set version, indexed frame by frame."""

    def __init__(self, videos: list[np.ndarray], radius: int = RADIUS):
        self.sizes = np.array([len(v) for v in videos], dtype=np.int64)
        self.owner = np.repeat(np.arange(len(videos)), self.sizes)
        frames = np.vstack(videos) if videos else np.zeros((0, 4), np.uint64)
        self.index = PdqIndex.build(frames)

    def match(self, query: np.ndarray, radius: int = RADIUS) -> dict[int, tuple[float, float]]:
        """{video number: (query_pct, compared_pct)} for every video sharing a frame."""
        if len(query) == 0:
            return {}
        qi, row, _ = self.index.search(query, radius)
        out = {}
        video = self.owner[row]
        for v in np.unique(video):
            sel = video == v
            out[int(v)] = (100.0 * len(np.unique(qi[sel])) / len(query),
                           100.0 * len(np.unique(row[sel])) / self.sizes[v])
        return out


def parse_payload(payload: str) -> list[tuple[bytes, int]]:
    """Frames stored on a vpdq entry: "hex:quality hex:quality …"."""
    out = []
    for item in payload.split():
        h, _, q = item.partition(":")
        out.append((bytes.fromhex(h), int(q)))
    return out
