"""Shared fixtures: benign synthetic exhibits and the database back-ends under test."""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw


def synthetic_picture(seed: int, size=(320, 240)) -> Image.Image:
    """A benign abstract picture: gradient background with coloured shapes."""
    rng = np.random.default_rng(seed)
    w, h = size
    x = np.linspace(0, 1, w)[None, :, None]
    y = np.linspace(0, 1, h)[:, None, None]
    base = rng.uniform(0, 255, 3)[None, None, :] * x + rng.uniform(0, 255, 3)[None, None, :] * y
    img = Image.fromarray(np.clip(base, 0, 255).astype("uint8"), "RGB")
    draw = ImageDraw.Draw(img)
    for _ in range(6):
        x0, y0 = rng.integers(0, w - 20), rng.integers(0, h - 20)
        x1, y1 = x0 + rng.integers(10, w // 2), y0 + rng.integers(10, h // 2)
        colour = tuple(int(c) for c in rng.integers(0, 255, 3))
        if rng.random() < 0.5:
            draw.ellipse([x0, y0, x1, y1], fill=colour)
        else:
            draw.rectangle([x0, y0, x1, y1], fill=colour)
    return img


def picture_bytes(seed: int, fmt: str = "JPEG", size=(320, 240)) -> bytes:
    buf = io.BytesIO()
    synthetic_picture(seed, size).save(buf, fmt)
    return buf.getvalue()


def video_bytes(tmp_dir: Path, seconds: int = 2, fps: int = 10) -> bytes:
    """A short benign synthetic MP4 (moving shapes), encoded with PyAV."""
    import av

    path = tmp_dir / "clip.mp4"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("mpeg4", rate=fps)
        stream.width, stream.height, stream.pix_fmt = 160, 120, "yuv420p"
        for i in range(seconds * fps):
            frame = av.VideoFrame.from_image(synthetic_picture(i // fps, (160, 120)))
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    data = path.read_bytes()
    path.unlink()
    return data


@pytest.fixture()
def folder_exhibit(tmp_path: Path) -> Path:
    """A small benign exhibit folder with the awkward cases a real seizure has."""
    root = tmp_path / "exhibit"
    (root / "DCIM" / "100PHONE").mkdir(parents=True)
    (root / "Documents").mkdir()
    for i in range(6):
        (root / "DCIM" / "100PHONE" / f"IMG_{i:04d}.jpg").write_bytes(picture_bytes(i))
    (root / "DCIM" / "copy_of_IMG_0000.jpg").write_bytes(picture_bytes(0))  # exact duplicate
    (root / "Documents" / "drawing.png").write_bytes(picture_bytes(10, "PNG"))
    (root / "Documents" / "notes.txt").write_text("shopping list\nmilk\n")
    (root / "Documents" / "holiday.doc").write_bytes(picture_bytes(11))  # lying extension
    (root / "Documents" / "empty.bin").write_bytes(b"")
    (root / "DCIM" / "clip.mp4").write_bytes(video_bytes(tmp_path))
    (root / "Documents" / "broken.jpg").write_bytes(picture_bytes(12)[:700])  # truncated
    with zipfile.ZipFile(root / "Documents" / "album.zip", "w") as zf:
        zf.writestr("inner/pic_a.jpg", picture_bytes(20))
        zf.writestr("../escape.jpg", picture_bytes(21))  # path traversal name, never extracted
    os.symlink("..", root / "DCIM" / "loop")  # symlink loop
    os.mkfifo(root / "Documents" / "pipe")  # FIFO: must be skipped, not opened
    (root / os.fsdecode(b"caf\xe9-latin1.jpg")).write_bytes(picture_bytes(30))  # non-UTF-8
    return root


# --- database back-ends ------------------------------------------------------------------
# Every test that needs a database takes the ``db_url`` fixture.  By default it is a fresh
# SQLite file; with SEAWALL_TEST_BACKEND=postgresql (CI's second pass) it is a fresh database
# on the server at SEAWALL_TEST_PG_URL, dropped afterwards.


def _pg_admin_url() -> str:
    return os.environ.get("SEAWALL_TEST_PG_URL",
                          "postgresql://seawall_test:seawall_test@127.0.0.1:5432/postgres")


def test_backend() -> str:
    return os.environ.get("SEAWALL_TEST_BACKEND", "sqlite")


test_backend.__test__ = False  # not a test, despite its name


def create_pg_database(template: str | None = None) -> str:
    """A new, empty (or copied from ``template``) database on the test server; its URL."""
    import uuid

    import psycopg

    admin = _pg_admin_url()
    name = f"seawall_t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        clause = f' TEMPLATE "{template}"' if template else ""
        conn.execute(f'CREATE DATABASE "{name}"{clause}')
    return admin.rsplit("/", 1)[0] + "/" + name


def drop_pg_database(url: str) -> None:
    import psycopg

    from seawall.store.db import dispose_engine

    dispose_engine(url)
    with psycopg.connect(_pg_admin_url(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')


@pytest.fixture()
def empty_db_url(tmp_path: Path):
    """A fresh, empty database on the back-end under test."""
    if test_backend() != "postgresql":
        yield f"sqlite:///{tmp_path / 'seawall-test.db'}"
        return
    url = create_pg_database()
    yield url
    drop_pg_database(url)


@pytest.fixture()
def db_url(empty_db_url: str):
    """The database a test works in (packages' conftests may pre-seed theirs)."""
    return empty_db_url


@pytest.fixture(scope="session", autouse=True)
def _drop_leftover_pg_databases():
    """Session-scoped test databases are dropped here, after every test has finished."""
    yield
    if test_backend() != "postgresql":
        return
    import psycopg

    from seawall.store.db import _ENGINES, dispose_engine

    for url in list(_ENGINES):
        if "/seawall_t_" in url:
            dispose_engine(url)
    with psycopg.connect(_pg_admin_url(), autocommit=True) as conn:
        names = [r[0] for r in conn.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE 'seawall_t_%'")]
        for name in names:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
