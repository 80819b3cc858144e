"""PDQ's hashing maths re-implemented in numpy, with the blur+decimate done as two matmuls.

Port of Meta's C++ (ThreatExchange ``pdq/cpp/hashing/pdqhashing.cpp``,
``pdq/cpp/downscaling/downscaling.cpp``) as compiled into the ``pdqhash`` Python binding:

* Luma: the binding computes ``(R*0.299 + G*0.587 + B*0.114)`` in float64 numpy and rounds to
  float32 (not the C++ ``fillFloatLumaFromRGB``); we do exactly the same, in row blocks.
* Jarosz filter: per axis a box filter of ``computeJaroszFilterWindowSize(n, 64)`` taps run twice
  (rows, cols, rows, cols), with ``box1DFloat``'s shrinking windows at the edges; then
  ``decimateFloat`` keeps rows/cols ``int((i + 0.5) * n / 64)``.
* 16x64 DCT matrix, ``dct64To16`` (float32, sequential sums), Torben median (the lower median,
  element 128 of 256), ``pdqImageDomainQualityMetric``, and the ``dct16OriginalTo*`` sign/transpose
  tricks for the 8 dihedral hashes.

Speed: only 64x64 samples of the filtered image are used and the filter is linear and separable,
so filter+decimate is ``Kv (64xH) @ luma (HxW) @ Kh (Wx64)``, where a row of ``Kv`` is the impulse
response of the two box passes at one decimated row (banded: about ``4*window`` non-zero taps).
The row stage is one float32 GEMV per output row over its band (a dense GEMM would do ~30x the
work); the column stage is a float64 64xWx64 product. On a 12 MP image this replaces the four
full-image passes of the C++ filter (~430 ms) with ~5-10 ms; computing pdqhash's float64 luma
from RGB (~40 ms) then dominates. The weight matrices are cached per dimension.

Exactness: the window sizes, decimation, DCT matrix, DCT (float32, sequential sums as in the C++),
median, quality and bit packing are exact ports, bit-exact given the same 64x64 buffer. The only
difference is how that buffer is summed: the C++ keeps a float32 *running* sum (add the entering
pixel, subtract the leaving one) whose rounding error drifts along each row/column, while we
apply the exact weights (float32 GEMV, ~3e-5 error). The buffers differ by up to ~1e-3 grey
levels, so a hash bit can flip only when two DCT coefficients lie that close to the median (a
tie), and the quality only when a gradient lands on a truncation boundary as the sum crosses a
multiple of 90. Measured: 0 bits on every shared test image of quality >= 50 and on 140 corpus
photos (one of which has quality 54 here vs 53 in pdqhash: gradient sum 4860 vs 4859); 2 bits on
a quality-3 near-flat image and on a synthetic 17x1000 image (both ties; see
tests/hashing/test_pdq_fast.py and bench/RESULTS.md). ``jarosz_exact`` is a faithful float32 port
of the running-sum filter (slow: Python loop over one axis); with it the 16x16 DCT output equals
pdqhash's bit for bit, which the tests use to check every other step.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

# pdqhash's bindings.pyx: float64 numpy maths, then .astype("float32").
LUMA_R, LUMA_G, LUMA_B = 0.299, 0.587, 0.114
MIN_HASHABLE_DIM = 5  # pdqhashing.cpp: smaller images hash to all zeros, quality 0
NUM_JAROSZ_XY_PASSES = 2
OUT = 64

DIHEDRAL_ORDER = (
    "original", "rot90", "rot180", "rot270", "flipX", "flipY", "flipPlus1", "flipMinus1",
)


# ---------------------------------------------------------------- C++ ports (reference)

def jarosz_window_size(old_dimension: int, new_dimension: int = OUT) -> int:
    """``computeJaroszFilterWindowSize``: ceil(old / (2 * new))."""
    return (old_dimension + 2 * new_dimension - 1) // (2 * new_dimension)


def decimation_indices(n: int, out: int = OUT) -> np.ndarray:
    """``decimateFloat``'s sample positions: ``(int)(((i + 0.5) * n) / out)`` in double."""
    return np.array([int(((i + 0.5) * n) / out) for i in range(out)], dtype=np.intp)


def box1d(x: np.ndarray, window: int, axis: int = 0) -> np.ndarray:
    """Faithful port of ``box1DFloat`` along ``axis`` (vectorised over the other axes).

    Keeps ``x``'s dtype: float32 reproduces the C++ rounding step by step (running sum, add
    then subtract, divide by the current window count); float64 gives the exact weights.
    """
    src = np.moveaxis(np.asarray(x), axis, 0)
    n = src.shape[0]
    dtype = src.dtype.type
    out = np.empty_like(src)
    half = (window + 2) // 2  # 7 -> 4, 8 -> 5
    phase1 = half - 1
    phase2 = window - half + 1
    phase3 = n - window
    phase4 = half - 1
    total = np.zeros(src.shape[1:], dtype=src.dtype)
    li = ri = oi = 0
    count = 0
    for _ in range(phase1):
        total += src[ri]
        count += 1
        ri += 1
    for _ in range(phase2):
        total += src[ri]
        count += 1
        out[oi] = total / dtype(count)
        ri += 1
        oi += 1
    for _ in range(max(phase3, 0)):
        total += src[ri]
        total -= src[li]
        out[oi] = total / dtype(count)
        li += 1
        ri += 1
        oi += 1
    for _ in range(phase4):
        total -= src[li]
        count -= 1
        out[oi] = total / dtype(count)
        li += 1
        oi += 1
    return np.moveaxis(out, 0, axis)


def jarosz_exact(luma: np.ndarray) -> np.ndarray:
    """``jaroszFilterFloat`` + ``decimateFloat`` exactly as the C++ runs them (float32, slow)."""
    buf = np.asarray(luma, dtype=np.float32)
    h, w = buf.shape
    w_rows, w_cols = jarosz_window_size(w), jarosz_window_size(h)
    for _ in range(NUM_JAROSZ_XY_PASSES):
        buf = box1d(buf, w_rows, axis=1)
        buf = box1d(buf, w_cols, axis=0)
    return buf[np.ix_(decimation_indices(h), decimation_indices(w))]


# ---------------------------------------------------------------- weight matrices

def _box_windows(n: int, window: int) -> tuple[np.ndarray, np.ndarray]:
    """Input range [lo, hi) that ``box1DFloat`` averages into each output 0..n-1.

    Phase 2 grows the window from ``half`` taps, phase 3 slides the full window, phase 4
    shrinks it: output ``o`` averages inputs ``o - (window - half) .. o + half - 1``, clipped.
    """
    half = (window + 2) // 2
    o = np.arange(n)
    return np.maximum(0, o - (window - half)), np.minimum(n, o + half)


@lru_cache(maxsize=256)
def filter_matrix(n: int) -> np.ndarray:
    """64 x n float64 weights: row i = the two box passes' impulse response at sample i.

    Equal (to float64 rounding) to ``box1d`` applied twice to the identity in float64 and
    decimated (tests/hashing/test_pdq_fast.py checks it). Read-only, cached per length.
    """
    if NUM_JAROSZ_XY_PASSES != 2:  # pragma: no cover - PDQ fixes this at 2
        raise NotImplementedError
    lo, hi = _box_windows(n, jarosz_window_size(n))
    rows = decimation_indices(n)
    # Second pass: sample o averages first-pass outputs m in [lo[o], hi[o]); first pass: m
    # averages inputs [lo[m], hi[m]). Scatter each m's box into a difference array.
    pairs_i = np.repeat(np.arange(OUT), hi[rows] - lo[rows])
    pairs_m = np.concatenate([np.arange(lo[o], hi[o]) for o in rows])
    weight = 1.0 / (hi[rows] - lo[rows])[pairs_i] / (hi[pairs_m] - lo[pairs_m])
    diff = np.zeros((OUT, n + 1), dtype=np.float64)
    np.add.at(diff, (pairs_i, lo[pairs_m]), weight)
    np.add.at(diff, (pairs_i, hi[pairs_m]), -weight)
    k = np.cumsum(diff[:, :n], axis=1)
    # Exact zeros outside each band (the cumulative sum leaves ~1e-17 residues there).
    first, last = lo[lo[rows]], hi[hi[rows] - 1]
    cols = np.arange(n)
    k[(cols < first[:, None]) | (cols >= last[:, None])] = 0.0
    k.setflags(write=False)
    return k


@lru_cache(maxsize=256)
def _row_bands(n: int) -> tuple[np.ndarray, np.ndarray]:
    """First and one-past-last non-zero column of each row of ``filter_matrix(n)``."""
    lo, hi = _box_windows(n, jarosz_window_size(n))
    rows = decimation_indices(n)
    return lo[lo[rows]], hi[hi[rows] - 1]


@lru_cache(maxsize=1)
def dct_matrix() -> np.ndarray:
    """``dct_matrix_64``: float scale * double cos, stored as float32 (16 x 64)."""
    scale = float(np.float32(math.sqrt(2.0 / 64)))
    d = np.empty((16, 64), dtype=np.float32)
    for i in range(16):
        for j in range(64):
            d[i, j] = scale * math.cos((math.pi / 2.0 / 64.0) * (i + 1) * (2 * j + 1))
    d.setflags(write=False)
    return d


# ---------------------------------------------------------------- 64x64 -> hash

def dct64_to_16(a: np.ndarray) -> np.ndarray:
    """``dct64To16``: B = D A D^T in float32, each dot product summed k = 0..63 in order."""
    a = np.asarray(a, dtype=np.float32)
    d = dct_matrix()
    t = np.zeros((16, 64), dtype=np.float32)
    for k in range(64):
        t += d[:, k:k + 1] * a[k:k + 1, :]
    b = np.zeros((16, 16), dtype=np.float32)
    for k in range(64):
        b += t[:, k:k + 1] * d[:, k][None, :]
    return b


def quality_metric(a: np.ndarray) -> int:
    """``pdqImageDomainQualityMetric``: sum of int((u - v) * 100 / 255) in float32, / 90."""
    a = np.asarray(a, dtype=np.float32)
    c100, c255 = np.float32(100), np.float32(255)
    total = 0
    for diff in (a[:-1, :] - a[1:, :], a[:, :-1] - a[:, 1:]):
        total += int(np.abs(np.trunc((diff * c100) / c255)).sum(dtype=np.int64))
    return min(total // 90, 100)


def _hex(b16: np.ndarray) -> str:
    """``pdqBuffer16x16ToBits`` (bit i*16+j set if > Torben median) as pdqhash's hex."""
    flat = b16.ravel()
    median = np.partition(flat, 127)[127]  # Torben with n=256 returns the 128th smallest
    bits = flat > median
    return np.packbits(bits[::-1]).tobytes().hex()


def _dihedral_dcts(b: np.ndarray) -> list[np.ndarray]:
    """``dct16OriginalTo*`` in ``DIHEDRAL_ORDER`` (sign flips and transposes are exact)."""
    idx = np.arange(16)
    odd_i = (idx % 2 == 1)[:, None]
    odd_j = (idx % 2 == 1)[None, :]
    odd_ij = ((idx[:, None] + idx[None, :]) % 2) == 1
    return [
        b,
        np.where(odd_j, b, -b).T,
        np.where(odd_ij, -b, b),
        np.where(odd_i, b, -b).T,
        np.where(odd_i, b, -b),
        np.where(odd_j, b, -b),
        b.T,
        np.where(odd_ij, -b, b).T,
    ]


def hash_from_buffer64(a: np.ndarray, *, dihedral: bool = True) -> tuple[str, int, list[str]]:
    """(hash, quality, dihedral hashes) from PDQ's 64x64 float32 downsample."""
    a = np.asarray(a, dtype=np.float32)
    quality = quality_metric(a)
    b = dct64_to_16(a)
    if not dihedral:
        return _hex(b), quality, []
    hashes = [_hex(m) for m in _dihedral_dcts(b)]
    return hashes[0], quality, hashes


def _empty(dihedral: bool) -> tuple[str, int, list[str]]:
    zero = "0" * 64
    return zero, 0, [zero] * 8 if dihedral else []


# ---------------------------------------------------------------- luma -> 64x64

def downsample(luma: np.ndarray) -> np.ndarray:
    """PDQ's 64x64 buffer: ``Kv @ luma @ Kh`` (float32 H x W luma in, float32 64 x 64 out).

    Row stage: one float32 GEMV per output row over its band of ~4*window input rows (the
    matrix is banded, so a dense GEMM would do ~30x the work). Column stage: float64.
    """
    h, w = luma.shape
    return _apply_filters(luma, _filter_matrix32(h), _row_bands(h), filter_matrix(w))


def _apply_filters(luma: np.ndarray, kv32: np.ndarray, bands: tuple[np.ndarray, np.ndarray],
                   kh: np.ndarray) -> np.ndarray:
    first, last = bands
    acc = np.empty((OUT, luma.shape[1]), dtype=np.float32)
    for i in range(OUT):
        f, e = first[i], last[i]
        np.matmul(kv32[i, f:e], luma[f:e], out=acc[i])
    return (acc.astype(np.float64) @ kh.T).astype(np.float32)


# ------------------------------------------------- hashing a block-reduced plane
#
# JPEG DCT scaling at 1/s (libjpeg's scaled IDCT; at 1/8 exactly the DC term) and
# ``Image.reduce(s)`` both give a plane whose pixel j is (about) the mean of full-resolution
# pixels [j*s, (j+1)*s).  Running PDQ's own filter on that small plane (window sized for the
# small plane, samples on the small grid) shifts and widens the blur: 4 bits median and
# 10 bits p99 from the full-resolution hash at 1/4, 17 bits p99 at 1/8.  Instead we apply
# the *full-resolution* filter: each output sample is sum_x k(x) L(x) over full-resolution
# pixels, so with only block means available the best linear estimate weights block j by
# the kernel summed over its pixels.  That is exact where the picture is flat within a
# block, and PDQ's kernel (a tent ~W/64 wide) is smooth at that scale: measured 0 bits
# median and <= 8 bits max at 1/8 on 12 MP photos (bench/RESULTS.md).

@lru_cache(maxsize=256)
def reduced_filter_matrix(n_full: int, scale: int) -> np.ndarray:
    """64 x ceil(n_full/scale) float64: ``filter_matrix(n_full)`` summed over each block of
    ``scale`` full-resolution pixels (the last block may be partial)."""
    k = np.add.reduceat(filter_matrix(n_full), np.arange(0, n_full, scale), axis=1)
    k.setflags(write=False)
    return k


@lru_cache(maxsize=256)
def _reduced_rows(n_full: int, scale: int) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray]]:
    k = reduced_filter_matrix(n_full, scale)
    nonzero = k != 0.0
    first = nonzero.argmax(axis=1)
    last = k.shape[1] - nonzero[:, ::-1].argmax(axis=1)
    k32 = k.astype(np.float32)
    k32.setflags(write=False)
    return k32, (first, last)


def reduced_size(full_width: int, full_height: int, scale: int) -> tuple[int, int]:
    """(width, height) of a 1/scale block reduction: libjpeg's scaled output and
    ``Image.reduce`` both round up."""
    return -(-full_width // scale), -(-full_height // scale)


def pdq_from_reduced(plane: np.ndarray, full_width: int, full_height: int, scale: int, *,
                     dihedral: bool = True) -> tuple[str, int, list[str]]:
    """PDQ of a full_width x full_height picture given only its 1/scale block reduction
    (uint8 Y plane, float luma or H x W x 3 uint8 RGB of ``reduced_size(...)``); see above."""
    plane = np.asarray(plane)
    h, w = plane.shape[:2]
    if (w, h) != reduced_size(full_width, full_height, scale):
        raise ValueError(f"a 1/{scale} reduction of {full_width}x{full_height} is "
                         f"{reduced_size(full_width, full_height, scale)}, got {w}x{h}")
    if not _check_size(full_height, full_width):
        return _empty(dihedral)
    luma = luma_from_rgb(plane) if plane.ndim == 3 else _float_luma(plane)
    kv32, bands = _reduced_rows(full_height, scale)
    buf = _apply_filters(luma, kv32, bands, reduced_filter_matrix(full_width, scale))
    return hash_from_buffer64(buf, dihedral=dihedral)


@lru_cache(maxsize=256)
def _filter_matrix32(n: int) -> np.ndarray:
    k = filter_matrix(n).astype(np.float32)
    k.setflags(write=False)
    return k


@lru_cache(maxsize=1)
def _grey_lut() -> np.ndarray:
    """float32 luma pdqhash computes for an (L, L, L) pixel, indexed by L."""
    v = np.arange(256, dtype=np.uint8)
    lut = (v * LUMA_R + v * LUMA_G + v * LUMA_B).astype(np.float32)
    lut.setflags(write=False)
    return lut


@lru_cache(maxsize=1)
def _grey_is_identity() -> bool:
    return bool((_grey_lut() == np.arange(256, dtype=np.float32)).all())


def luma_from_rgb(rgb: np.ndarray, *, block_rows: int = 8) -> np.ndarray:
    """The float32 luma pdqhash hashes: ``(R*0.299 + G*0.587 + B*0.114)`` in float64, rounded.

    Same operations in the same order as pdqhash's bindings.pyx (so bit-identical), done in
    small row blocks so the float64 temporaries stay in cache.
    """
    h, w = rgb.shape[:2]
    out = np.empty((h, w), dtype=np.float32)
    x = np.empty((block_rows, w), dtype=np.float64)
    y = np.empty((block_rows, w), dtype=np.float64)
    for a in range(0, h, block_rows):
        b = min(a + block_rows, h)
        blk, xs, ys = rgb[a:b], x[:b - a], y[:b - a]
        np.multiply(blk[:, :, 0], LUMA_R, out=xs)
        np.multiply(blk[:, :, 1], LUMA_G, out=ys)
        xs += ys
        np.multiply(blk[:, :, 2], LUMA_B, out=ys)
        xs += ys
        out[a:b] = xs
    return out


def _check_size(h: int, w: int) -> bool:
    return h >= MIN_HASHABLE_DIM and w >= MIN_HASHABLE_DIM


def pdq_from_luma(luma: np.ndarray, *, dihedral: bool = True) -> tuple[str, int, list[str]]:
    """PDQ of an H x W luma plane: (hash hex, quality, 8 dihedral hexes or [] if not asked).

    float32 (or float64, rounded to float32) is taken as PDQ's float luma. uint8 is read as a
    grey Y plane and converted exactly as pdqhash converts the pixel (Y, Y, Y), so the result
    matches ``pdqhash.compute_dihedral`` on the stacked grey image.
    """
    luma = np.asarray(luma)
    if luma.ndim != 2:
        raise ValueError(f"expected an H x W luma plane, got shape {luma.shape}")
    h, w = luma.shape
    if not _check_size(h, w):
        return _empty(dihedral)
    return hash_from_buffer64(downsample(_float_luma(luma)), dihedral=dihedral)


def _float_luma(luma: np.ndarray) -> np.ndarray:
    if luma.dtype == np.uint8:
        # (Y*0.299 + Y*0.587) + Y*0.114 rounds back to Y in float32 for all 256 values
        # (checked by the tests), so the cheap cast equals the table lookup.
        return luma.astype(np.float32) if _grey_is_identity() else _grey_lut()[luma]
    if luma.dtype in (np.float32, np.float64):
        return luma.astype(np.float32, copy=False)
    raise ValueError(f"expected uint8 or float luma, got {luma.dtype}")


def pdq_from_rgb_fast(rgb: np.ndarray, *, dihedral: bool = True) -> tuple[str, int, list[str]]:
    """PDQ of an H x W x 3 uint8 RGB array (luma as pdqhash computes it); see the module doc."""
    rgb = np.asarray(rgb)
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
        raise ValueError(f"expected HxWx3 uint8, got {rgb.shape} {rgb.dtype}")
    h, w = rgb.shape[:2]
    if not _check_size(h, w):
        return _empty(dihedral)
    return hash_from_buffer64(downsample(luma_from_rgb(rgb)), dihedral=dihedral)


def pdq_exact_from_luma(luma: np.ndarray, *, dihedral: bool = True) -> tuple[str, int, list[str]]:
    """Reference pipeline with the faithful float32 running-sum filter (slow; for tests)."""
    luma = np.asarray(luma, dtype=np.float32)
    if not _check_size(*luma.shape):
        return _empty(dihedral)
    return hash_from_buffer64(jarosz_exact(luma), dihedral=dihedral)
