"""Fixtures for the web tests: a migrated, seeded SQLite database copied per test, an app
whose media reader draws benign synthetic pictures, and logged-in clients."""

from __future__ import annotations

import io
import re
import sqlite3
from contextlib import closing

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from PIL import Image, ImageDraw

from seawall.accounts import users
from seawall.accounts.assignments import add_case, assign
from seawall.accounts.users import create_user
from seawall.matching import NO_VERDICT, FileVerdict, SetMatch
from seawall.store.db import dispose_engine, session_scope
from seawall.store.models import Case, Exhibit, FileRecord
from seawall.web import create_app
from seawall.web.config import WebSettings
from tests.conftest import create_pg_database, drop_pg_database, test_backend

# Cheaper argon2 parameters keep the suite fast; production uses argon2-cffi's defaults.
users._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
users._DUMMY_HASH = users._hasher.hash("seawall-dummy-password")

PASSWORD = "correct horse battery"
CASE1, CASE2 = "OP-ALPHA-1", "OP-BRAVO-2"

# Case 1 media.  PDQ hashes are synthetic: P1/P2 are 4 bits apart (one cluster), P3 is far.
P1 = "f" * 64
P2 = "f" * 63 + "0"
P3 = "0" * 64
SHA = {name: (name * 64)[:64] for name in "abcdefgh"}


def picture(file_id: int, size=(160, 120)) -> bytes:
    """A benign synthetic picture: coloured stripes that differ per file."""
    image = Image.new("RGB", size, (240, 240, 240))
    draw = ImageDraw.Draw(image)
    for x in range(0, size[0], 20):
        colour = ((x * 7 + file_id * 40) % 256, (file_id * 90) % 256, (255 - x) % 256)
        draw.rectangle([x, 0, x + 9, size[1]], fill=colour)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def media_reader(_session, record) -> bytes:
    return picture(record.id)


def _seed(url: str) -> dict:
    ids: dict[str, int] = {}
    with session_scope(url) as s:
        for name, role in [("admin", "admin"), ("alice", "grader"), ("carol", "grader"),
                           ("bob", "grader"), ("sam", "supervisor"), ("ivan", "investigator")]:
            create_user(s, name, PASSWORD, role)
        add_case(s, CASE1, "uk", actor="test")
        add_case(s, CASE2, "uk", actor="test")
        for case, users in [(CASE1, ["alice", "carol", "sam", "ivan"]), (CASE2, ["bob"])]:
            for user in users:
                assign(s, case, user, actor="test")
        case1 = s.query(Case).filter_by(reference=CASE1).one()
        case2 = s.query(Case).filter_by(reference=CASE2).one()
        ex1 = Exhibit(case=case1, reference="EX1", source_kind="directory",
                      identity={"paths": ["/evidence/ex1"]}, status="done")
        ex2 = Exhibit(case=case2, reference="EX9", source_kind="directory",
                      identity={"paths": ["/evidence/ex9"]}, status="done")
        s.add_all([ex1, ex2])
        specs = [
            # name, exhibit, path, media_class, sha, pdq
            ("dup1", ex1, "/photos/a.jpg", "image", SHA["a"], P1),
            ("dup2", ex1, "/photos/copy of a.jpg", "image", SHA["a"], P1),
            ("near", ex1, "/photos/b.jpg", "image", SHA["b"], P2),
            ("far", ex1, "/photos/c.png", "image", SHA["c"], P3),
            ("known", ex1, "/photos/known.jpg", "image", SHA["d"], None),
            ("benign", ex1, "/photos/logo.png", "image", SHA["e"], None),
            ("doc", ex1, "/docs/report.pdf", "other", SHA["f"], None),
            ("other_case", ex2, "/x/secret.jpg", "image", SHA["g"], None),
        ]
        for name, exhibit, path, media, sha, pdq in specs:
            record = FileRecord(exhibit=exhibit, file_key=name, path=path, media_class=media,
                                sha256=sha, md5=sha[:32], pdq=pdq,
                                pdq_quality=100 if pdq else None, size=1234,
                                media_type="image/png" if media == "image" else "application/pdf")
            s.add(record)
            s.flush()
            ids[name] = record.id
    return ids


@pytest.fixture(scope="session")
def template_db(tmp_path_factory):
    if test_backend() == "postgresql":
        url = create_pg_database()
        ids = _seed(url)
        dispose_engine(url)  # a template database must have no open connections
        yield url, ids
        drop_pg_database(url)
        return
    path = tmp_path_factory.mktemp("template") / "seed.db"
    ids = _seed(f"sqlite:///{path}")
    yield path, ids


@pytest.fixture
def ids(template_db):
    return template_db[1]


@pytest.fixture
def db_url(template_db, tmp_path):
    if test_backend() == "postgresql":
        url = create_pg_database(template=template_db[0].rsplit("/", 1)[1])
        yield url
        drop_pg_database(url)
        return
    path = tmp_path / "seawall.db"
    # The backup API, not a file copy: the template's latest pages may still be in its WAL.
    with closing(sqlite3.connect(template_db[0])) as source, \
            closing(sqlite3.connect(path)) as target:
        source.backup(target)
    yield f"sqlite:///{path}"


@pytest.fixture
def fake_matching(ids):
    """Matching verdicts: 'known' matched a category A set, 'benign' is known-benign, 'far'
    has an indicative (non-deciding) category A match; everything else is unknown."""
    caid = SetMatch(set="caid", version=1, kind="md5", distance=0, category="A")
    # An untrusted set's category A: a hint that cannot decide the category.
    tip = SetMatch(set="tip", version=1, kind="md5", distance=0, category="A", indicative=True)
    special = {ids["known"]: FileVerdict(category="A", known_benign=False, matches=(caid,)),
               ids["benign"]: FileVerdict(category=None, known_benign=True),
               ids["far"]: FileVerdict(category=None, known_benign=False, matches=(tip,))}

    def provider(_session, file_ids):
        return {fid: special.get(fid, NO_VERDICT) for fid in file_ids}

    return provider


@pytest.fixture
def settings():
    return WebSettings(ip_failure_limit=8, login_delay_after=3)


@pytest.fixture
def app(db_url, settings, fake_matching):
    return create_app(db_url, settings=settings, media_reader=media_reader,
                      verdicts=fake_matching)


@pytest.fixture
def client(app):
    with TestClient(app, follow_redirects=False) as c:
        yield c


CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def login(client: TestClient, username: str, password: str = PASSWORD):
    page = client.get("/login")
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": csrf_of(page.text)})


class User:
    """A logged-in TestClient plus its CSRF token."""

    def __init__(self, app, username):
        self.client = TestClient(app, follow_redirects=False)
        response = login(self.client, username)
        assert response.status_code == 303, response.text
        self.csrf = csrf_of(self.client.get("/cases").text)

    def post(self, url, data=None, **kwargs):
        data = dict(data or {})
        data.setdefault("csrf_token", self.csrf)
        return self.client.post(url, data=data, **kwargs)

    def get(self, url, **kwargs):
        return self.client.get(url, **kwargs)


@pytest.fixture
def as_user(app):
    made = []

    def make(username):
        user = User(app, username)
        made.append(user)
        return user

    yield make
    for user in made:
        user.client.close()
