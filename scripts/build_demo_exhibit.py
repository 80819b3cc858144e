#!/usr/bin/env python3
"""Build Seawall's bundled benign demo exhibit and its demo hash sets (``data/demo/``).

Everything is derived, deterministically, from public benign sample media in
``../shared/testdata`` (see ``data/demo/README.md`` for sources and licences) plus a few
synthetic pictures drawn here with Pillow/numpy.  Nothing is downloaded.

Steps
  1. Stage the files in memory (bytes + modification time + role in the demo).
  2. Build a 16 MiB raw disk: an MBR written here (one FAT16 partition at sector 2048) and a
     FAT16 file system made and filled WITHOUT mounting, with mtools (``mformat``, ``mmd``,
     ``mcopy -m``), then ``mdel`` of a few files so the exhibit has recoverable deleted files.
  3. Acquire the raw disk into ``demo-exhibit.E01`` with ``ewfacquire -u`` (unattended).
  4. Write the demo hash sets (VICS 2.0 UK JSON, an md5sum-style known-benign list standing in
     for NSRL, a ``hash,category`` PDQ list) from the exact bytes put into the disk.
  5. Verify with The Sleuth Kit (``mmls``, ``fls -r -p``, ``icat``) that every allocated file
     and every deleted one is listed and reads back byte-identical, and write the ground truth
     ``expected_fls.txt``, ``expected_md5.tsv`` and ``manifest.tsv``.

The raw disk is byte-reproducible (same Pillow/libjpeg, zlib, mtools): its SHA-256 is written
to ``exhibit-info.json``.  The E01 container additionally records its acquisition date, so the
``.E01`` file itself differs between builds while the media it holds does not (``ewfverify``).

Needs: the project venv (Pillow, numpy, pdqhash), Debian ``mtools``, ``ewf-tools`` and
``sleuthkit``.  Usage::

    .venv/bin/python scripts/build_demo_exhibit.py [--shared ../shared] [--out data/demo]
"""

from __future__ import annotations

import argparse
import calendar
import hashlib
import io
import json
import os
import shutil
import struct
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pdqhash
from PIL import Image, ImageDraw

REPO = Path(__file__).resolve().parents[1]

SECTOR = 512
DISK_SECTORS = 32768  # 16 MiB
PART_START = 2048  # 1 MiB aligned, like modern partitioners
PART_SECTORS = DISK_SECTORS - PART_START
PART_TYPE = 0x06  # FAT16B; strictly 0x04 below 32 MiB, but 0x06 is what tools write today
DISK_SIGNATURE = 0x5EA3A11D
VOLUME_SERIAL = "5EA3A11D"
VOLUME_LABEL = "SEAWALLDEMO"
SOURCE_DATE_EPOCH = 1717236000  # 2024-06-01 10:00:00 UTC: creation time mtools writes

FAKETIME = "2024-06-01 10:00:00"  # frozen clock for the E01 acquisition date
CASE_NUMBER = "SEAWALL-DEMO"
EVIDENCE_NUMBER = "DEMO/1"

# UK dialect of VICS 2.0.  No public source gives the numeric codes of the UK dialect; Seawall's
# default UK scheme (issue 3) maps 1 -> A, 2 -> B, 3 -> C, 0 -> uncategorised, 4 -> not indecent.
VICS_CONTEXT = (
    "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/UK/$metadata#Media"
)
UK_CODE = {"A": 1, "B": 2, "C": 3}


def ts(y: int, mo: int, d: int, h: int, mi: int, s: int = 0) -> int:
    """UTC timestamp (FAT keeps 2-second resolution: use even seconds)."""
    return calendar.timegm((y, mo, d, h, mi, s, 0, 0, 0))


@dataclass
class Item:
    path: str  # path inside the FAT file system, '/'-separated, no leading slash
    data: bytes
    mtime: int
    source: str  # where the bytes came from (for the README / manifest)
    demo: str  # what it demonstrates / expected outcome
    deleted: bool = False
    vics: str | None = None  # UK category letter for the VICS demo set
    benign: bool = False  # in the known-benign (NSRL stand-in) list
    members: list[Member] = field(default_factory=list)  # archive members (recursively)
    tsk_path: str = ""  # the name fls shows (a deleted 8.3 name loses its first character)


@dataclass
class Member:
    path: str  # e.g. "Documents/archive/holiday.zip/extras.tar/sketch.png"
    data: bytes
    source: str
    demo: str
    vics: str | None = None


# ---------------------------------------------------------------------------------- encoders


def jpeg_bytes(im: Image.Image, quality: int = 85, **kw) -> bytes:
    buf = io.BytesIO()
    im.convert("RGB").save(buf, "JPEG", quality=quality, optimize=False, progressive=False, **kw)
    return buf.getvalue()


def png_bytes(im: Image.Image) -> bytes:
    buf = io.BytesIO()
    im.save(buf, "PNG", optimize=False, compress_level=9)
    return buf.getvalue()


def fmt_bytes(im: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    im.save(buf, fmt, **kw)
    return buf.getvalue()


def fit(im: Image.Image, longest: int) -> Image.Image:
    im = im.convert("RGB")
    scale = longest / max(im.size)
    if scale >= 1:
        return im
    size = (round(im.width * scale), round(im.height * scale))
    return im.resize(size, Image.Resampling.LANCZOS)


# ------------------------------------------------------------------------- synthetic images


def synth_gradient() -> Image.Image:
    y, x = np.mgrid[0:480, 0:640].astype(np.float32)
    r = x / 639 * 255
    g = y / 479 * 255
    b = (1 - (x + y) / (639 + 479)) * 255
    return Image.fromarray(np.dstack([r, g, b]).astype(np.uint8), "RGB")


def synth_shapes() -> Image.Image:
    im = Image.new("RGB", (400, 300), (250, 245, 230))
    d = ImageDraw.Draw(im)
    d.rectangle((20, 20, 180, 140), fill=(200, 40, 40), outline=(0, 0, 0), width=3)
    d.ellipse((200, 40, 380, 220), fill=(40, 90, 200), outline=(0, 0, 0), width=3)
    d.polygon([(60, 280), (150, 160), (240, 280)], fill=(40, 170, 60), outline=(0, 0, 0))
    d.line((0, 299, 399, 150), fill=(90, 90, 90), width=4)
    return im.quantize(colors=16, dither=Image.Dither.NONE)


def synth_rings() -> Image.Image:
    y, x = np.mgrid[-100:100, -100:100].astype(np.float32)
    r = np.sqrt(x * x + y * y)
    v = (np.sin(r / 4.0) * 0.5 + 0.5) * 255
    rgb = np.dstack([v, 255 - v, np.full_like(v, 128)]).astype(np.uint8)
    return Image.fromarray(rgb, "RGB")


def synth_noise(seed: int, size: tuple[int, int] = (256, 256)) -> Image.Image:
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
    return Image.fromarray(a, "RGB")


def synth_logo() -> Image.Image:
    im = Image.new("RGB", (128, 128), (255, 255, 255))
    d = ImageDraw.Draw(im)
    d.ellipse((8, 8, 120, 120), fill=(0, 90, 160))
    d.rectangle((36, 56, 92, 72), fill=(255, 255, 255))
    d.rectangle((56, 36, 72, 92), fill=(255, 255, 255))
    return im


def synth_sketch(seed: int) -> Image.Image:
    rng = np.random.default_rng(seed)
    im = Image.new("RGB", (320, 240), (255, 255, 255))
    d = ImageDraw.Draw(im)
    for _ in range(25):
        x0, y0, x1, y1 = (int(v) for v in rng.integers(0, 320, 4))
        col = tuple(int(c) for c in rng.integers(0, 200, 3))
        d.line((x0, y0 % 240, x1, y1 % 240), fill=col, width=int(rng.integers(1, 6)))
    return im


# ------------------------------------------------------------------------------ the content

NOTES = """Shopping list
- milk
- bread
- batteries (AA)

Remember: car service on Tuesday 09:30.
"""

OLD_DRAFT = """Draft letter to the allotment committee (superseded).
We would like to propose a second water butt near plot 14.
"""

VIEWER_README = """DemoViewer 1.0
A tiny picture viewer. This file ships with every DemoViewer install; in the demo it stands
in for a file whose hash is in the NSRL (known software, ignorable).
"""

TAR_README = "Sketches exported from the drawing app.\n"


def pdq_hex(im: Image.Image) -> tuple[str, int]:
    bits, quality = pdqhash.compute(np.asarray(im.convert("RGB")))
    return np.packbits(bits.astype(np.uint8)).tobytes().hex(), int(quality)


def pdq_dihedral_hex(im: Image.Image) -> tuple[list[str], int]:
    hashes, quality = pdqhash.compute_dihedral(np.asarray(im.convert("RGB")))
    return [np.packbits(h.astype(np.uint8)).tobytes().hex() for h in hashes], int(quality)


def hamming(a: str, b: str) -> int:
    return (int(a, 16) ^ int(b, 16)).bit_count()


def build_zip(members: list[tuple[str, bytes, int]]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data, mtime in members:
            zi = zipfile.ZipInfo(name, date_time=tuple(time.gmtime(mtime)[:6]))
            zi.create_system = 3
            zi.external_attr = 0o100644 << 16
            is_media = name.lower().endswith((".jpg", ".png", ".tar", ".zip"))
            zi.compress_type = zipfile.ZIP_STORED if is_media else zipfile.ZIP_DEFLATED
            zf.writestr(zi, data)
    return buf.getvalue()


def build_tar(members: list[tuple[str, bytes, int]]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as tf:
        for name, data, mtime in members:
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            ti.mtime = mtime
            ti.mode = 0o644
            ti.uid = ti.gid = 1000
            ti.uname = ti.gname = "user"
            tf.addfile(ti, io.BytesIO(data))
    return buf.getvalue()


def stage(shared: Path) -> tuple[list[Item], list[dict]]:
    """Return the items to write (in write order) and the PDQ demo-set rows."""
    pdq_dir = shared / "testdata" / "pdq" / "images"
    vid = shared / "testdata" / "vpdq" / "videos" / "test-padded-dimensions.mp4"
    wm = pdq_dir / "wikimedia-pdqhash-python"
    lm = pdq_dir / "reg-test-input" / "labelme-subset"

    def raw(p: Path) -> bytes:
        return p.read_bytes()

    def src(p: Path) -> str:
        return str(p.relative_to(shared.parent)) if p.is_relative_to(shared.parent) else str(p)

    items: list[Item] = []
    add = items.append

    # DCIM: camera-style photos (Wikimedia Commons public-domain set, bytes verbatim)
    t0 = ts(2024, 5, 4, 14, 2)
    dcim = [
        ("IMG_0001.JPG", wm / "image1.jpg", None, "unknown photo (needs grading)"),
        ("IMG_0002.JPG", wm / "image2.jpg", "A", "exact MD5/SHA-1 match, VICS category A"),
        ("IMG_0003.JPG", wm / "image4.jpg", None, "unknown photo"),
        ("IMG_0004.JPG", wm / "image5.jpg", None, "unknown photo"),
        ("IMG_0005.JPG", wm / "image7.jpg", "C", "exact match, VICS category C"),
    ]
    for i, (name, p, cat, demo) in enumerate(dcim):
        add(Item(f"DCIM/100PHOTO/{name}", raw(p), t0 + 600 * i, src(p), demo, vics=cat))

    # A phone photo with EXIF orientation 6 (pixels stored landscape, displayed portrait)
    p = pdq_dir / "reg-test-input" / "exif-rotn" / "exif-rotn-6.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90 CW to display
    exif[0x010F] = "DemoPhone"  # Make
    data = jpeg_bytes(fit(Image.open(p), 800), 85, exif=exif.tobytes())
    add(Item("DCIM/100PHOTO/IMG_0006.JPG", data, t0 + 3600,
             src(p) + " (800 px, EXIF Orientation=6)",
             "unknown photo carrying EXIF Orientation 6 (tests the EXIF-orientation policy)"))

    # deleted later: an exactly-known picture recovered from unallocated directory entries
    p = wm / "image6.jpg"
    add(Item("DCIM/100PHOTO/IMG_0007.JPG", raw(p), t0 + 4200, src(p),
             "DELETED file, recovered by TSK; exact match, VICS category A",
             deleted=True, vics="A"))

    # Pictures: non-ASCII name, a near-duplicate, a rotated copy, synthetic pictures
    t1 = ts(2024, 5, 11, 9, 30)
    p = wm / "image10.jpg"
    add(Item("Pictures/Café Größe – 日本.jpg", raw(p), t1, src(p),
             "non-ASCII long file name; exact match, VICS category C", vics="C"))

    pdq_rows: list[dict] = []
    # near-duplicate: the bridge photo with 8 px cropped off the left and top (0.5 %), resized
    # to 640 px, recompressed at q60.  (PDQ is not crop-robust: a 2 % crop is ~38 bits away.)
    p = pdq_dir / "bridge-mods" / "aaa-orig.jpg"
    orig = Image.open(p).convert("RGB")
    w, h = orig.size
    edited = orig.crop((8, 5, w, h))
    data = jpeg_bytes(fit(edited, 640), 60)
    oh, oq = pdq_hex(orig)
    add(Item("Pictures/edited/bridge_small.jpg", data, t1 + 120,
             src(p) + " (8 px cropped off left/top, 640 px, JPEG q60)",
             "near-duplicate (PDQ) of an original in demo-pdq.txt, category A"))
    pdq_rows.append({"hash": oh, "quality": oq, "category": "A", "original": src(p),
                     "exhibit_copy": "Pictures/edited/bridge_small.jpg"})

    # rotated copy: pen-and-coaster photo rotated 90 degrees, half size, JPEG q85
    p = pdq_dir / "reg-test-input" / "pen-and-coaster.png"
    orig = Image.open(p).convert("RGB")
    rot = fit(orig.transpose(Image.Transpose.ROTATE_90), 480)
    data = jpeg_bytes(rot, 85)
    oh, oq = pdq_hex(orig)
    add(Item("Pictures/rotated/coaster_rot90.jpg", data, t1 + 240,
             src(p) + " (rotated 90 degrees, 480 px, JPEG q85)",
             "rotated copy: dihedral PDQ match of an original in demo-pdq.txt, category B"))
    pdq_rows.append({"hash": oh, "quality": oq, "category": "B", "original": src(p),
                     "exhibit_copy": "Pictures/rotated/coaster_rot90.jpg"})

    t2 = ts(2024, 5, 12, 18, 0)
    synth = [
        ("gradient.png", png_bytes(synth_gradient()), "synthetic PNG gradient; unknown"),
        ("shapes.gif", fmt_bytes(synth_shapes(), "GIF"), "synthetic palette GIF; unknown"),
        ("rings.bmp", fmt_bytes(synth_rings(), "BMP"), "synthetic BMP; unknown"),
        ("noise.webp", fmt_bytes(synth_noise(7), "WEBP", quality=80, method=4),
         "synthetic WebP (random noise); unknown"),
        ("flat-grey.png", png_bytes(Image.new("RGB", (64, 64), (128, 128, 128))),
         "flat picture: PDQ quality 0, hash stored but not eligible for PDQ matching"),
    ]
    for i, (name, data, demo) in enumerate(synth):
        add(Item(f"Pictures/synthetic/{name}", data, t2 + 60 * i, "synthetic (this script)", demo))

    # Videos: synthetic colour-bar test clip (verbatim)
    add(Item("Videos/clip.mp4", raw(vid), ts(2024, 5, 15, 20, 15), src(vid),
             "video (moving image): exact match, VICS category C; vPDQ hashed", vics="C"))

    # Documents: a text note, a JPEG whose extension lies, an archive with a nested tar
    t3 = ts(2024, 5, 20, 8, 45)
    add(Item("Documents/notes.txt", NOTES.encode(), t3, "written by this script",
             "plain text document (not media)"))
    p = wm / "image9.jpg"
    add(Item("Documents/recipe.txt", raw(p), t3 + 300, src(p),
             "JPEG named .txt: media type from magic bytes, extension mismatch; "
             "exact match, VICS category B", vics="B"))

    sketch = png_bytes(synth_sketch(3))
    tar_members = [("readme.txt", TAR_README.encode(), t3 - 86400),
                   ("sketch.png", sketch, t3 - 86400 + 60)]
    tar_data = build_tar(tar_members)
    hills = raw(wm / "image8.jpg")
    stripes = png_bytes(Image.open(lm / "q2821.jpg").convert("RGB"))
    zip_members = [("hills.jpg", hills, t3 - 2 * 86400),
                   ("stripes.png", stripes, t3 - 2 * 86400 + 60),
                   ("extras.tar", tar_data, t3 - 86400 + 120)]
    zpath = "Documents/archive/holiday.zip"
    zitem = Item(zpath, build_zip(zip_members), t3 + 600, "built by this script",
                 "zip archive (2 pictures + nested tar): members are scanned recursively")
    zitem.members = [
        Member(f"{zpath}/hills.jpg", hills, src(wm / "image8.jpg"),
               "archive member; exact match, VICS category B", vics="B"),
        Member(f"{zpath}/stripes.png", stripes, src(lm / "q2821.jpg") + " (as PNG)",
               "archive member; unknown"),
        Member(f"{zpath}/extras.tar", tar_data, "built by this script", "nested tar archive"),
        Member(f"{zpath}/extras.tar/readme.txt", TAR_README.encode(), "written by this script",
               "text inside the nested tar"),
        Member(f"{zpath}/extras.tar/sketch.png", sketch, "synthetic (this script)",
               "picture inside the nested tar (depth 2); unknown"),
    ]
    add(zitem)
    add(Item("Documents/old-draft.txt", OLD_DRAFT.encode(), t3 + 900, "written by this script",
             "DELETED text document, recovered by TSK", deleted=True))

    # Downloads: a duplicate of a known picture (dedupe / stacking) and a deleted sketch
    t4 = ts(2024, 5, 22, 22, 10)
    p = wm / "image2.jpg"
    add(Item("Downloads/IMG_0002 (1).JPG", raw(p), t4, src(p),
             "duplicate of DCIM/100PHOTO/IMG_0002.JPG (same hash, counted once per hash); "
             "exact match, VICS category A", vics="A"))
    add(Item("Downloads/sketch_tmp.png", png_bytes(synth_sketch(11)), t4 + 60,
             "synthetic (this script)", "DELETED picture, recovered by TSK; unknown",
             deleted=True))

    # Known software / OS wallpapers: the NSRL stand-in (known-benign) list
    t5 = ts(2023, 11, 2, 12, 0)
    add(Item("Program Files/DemoViewer/readme.txt", VIEWER_README.encode(), t5,
             "written by this script", "known-benign (NSRL stand-in)", benign=True))
    add(Item("Program Files/DemoViewer/logo.png", png_bytes(synth_logo()), t5,
             "synthetic (this script)", "known-benign picture (NSRL stand-in)", benign=True))
    for i, (name, q) in enumerate([("sea.jpg", "q0122.jpg"), ("houses.jpg", "q1050.jpg")]):
        p = lm / q
        add(Item(f"Windows/Web/Wallpaper/{name}", raw(p), t5 + 60 * (i + 1), src(p),
                 "known-benign wallpaper picture (NSRL stand-in)", benign=True))
    return items, pdq_rows


# ------------------------------------------------------------------------------ disk image


def chs(lba: int) -> bytes:
    heads, spt = 255, 63
    c, rem = divmod(lba, heads * spt)
    if c > 1023:
        return b"\xfe\xff\xff"
    hd, s = divmod(rem, spt)
    return bytes([hd, ((s + 1) & 0x3F) | ((c >> 2) & 0xC0), c & 0xFF])


def mbr() -> bytes:
    entry = (b"\x00" + chs(PART_START) + bytes([PART_TYPE]) + chs(PART_START + PART_SECTORS - 1)
             + struct.pack("<II", PART_START, PART_SECTORS))
    sector = bytearray(SECTOR)
    sector[440:444] = struct.pack("<I", DISK_SIGNATURE)
    sector[446:462] = entry
    sector[510:512] = b"\x55\xaa"
    return bytes(sector)


def run(cmd: list[str], env: dict | None = None, **kw) -> subprocess.CompletedProcess:
    r = subprocess.run(cmd, env=env, capture_output=True, **kw)
    if r.returncode != 0:
        sys.exit(f"command failed ({r.returncode}): {' '.join(cmd)}\n"
                 f"{r.stdout.decode(errors='replace')}{r.stderr.decode(errors='replace')}")
    return r


def build_raw(items: list[Item], raw_path: Path, stage_dir: Path) -> None:
    with open(raw_path, "wb") as f:
        f.write(mbr())
        f.truncate(DISK_SECTORS * SECTOR)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "TZ": "UTC",
        "SOURCE_DATE_EPOCH": str(SOURCE_DATE_EPOCH),
        "MTOOLSRC": "/dev/null", "MTOOLS_SKIP_CHECK": "1",
    }
    img = f"{raw_path}@@{PART_START * SECTOR}"
    run(["mformat", "-i", img, "-T", str(PART_SECTORS), "-h", "16", "-s", "63",
         "-H", str(PART_START), "-c", "4", "-v", VOLUME_LABEL, "-N", VOLUME_SERIAL, "::"], env)
    made: set[str] = set()
    for n, it in enumerate(items):
        parts = it.path.split("/")
        for k in range(1, len(parts)):
            d = "/".join(parts[:k])
            if d not in made:
                run(["mmd", "-i", img, "::/" + d], env)
                made.add(d)
        local = stage_dir / f"{n:03d}.bin"
        local.write_bytes(it.data)
        os.utime(local, (it.mtime, it.mtime))
        run(["mcopy", "-m", "-i", img, str(local), "::/" + it.path], env)
    # delete last, so no later write reuses the freed clusters
    for it in items:
        if it.deleted:
            run(["mdel", "-i", img, "::/" + it.path], env)


def acquire_e01(raw_path: Path, target: Path) -> None:
    for old in target.parent.glob(target.name + ".E0*"):
        old.unlink()
    # ewfacquire stamps the acquisition and system date into the E01 header; run it under
    # libfaketime (Debian ``faketime``) when available so the .E01 is byte-reproducible too.
    pre = ["faketime", "-f", FAKETIME] if shutil.which("faketime") else []
    if not pre:
        print("note: faketime not found; the E01 header will carry today's date", file=sys.stderr)
    run([*pre, "ewfacquire", "-u", "-q", "-t", str(target), "-f", "encase6", "-c", "best",
         "-m", "fixed", "-M", "physical", "-d", "sha1",
         "-C", CASE_NUMBER, "-E", EVIDENCE_NUMBER, "-e", "Seawall build_demo_exhibit.py",
         "-D", "Seawall benign demo exhibit (16 MiB disk, MBR, FAT16)",
         "-N", "Benign public sample photos and synthetic media only. See data/demo/README.md.",
         str(raw_path)], env={**os.environ, "TZ": "UTC"}, stdin=subprocess.DEVNULL)


# ------------------------------------------------------------------------------- hash sets


def digests(data: bytes) -> dict:
    return {"md5": hashlib.md5(data).hexdigest(), "sha1": hashlib.sha1(data).hexdigest(),
            "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}


def write_hashsets(items: list[Item], pdq_rows: list[dict], out: Path) -> None:
    hs = out / "hashsets"
    hs.mkdir(parents=True, exist_ok=True)
    media: list[dict] = []
    seen: set[str] = set()
    entries: list[tuple[str, bytes, str]] = []
    for it in items:
        if it.vics:
            entries.append((it.path, it.data, it.vics))
        entries.extend((m.path, m.data, m.vics) for m in it.members if m.vics)
    for _path, data, cat in entries:
        d = digests(data)
        if d["md5"] in seen:  # one Media entry per distinct MD5, as exporters do
            continue
        seen.add(d["md5"])
        is_video = data[4:8] == b"ftyp"
        media.append({
            "MediaID": len(media) + 1,
            "Category": UK_CODE[cat],
            "MD5": d["md5"].upper(),
            "SHA1": d["sha1"].upper(),
            "MediaSize": d["size"],
            "MimeType": "video/mp4" if is_video else "image/jpeg",
            "DateUpdated": "2024-06-01T00:00:00.000Z",
            "IsPrecategorized": "true",
            "VictimIdentified": "false",
            "OffenderIdentified": "false",
            "IsDistributed": "false",
            "Series": "",
            "Tags": "benign demo data",
            "Comments": f"Seawall demo: arbitrary label, UK category {cat}; the picture is benign",
        })
    doc = {"@odata.context": VICS_CONTEXT, "value": media}
    (hs / "demo-vics.json").write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")

    lines = [f"{digests(it.data)['md5']}  {it.path}" for it in items if it.benign]
    (hs / "demo-known-benign.txt").write_text("\n".join(lines) + "\n")

    pdq_lines = [f"{r['hash']},{r['category']}" for r in pdq_rows]
    (hs / "demo-pdq.txt").write_text("\n".join(pdq_lines) + "\n")


# ------------------------------------------------------------------------ TSK verification


def tsk_verify(image: Path, items: list[Item], out: Path) -> dict:
    mm = run(["mmls", str(image)]).stdout.decode()
    starts = [int(ln.split()[2]) for ln in mm.splitlines()
              if ln[:3].strip().rstrip(":").isdigit() and "FAT16" in ln]
    if starts != [PART_START]:
        sys.exit(f"mmls: expected one FAT16 partition at {PART_START}, got:\n{mm}")
    fls = run(["fls", "-r", "-p", "-o", str(PART_START), str(image)]).stdout.decode("utf-8")
    (out / "expected_fls.txt").write_text(fls)

    rows = []
    by_path = {it.path: it for it in items}
    found: set[str] = set()
    for ln in fls.splitlines():
        meta, _, name = ln.partition("\t")
        kind = meta.split()[0]
        if kind != "r/r":  # regular files only (the volume label entry is r/r too)
            continue
        deleted = "*" in meta
        inode = meta.split()[-1].rstrip(":")
        if name.endswith("(Volume Label Entry)"):
            continue
        if name not in by_path and deleted:
            # FAT marks a deleted entry by overwriting the first byte of its 8.3 name (0xE5);
            # TSK shows it as '_'.  Long (VFAT) names survive intact.
            d, _, base = name.rpartition("/")
            cands = [p for p, it in by_path.items() if it.deleted
                     and p.rpartition("/")[0] == d and p.rpartition("/")[2][1:] == base[1:]]
            if len(cands) == 1:
                by_path[name] = by_path[cands[0]]
        if name not in by_path:
            sys.exit(f"unexpected file in fls listing: {ln}")
        data = run(["icat", "-o", str(PART_START), str(image), inode]).stdout
        it = by_path[name]
        if data != it.data:
            sys.exit(f"icat {inode} ({name}): bytes differ from what was written")
        if deleted != it.deleted:
            sys.exit(f"{name}: deleted={deleted} in fls, expected {it.deleted}")
        it.tsk_path = name
        found.add(it.path)
        rows.append((name, inode, "0" if deleted else "1", len(data),
                     hashlib.md5(data).hexdigest()))
    missing = {it.path for it in items} - found
    if missing:
        sys.exit(f"not listed by fls: {sorted(missing)}")
    with open(out / "expected_md5.tsv", "w", encoding="utf-8") as f:
        f.write("path\tinode\tallocated\tsize\tmd5\n")
        for r in rows:
            f.write("\t".join(str(v) for v in r) + "\n")
    return {"fls_lines": len(fls.splitlines()), "files": len(rows),
            "deleted": sum(r[2] == "0" for r in rows)}


def write_manifest(items: list[Item], pdq_rows: list[dict], out: Path) -> None:
    by_copy = {r["exhibit_copy"]: r for r in pdq_rows}
    with open(out / "manifest.tsv", "w", encoding="utf-8") as f:
        f.write("path\tstate\tsize\tmd5\tsha1\tsha256\tpdq\tpdq_quality\texpected\tsource\tdemonstrates\n")
        entries = []
        for it in items:
            entries.append((it.tsk_path or it.path, "deleted" if it.deleted else "allocated",
                            it.data, it.vics,
                            it.benign, it.source, it.demo))
            entries.extend((m.path, "archive-member", m.data, m.vics, False, m.source, m.demo)
                           for m in it.members)
        for path, state, data, vics, benign, source, demo in entries:
            d = digests(data)
            ph, pq = "", ""
            try:
                with Image.open(io.BytesIO(data)) as im:
                    ph, q = pdq_hex(im)
                    pq = str(q)
                    dih, _ = pdq_dihedral_hex(im)
            except Exception:  # not a picture Pillow reads (video, text, archive)
                dih = []
            for r in pdq_rows:  # no accidental near-duplicates of the PDQ demo set
                near = dih and min(hamming(r["hash"], h) for h in dih) <= 31
                if near and path != r["exhibit_copy"]:
                    sys.exit(f"{path} is within 31 bits of the PDQ entry for {r['original']}")
            if vics:
                expected = f"exact:{vics}"
            elif benign:
                expected = "known-benign"
            elif path in by_copy:
                r = by_copy[path]
                with Image.open(io.BytesIO(data)) as im:
                    dih, _ = pdq_dihedral_hex(im)
                dist = min(hamming(r["hash"], h) for h in dih)
                plain = hamming(r["hash"], ph)
                expected = f"pdq:{r['category']}:dihedral-min={dist}:plain={plain}"
            elif ph or data[4:8] == b"ftyp":
                expected = "unknown"
            else:
                expected = "not-media"
            f.write("\t".join([path, state, str(d["size"]), d["md5"], d["sha1"], d["sha256"],
                               ph, pq, expected, source, demo]) + "\n")


# ------------------------------------------------------------------------------------- main


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=REPO.parent / "shared",
                    help="the shared folder holding testdata/ (default: ../shared)")
    ap.add_argument("--out", type=Path, default=REPO / "data" / "demo")
    ap.add_argument("--keep-raw", action="store_true", help="also keep demo-exhibit.dd")
    args = ap.parse_args()
    for tool in ("mformat", "mmd", "mcopy", "mdel", "ewfacquire", "mmls", "fls", "icat"):
        if not shutil.which(tool):
            sys.exit(f"{tool} not found: apt-get install mtools ewf-tools sleuthkit")
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)

    items, pdq_rows = stage(args.shared.resolve())
    with tempfile.TemporaryDirectory(prefix="seawall-demo-") as tmp:
        tmpd = Path(tmp)
        raw_path = tmpd / "demo-exhibit.dd"
        (tmpd / "stage").mkdir()
        build_raw(items, raw_path, tmpd / "stage")
        raw = raw_path.read_bytes()
        raw_tsk = tsk_verify(raw_path, items, tmpd)  # the raw disk first
        acquire_e01(raw_path, out / "demo-exhibit")
        if args.keep_raw:
            shutil.copyfile(raw_path, out / "demo-exhibit.dd")
        e01 = out / "demo-exhibit.E01"
        tsk = tsk_verify(e01, items, out)  # the E01 must list and read back the same
        for name in ("expected_fls.txt", "expected_md5.tsv"):
            if (tmpd / name).read_bytes() != (out / name).read_bytes() or raw_tsk != tsk:
                sys.exit(f"raw and E01 differ under TSK ({name})")
    write_hashsets(items, pdq_rows, out)
    write_manifest(items, pdq_rows, out)
    info = {
        "image": e01.name,
        "image_bytes": e01.stat().st_size,
        "media_bytes": len(raw),
        "media_md5": hashlib.md5(raw).hexdigest(),
        "media_sha1": hashlib.sha1(raw).hexdigest(),
        "media_sha256": hashlib.sha256(raw).hexdigest(),
        "partition_table": f"MBR (DOS), disk signature 0x{DISK_SIGNATURE:08X}",
        "partition_start_sector": PART_START,
        "partition_sectors": PART_SECTORS,
        "file_system": f"FAT16, label {VOLUME_LABEL}, serial {VOLUME_SERIAL}",
        "files_allocated": tsk["files"] - tsk["deleted"],
        "files_deleted": tsk["deleted"],
        "archive_members": sum(len(it.members) for it in items),
        "built_with": {
            "pillow": Image.__version__, "numpy": np.__version__,
            "mtools": run(["mtools", "--version"]).stdout.decode().splitlines()[0],
            "ewfacquire": run(["ewfacquire", "-V"]).stdout.decode().split("\n")[0].strip(),
            "sleuthkit": run(["fls", "-V"]).stdout.decode().strip(),
        },
    }
    (out / "exhibit-info.json").write_text(json.dumps(info, indent=2) + "\n")
    print(json.dumps(info, indent=2))


if __name__ == "__main__":
    main()
