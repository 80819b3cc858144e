"""PDQ: bit-exactness with pdqhash, colour modes, fast path, guards against bad input."""

from __future__ import annotations

import csv
import io
import struct
import time
import zlib
from pathlib import Path

import numpy as np
import pdqhash
import pillow_heif
import pytest
from PIL import Image

from seawall.hashing import HashingError, hamming, pdq_from_bytes, pdq_from_rgb
from seawall.hashing.pdq import bits_to_hex

from .conftest import PDQ_DATA


def _rows() -> list[dict[str, str]]:
    with open(PDQ_DATA / "expected" / "observed_pdqhash_fullres.csv", newline="") as f:
        return list(csv.DictReader(f))


@pytest.mark.parametrize("row", _rows(), ids=lambda r: r["image"])
def test_full_resolution_matches_reference_csv(pdq_data: Path, row: dict[str, str]) -> None:
    res = pdq_from_bytes((pdq_data / "images" / row["image"]).read_bytes(), fast=False)
    assert res.method == "full"
    assert res.hash == row["pdq_hex"]
    assert res.quality == int(row["quality"])
    assert res.dihedral == row["dihedral_hex"].split()
    assert (res.width, res.height) == (int(row["width"]), int(row["height"]))


def test_reference_csv_is_complete(pdq_data: Path) -> None:
    # Every image in the folder has a row, so the parametrised test covers them all.
    listed = {r["image"] for r in _rows()}
    images = {
        p.relative_to(pdq_data / "images").as_posix()
        for p in (pdq_data / "images").rglob("*")
        if p.is_file() and p.suffix.lower() != ".md"
    }
    assert images == listed


def test_hex_format_and_pdqhash_agreement(bridge_jpeg: bytes) -> None:
    rgb = np.asarray(Image.open(io.BytesIO(bridge_jpeg)).convert("RGB"))
    bits, quality = pdqhash.compute(rgb)
    digest, q, dihedral = pdq_from_rgb(rgb)
    assert digest == bits_to_hex(bits) == f"{int(''.join(map(str, bits)), 2):064x}"
    assert q == quality
    assert len(dihedral) == 8 and dihedral[0] == digest
    assert digest == digest.lower() and len(digest) == 64


@pytest.mark.parametrize("mode", ["CMYK", "P", "1", "L", "LA", "RGBA", "I;16", "I", "F", "YCbCr"])
def test_colour_modes_land_near_the_rgb_hash(bridge_jpeg: bytes, mode: str) -> None:
    im = Image.open(io.BytesIO(bridge_jpeg)).convert("RGB")
    ref = pdq_from_bytes(bridge_jpeg, fast=False)
    if mode in ("I;16", "I", "F"):
        converted = im.convert("L").convert(mode)
        fmt = "TIFF"
    else:
        converted = im.convert(mode)
        fmt = "TIFF" if mode in ("CMYK", "YCbCr") else "PNG"
    buf = io.BytesIO()
    converted.save(buf, fmt)
    res = pdq_from_bytes(buf.getvalue(), fast=False)
    assert res.quality >= 90, mode
    limit = 40 if mode == "1" else 4  # bilevel loses real information
    assert hamming(res.hash, ref.hash) <= limit, mode


def test_fast_path_on_large_images(pdq_data: Path) -> None:
    big = [
        "reg-test-input/exif-rotn/exif-rotn-6.jpg",  # 4032x3024 phone photo
        "pytx-resources/letterboxed_sample-b.jpg",  # 2000x1404
    ]
    for rel in big:
        data = (pdq_data / "images" / rel).read_bytes()
        full = pdq_from_bytes(data, fast=False)
        fast = pdq_from_bytes(data, fast=True)
        assert fast.method.startswith("jpeg-draft-"), rel
        assert (fast.width, fast.height) == (full.width, full.height)
        assert hamming(fast.hash, full.hash) <= 8, rel
        assert abs(fast.quality - full.quality) <= 5
        assert len(fast.dihedral) == 8


def test_fast_scale_choice(pdq_data: Path) -> None:
    data = (pdq_data / "images" / "reg-test-input/exif-rotn/exif-rotn-6.jpg").read_bytes()
    assert pdq_from_bytes(data).method == "jpeg-draft-L-1/8"  # 4032x3024: short side 378
    # Small images are always hashed at full resolution (with pdq_fast) on the fast path.
    small = (pdq_data / "images" / "bridge-mods/aaa-orig.jpg").read_bytes()
    assert pdq_from_bytes(small).method == "full-np"


def test_fast_path_reduces_large_non_jpeg() -> None:
    rng = np.random.default_rng(0)
    base = rng.integers(0, 255, (60, 80, 3), dtype=np.uint8)
    im = Image.fromarray(base).resize((2400, 1800), Image.BICUBIC)
    buf = io.BytesIO()
    im.save(buf, "PNG", compress_level=1)
    fast = pdq_from_bytes(buf.getvalue())
    full = pdq_from_bytes(buf.getvalue(), fast=False)
    assert fast.method == "reduce-1/4"
    assert hamming(fast.hash, full.hash) <= 8


def _png_header_only(width: int, height: int) -> bytes:
    def chunk(tag: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + tag + body + struct.pack(
            ">I", zlib.crc32(tag + body) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\0" * 1024)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


@pytest.mark.parametrize("size", [(60000, 60000), (20000, 10000), (1, 200_000_000)])
def test_decompression_bomb_is_refused_quickly(size: tuple[int, int]) -> None:
    t0 = time.perf_counter()
    with pytest.raises(HashingError, match="decompression bomb"):
        pdq_from_bytes(_png_header_only(*size))
    assert time.perf_counter() - t0 < 2


def test_max_pixels_guard(bridge_jpeg: bytes) -> None:
    with pytest.raises(HashingError, match="decompression bomb"):
        pdq_from_bytes(bridge_jpeg, max_pixels=1_000_000)


@pytest.mark.parametrize("fast", [True, False])
def test_truncated_jpeg(pdq_data: Path, fast: bool) -> None:
    data = (pdq_data / "images" / "reg-test-input/exif-rotn/exif-rotn-6.jpg").read_bytes()
    with pytest.raises(HashingError, match="corrupt image"):
        pdq_from_bytes(data[: len(data) // 2], fast=fast)


def test_corrupt_png(pdq_data: Path) -> None:
    data = bytearray((pdq_data / "images" / "misc-images/c.png").read_bytes())
    # Damage the compressed image data (and so its CRC) in the middle of the file.
    mid = len(data) // 2
    data[mid:mid + 64] = bytes(64)
    with pytest.raises(HashingError, match="corrupt image"):
        pdq_from_bytes(bytes(data), fast=False)


@pytest.mark.parametrize("data", [b"", b"\xff\xd8\xff" + bytes(100), b"not an image at all"])
def test_garbage_raises(data: bytes) -> None:
    with pytest.raises(HashingError):
        pdq_from_bytes(data)


def test_low_quality_is_returned(pdq_data: Path) -> None:
    res = pdq_from_bytes((pdq_data / "images" / "reg-test-input/labelme-subset/q0003.jpg")
                         .read_bytes())
    assert res.quality == 3


def test_tiny_image_gives_quality_zero() -> None:
    buf = io.BytesIO()
    Image.new("RGB", (4, 4), (10, 200, 30)).save(buf, "PNG")
    res = pdq_from_bytes(buf.getvalue())
    assert res.quality == 0 and res.hash == "0" * 64


def test_heic_roundtrip(bridge_jpeg: bytes) -> None:
    im = Image.open(io.BytesIO(bridge_jpeg)).convert("RGB")
    buf = io.BytesIO()
    try:
        pillow_heif.from_pillow(im).save(buf, quality=90)
    except Exception as exc:  # no HEVC encoder in this libheif build
        pytest.skip(f"cannot encode HEIC here: {exc}")
    res = pdq_from_bytes(buf.getvalue(), fast=False)
    assert hamming(res.hash, pdq_from_bytes(bridge_jpeg, fast=False).hash) <= 16


def test_mpo_uses_the_jpeg_fast_path(bridge_jpeg: bytes) -> None:
    im = Image.open(io.BytesIO(bridge_jpeg)).convert("RGB").resize((2048, 1536))
    buf = io.BytesIO()
    im.save(buf, "MPO", save_all=True, append_images=[im.resize((640, 480))])
    fast = pdq_from_bytes(buf.getvalue())
    assert fast.method == "jpeg-draft-L-1/4"
    assert hamming(fast.hash, pdq_from_bytes(buf.getvalue(), fast=False).hash) <= 8


def test_truncated_jpeg_refused_even_when_pillow_pads_globally(monkeypatch):
    """WeasyPrint (reports) sets LOAD_TRUNCATED_IMAGES at import; PDQ must still refuse a
    truncated picture rather than hash grey padding, and leave the flag as it found it."""
    import io

    from PIL import Image, ImageFile

    from seawall.hashing.errors import HashingError
    from seawall.hashing.pdq import pdq_from_bytes

    buf = io.BytesIO()
    Image.new("RGB", (640, 480), (120, 30, 200)).save(buf, "JPEG")
    complete = buf.getvalue()
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    assert pdq_from_bytes(complete).hash
    with pytest.raises(HashingError):
        pdq_from_bytes(complete[: len(complete) // 2])
    assert ImageFile.LOAD_TRUNCATED_IMAGES is True
