"""PDQ perceptual hashes of still images: Meta's ``pdqhash`` binding, or our numpy port of it.

Pipeline: Pillow decode -> ``convert("RGB")`` for every mode (with ``fast=True`` mode "L" is
hashed from its grey plane, which gives pdqhash's luma exactly) -> PDQ (hash, quality, 8
dihedral hashes).

* Exactness: with ``fast=False`` the hash, quality and the 8 dihedral hashes come from
  ``pdqhash.compute_dihedral`` at full resolution on the same RGB pixels (the
  python-threatexchange / HMA reference; see
  tests/data/pdq/expected/observed_pdqhash_fullres.csv), method "full".
* ``fast=True`` hashes with ``pdq_fast`` (the same PDQ maths with the Jarosz blur+decimate done
  as two matrix products, ~8x faster than pdqhash at 12 MP). It equals pdqhash except where
  float rounding reorders DCT coefficients lying within ~1e-3 of the median (seen only on a
  quality-3 near-flat image and a synthetic 17x1000 one: 2 bits), and its quality can be 1 off where
  the gradient sum sits on a multiple of 90 (1 of 140 corpus photos); see pdq_fast.
  An image hashed that way at full resolution has method "full-np".
* Colour modes: every mode (CMYK, P, 1, LA, I;16, ...) goes through ``convert("RGB")`` first;
  pdqhash would otherwise read CMYK or palette indices as RGB. Alpha is dropped, not composited
  (same as the references).
* EXIF orientation is deliberately NOT applied: the references hash the stored pixel grid, and a
  rotated/flipped orientation is covered by the 8 dihedral hashes (measured 0-2 bits).
* Animated/multi-page files (GIF, APNG, WebP, TIFF): the first frame/page only.
* Fast path (``fast=True``): a JPEG whose short side is >= 1024 px is decoded with libjpeg's
  DCT scaling (``Image.draft``) at 1/2, 1/4 or 1/8 so that the short side stays >= 256 px,
  straight to luma ("L") when the JPEG is YCbCr (PDQ only uses luma, and JPEG's Y uses PDQ's
  weights). Other formats that large are box-reduced (``Image.reduce``) by the same factor.
  Either way each reduced pixel is (about) the mean of a block of original pixels, and
  ``pdq_fast.pdq_from_reduced`` applies the *full-resolution* PDQ filter to it (the kernel
  summed per block) rather than PDQ's filter sized for the small picture: on 12 MP photos at
  1/8 that is 0 bits median, <= 8 bits max from full resolution and ~17x faster (hashing
  the small picture as if it were the original was 17 bits p99 at 1/8); see
  bench/RESULTS.md. ``PdqResult.method`` records which path was used ("full", "full-np",
  "jpeg-draft-L-1/8", "reduce-1/2", ...).
* Guards: images over ``max_pixels`` (original size, checked before decoding) and truncated or
  corrupt files raise ``HashingError``; Pillow's own ``DecompressionBombError`` is mapped too.
* Quality < 50 is returned as is; deciding eligibility is the caller's job.
"""

from __future__ import annotations

import io
import struct
import threading
from dataclasses import dataclass

import numpy as np
import pdqhash
from PIL import Image, ImageFile, UnidentifiedImageError

from . import pdq_fast
from .errors import HashingError

try:  # HEIC/HEIF through pillow-heif (registers an opener with Pillow once).
    import pillow_heif

    pillow_heif.register_heif_opener()
    HEIF_AVAILABLE = True
except Exception:  # pragma: no cover - optional at run time
    HEIF_AVAILABLE = False

# Same value as Pillow's own hard limit (2 x MAX_IMAGE_PIXELS): about 179 MP.
DEFAULT_MAX_PIXELS = 178_956_970
# The fast path keeps the short side at least this long (1/8 on a 4000x3000 JPEG: 500x375;
# 1/4 on 1600x1200). With the full-resolution kernel (pdq_fast.pdq_from_reduced) 1/8 of
# 12 MP is within 8 bits of full resolution; 1/8 of 2 MP (150 px short side) reached 14.
FAST_MIN_SIDE = 256
# Smaller pictures decode in a few ms anyway: hash them exactly, at full resolution.
FAST_FROM_SIDE = 1024
FAST_SCALES = (8, 4, 2)

# Pillow raises these on corrupt or truncated input (SyntaxError for some bad PNG chunks).
_DECODE_ERRORS = (
    OSError, SyntaxError, ValueError, EOFError, IndexError, KeyError, TypeError,
    ZeroDivisionError, RuntimeError, AttributeError, struct.error,
)

DIHEDRAL_ORDER = (
    "original", "rot90", "rot180", "rot270", "flipX", "flipY", "flipPlus1", "flipMinus1",
)


@dataclass(frozen=True)
class PdqResult:
    """PDQ of one image.

    ``hash``: 64 lowercase hex chars; ``dihedral``: 8 hashes in ``DIHEDRAL_ORDER`` (the order of
    ``pdqhash.compute_dihedral``; ``dihedral[0] == hash``); ``method``: "full",
    "full-np", "jpeg-draft-L-1/8", "reduce-1/4" ...; ``width``/``height``: the original image
    size.
    """

    hash: str
    quality: int
    dihedral: list[str]
    method: str
    width: int
    height: int


def bits_to_hex(bits: np.ndarray) -> str:
    """pdqhash's 256-element MSB-first bit vector -> canonical 64-char lowercase hex."""
    return np.packbits(np.asarray(bits, dtype=np.uint8)).tobytes().hex()


def hamming(a: str, b: str) -> int:
    """Hamming distance between two hex hashes."""
    return (int(a, 16) ^ int(b, 16)).bit_count()


def pdq_from_rgb(rgb: np.ndarray) -> tuple[str, int, list[str]]:
    """(hash, quality, dihedral) of an HxWx3 uint8 array, exactly as ``pdqhash`` computes it."""
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
        raise ValueError(f"expected HxWx3 uint8, got {rgb.shape} {rgb.dtype}")
    if not (rgb.flags.c_contiguous or (rgb.strides[2] == 0 and rgb[:, :, 0].flags.c_contiguous)):
        # pdqhash reads its float luma buffer as row-major whatever numpy's layout is, so a
        # Fortran-ordered or transposed view would be hashed scrambled (measured ~128 bits).
        rgb = np.ascontiguousarray(rgb)
    vectors, quality = pdqhash.compute_dihedral(rgb)
    dihedral = [bits_to_hex(v) for v in vectors]
    return dihedral[0], int(quality), dihedral


def open_image(data: bytes | bytearray | memoryview | io.BytesIO,
               *, max_pixels: int = DEFAULT_MAX_PIXELS) -> Image.Image:
    """Open (headers only, no pixel decode) and enforce ``max_pixels`` on the original size."""
    fp = data if isinstance(data, io.BytesIO) else io.BytesIO(data)
    try:
        im = Image.open(fp)
    except Image.DecompressionBombError as exc:
        raise HashingError(f"decompression bomb: {exc}") from exc
    except UnidentifiedImageError as exc:
        raise HashingError("unsupported image: Pillow cannot identify the format") from exc
    except _DECODE_ERRORS as exc:
        raise HashingError(f"corrupt image: {type(exc).__name__}: {exc}") from exc
    w, h = im.size
    if w <= 0 or h <= 0:
        raise HashingError(f"corrupt image: invalid size {w}x{h}")
    if w * h > max_pixels:
        raise HashingError(
            f"decompression bomb: {w}x{h} = {w * h} pixels exceeds the limit of {max_pixels}"
        )
    return im


def _fast_scale(w: int, h: int) -> int:
    short = min(w, h)
    if short < FAST_FROM_SIDE:
        return 1
    for s in FAST_SCALES:
        if short // s >= FAST_MIN_SIDE:
            return s
    return 1


def _to_rgb(im: Image.Image) -> Image.Image:
    if im.mode == "RGB":
        return im
    try:
        return im.convert("RGB")
    except ValueError:
        # Modes without a direct RGB conversion (e.g. some float/int TIFFs) go via L.
        return im.convert("L").convert("RGB")


def _rgb_array(im: Image.Image) -> np.ndarray:
    """HxWx3 uint8 pixels for pdqhash."""
    if im.mode == "L":
        # A zero-stride channel axis shows pdqhash the same (L, L, L) pixels that
        # convert("RGB") would, without the 3x copy; the hash is therefore identical.
        grey = np.asarray(im)
        return np.lib.stride_tricks.as_strided(
            grey, shape=(*grey.shape, 3), strides=(*grey.strides, 0), writeable=False)
    return np.asarray(_to_rgb(im))


_PILLOW_GLOBALS = threading.Lock()


def _strict_load(im: Image.Image) -> None:
    """Decode with Pillow's LOAD_TRUNCATED_IMAGES off, whatever the process set: WeasyPrint
    turns it on globally at import, and a hash of a grey-padded truncated picture would be
    misleading evidence.  The lock keeps other threads' view of the flag consistent."""
    with _PILLOW_GLOBALS:
        previous = ImageFile.LOAD_TRUNCATED_IMAGES
        ImageFile.LOAD_TRUNCATED_IMAGES = False
        try:
            im.load()
        finally:
            ImageFile.LOAD_TRUNCATED_IMAGES = previous


def pdq_from_image(im: Image.Image, *, fast: bool = True,
                   max_pixels: int = DEFAULT_MAX_PIXELS) -> PdqResult:
    """PDQ of an opened, not yet decoded, Pillow image (see the module docstring)."""
    width, height = im.size
    if width * height > max_pixels:
        raise HashingError(
            f"decompression bomb: {width}x{height} = {width * height} pixels exceeds "
            f"the limit of {max_pixels}"
        )
    method = "full"
    scale = _fast_scale(width, height) if fast else 1
    reduced = 1  # the block reduction actually applied to the decoded plane
    try:
        # MPO (multi-picture JPEG from many cameras) is a JPEG subclass in Pillow.
        if scale > 1 and im.format in ("JPEG", "MPO"):
            # DCT-domain downscale; "L" decodes only the Y channel of a YCbCr JPEG.
            drafted = im.draft("L", pdq_fast.reduced_size(width, height, scale))
            _strict_load(im)
            if drafted and im.size == pdq_fast.reduced_size(width, height, scale):
                method, reduced = f"jpeg-draft-{im.mode}-1/{scale}", scale
            elif im.size != (width, height):  # not a plain 1/scale reduction: hash as is
                method = f"jpeg-draft-{im.mode}-{im.size[0]}x{im.size[1]}"
        else:
            _strict_load(im)
            if scale > 1:
                im = _to_rgb(im).reduce(scale)
                method, reduced = f"reduce-1/{scale}", scale
        if not fast:
            arr = _rgb_array(im)
        elif im.mode == "L":
            # The Y plane itself: pdq_fast reads uint8 luma exactly as pdqhash reads (Y, Y, Y).
            arr = np.asarray(im)
        else:
            arr = np.asarray(_to_rgb(im))
    except Image.DecompressionBombError as exc:
        raise HashingError(f"decompression bomb: {exc}") from exc
    except MemoryError as exc:
        raise HashingError(f"image too large: out of memory decoding {width}x{height}") from exc
    except _DECODE_ERRORS as exc:
        raise HashingError(f"corrupt image: {type(exc).__name__}: {exc}") from exc
    if not (arr.ndim == 2 or (arr.ndim == 3 and arr.shape[2] == 3)) or (
            not fast and arr.ndim != 3):
        raise HashingError(f"corrupt image: unexpected pixel array {arr.shape}")
    if not fast:
        digest, quality, dihedral = pdq_from_rgb(arr)
    elif reduced > 1:
        # The full-resolution PDQ filter applied to the block-reduced plane (pdq_fast).
        digest, quality, dihedral = pdq_fast.pdq_from_reduced(arr, width, height, reduced)
    else:
        if method == "full":
            method = "full-np"
        if arr.ndim == 2:
            digest, quality, dihedral = pdq_fast.pdq_from_luma(arr)
        else:
            digest, quality, dihedral = pdq_fast.pdq_from_rgb_fast(arr)
    return PdqResult(digest, quality, dihedral, method, width, height)


def pdq_from_bytes(data: bytes | bytearray | memoryview, *, fast: bool = True,
                   max_pixels: int = DEFAULT_MAX_PIXELS) -> PdqResult:
    """PDQ of an encoded image (JPEG, PNG, GIF, BMP, TIFF, WebP, HEIC, ICO ...)."""
    with open_image(data, max_pixels=max_pixels) as im:
        return pdq_from_image(im, fast=fast, max_pixels=max_pixels)


def pdq_from_path(path: str, *, fast: bool = True,
                  max_pixels: int = DEFAULT_MAX_PIXELS) -> PdqResult:
    """Convenience wrapper: read ``path`` and hash it."""
    with open(path, "rb") as f:
        return pdq_from_bytes(f.read(), fast=fast, max_pixels=max_pixels)
