"""Camera identification from EXIF, used to flag camera-original photos."""

from __future__ import annotations

from typing import Any

from PIL import Image

# Tag numbers (EXIF 2.32 / TIFF 6 / DNG).
_MAKE = 0x010F
_MODEL = 0x0110
_SOFTWARE = 0x0131
_DATETIME = 0x0132
_EXIF_IFD = 0x8769
_DATETIME_ORIGINAL = 0x9003
_BODY_SERIAL = 0xA431
_CAMERA_SERIAL = 0xC62F  # DNG CameraSerialNumber (IFD0)

FIELDS = ("make", "model", "serial", "datetime_original", "software")


def _clean(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if isinstance(value, tuple | list):
        value = " ".join(str(v) for v in value)
    text = str(value).replace("\x00", " ").strip()
    return text or None


def camera_info(image: Image.Image | Image.Exif) -> dict[str, str | None] | None:
    """make, model, serial, datetime_original and software from EXIF, or None without any.

    ``serial`` is BodySerialNumber, else the DNG CameraSerialNumber (maker-note serials are not
    parsed). ``datetime_original`` is DateTimeOriginal as written ("YYYY:MM:DD HH:MM:SS").
    Malformed EXIF never raises: it gives None.
    """
    try:
        exif = image if isinstance(image, Image.Exif) else image.getexif()
        if not exif:
            return None
        sub = exif.get_ifd(_EXIF_IFD)
        info = {
            "make": _clean(exif.get(_MAKE)),
            "model": _clean(exif.get(_MODEL)),
            "serial": _clean(sub.get(_BODY_SERIAL)) or _clean(exif.get(_CAMERA_SERIAL)),
            "datetime_original": _clean(sub.get(_DATETIME_ORIGINAL)),
            "software": _clean(exif.get(_SOFTWARE)),
        }
    except Exception:  # noqa: BLE001 - EXIF in seized files is often damaged; never fatal
        return None
    if not any(info.values()):
        return None
    return info
