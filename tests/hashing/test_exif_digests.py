"""EXIF camera info and the one-pass digest helpers."""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path

import pytest
from PIL import Image

from seawall.hashing import camera_info, digest_bytes, digest_stream


def test_camera_info_from_phone_photo(pdq_data: Path) -> None:
    with Image.open(pdq_data / "images" / "reg-test-input/exif-rotn/exif-rotn-6.jpg") as im:
        info = camera_info(im)
    assert info == {
        "make": "samsung", "model": "SM-G930V", "serial": None,
        "datetime_original": "2017:11:07 22:14:06", "software": "G930VVRS4BQI1",
    }


def test_camera_info_serial_and_none() -> None:
    exif = Image.Exif()
    exif[0x010F] = "Canon\x00"
    exif[0x0110] = "EOS 5D"
    sub = exif.get_ifd(0x8769)
    sub[0xA431] = "123456789"
    sub[0x9003] = "2024:01:02 03:04:05"
    buf = io.BytesIO()
    Image.new("RGB", (16, 16)).save(buf, "JPEG", exif=exif.tobytes())
    with Image.open(buf) as im:
        info = camera_info(im)
    assert info is not None
    assert info["make"] == "Canon" and info["model"] == "EOS 5D"
    assert info["serial"] == "123456789"
    assert info["datetime_original"] == "2024:01:02 03:04:05"
    plain = io.BytesIO()
    Image.new("RGB", (16, 16)).save(plain, "PNG")
    with Image.open(plain) as im:
        assert camera_info(im) is None


@pytest.mark.filterwarnings("ignore:Corrupt EXIF data")
def test_camera_info_survives_broken_exif() -> None:
    buf = io.BytesIO()
    Image.new("RGB", (16, 16)).save(buf, "JPEG", exif=b"Exif\x00\x00II*\x00\xff\xff\xff\x7f")
    with Image.open(buf) as im:
        assert camera_info(im) is None


@pytest.mark.parametrize("size", [0, 1, 4095, 1 << 16, (1 << 16) + 17])
def test_digests_match_hashlib(size: int) -> None:
    data = os.urandom(size)
    expected = (hashlib.md5(data).hexdigest(), hashlib.sha1(data).hexdigest(),
                hashlib.sha256(data).hexdigest())
    d = digest_bytes(data)
    assert (d.md5, d.sha1, d.sha256, d.size) == (*expected, size)
    s = digest_stream(io.BytesIO(data), chunk_size=4096)
    assert (s.md5, s.sha1, s.sha256, s.size) == (*expected, size)
