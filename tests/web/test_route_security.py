"""Security tests generated from the app's own route table, so a new page is covered the
moment it is added: no session -> redirect/401, another case's user -> 403, no CSRF token ->
403, and no way to reach files outside the case."""

from __future__ import annotations

import pytest
from fastapi import APIRouter, Depends, FastAPI
from fastapi.routing import APIRoute

from seawall.web import create_app, deps
from seawall.web.app import RouteProtectionError, check_route_protection

from .conftest import CASE1, PASSWORD, media_reader


def _routes():
    # Built once at collection time (without a database) just to read the route table.
    app = FastAPI()
    from seawall.web import app as web_app

    for name in web_app.ROUTER_MODULES:
        web_app._add_routes(app, __import__(name, fromlist=["router"]).router)
    out = []
    for route in app.routes:
        if isinstance(route, APIRoute):
            for method in sorted(route.methods):
                public = getattr(route.endpoint, "seawall_public", False)
                out.append(pytest.param(method, route.path, public, id=f"{method} {route.path}"))
    return out


ROUTES = _routes()
PRIVATE = [p for p in ROUTES if not p.values[2]]
CASE_ROUTES = [p for p in PRIVATE if "{case_ref}" in p.values[1]]
UNSAFE = [p for p in ROUTES if p.values[0] not in ("GET", "HEAD", "OPTIONS")]


def fill(path: str, ids: dict, case_ref: str = CASE1) -> str:
    return (path.replace("{case_ref}", case_ref).replace("{file_id}", str(ids["dup1"]))
            .replace("{username}", "alice"))


def test_route_table_is_covered():
    assert len(PRIVATE) >= 15 and len(CASE_ROUTES) >= 8 and len(UNSAFE) >= 6


@pytest.mark.parametrize("method,path,public", PRIVATE)
def test_no_session_redirects_or_401(client, ids, method, path, public):
    response = client.request(method, fill(path, ids))
    if method == "GET":
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login")
    else:
        assert response.status_code == 401


@pytest.mark.parametrize("method,path,public", PRIVATE)
def test_forged_session_cookie_rejected(client, ids, method, path, public):
    client.cookies.set("seawall_session", "forged-token")
    response = client.request(method, fill(path, ids))
    assert response.status_code in (303, 401)


@pytest.mark.parametrize("method,path,public", CASE_ROUTES)
def test_other_case_user_forbidden(as_user, ids, method, path, public):
    bob = as_user("bob")  # assigned to the other case only
    if method == "GET":
        response = bob.get(fill(path, ids))
    else:
        response = bob.client.request(method, fill(path, ids), data={"csrf_token": bob.csrf,
                                                                      "category": "A",
                                                                      "files": "1"})
    assert response.status_code == 403
    assert "OP-ALPHA" not in response.text.replace(fill(path, ids), "")


@pytest.mark.parametrize("method,path,public", CASE_ROUTES)
def test_unknown_case_same_answer_as_forbidden(as_user, ids, method, path, public):
    bob = as_user("bob")
    response = bob.client.request(method, fill(path, ids, "NO-SUCH-CASE"),
                                  data={"csrf_token": bob.csrf})
    assert response.status_code == 403


@pytest.mark.parametrize("method,path,public", UNSAFE)
def test_post_without_csrf_rejected(as_user, ids, method, path, public, db_url):
    admin = as_user("admin")
    response = admin.client.request(method, fill(path, ids),
                                    data={"category": "A", "files": str(ids["dup1"]),
                                          "username": "x", "password": "y" * 12,
                                          "role": "grader", "case": CASE1},
                                    # what a cross-site form post from a browser carries
                                    headers={"Origin": "https://attacker.example"})
    assert response.status_code == 403
    response = admin.client.request(method, fill(path, ids),
                                    data={"csrf_token": "forged", "category": "A"},
                                    headers={"X-CSRF-Token": "also-forged"})
    assert response.status_code == 403


def test_login_by_a_script_without_csrf_token(client):
    """A non-browser client (no Origin, no Referer, no pre-session cookie) may post the
    login form's two fields directly; the same post from a browser page needs the token."""
    response = client.post("/login", data={"username": "alice", "password": PASSWORD},
                           follow_redirects=False)
    assert response.status_code == 303
    assert "seawall_session" in response.cookies or "seawall_session" in client.cookies
    client.cookies.clear()
    response = client.post("/login", data={"username": "alice", "password": PASSWORD},
                           headers={"Origin": "null"}, follow_redirects=False)
    assert response.status_code == 403


def test_csrf_header_accepted_for_htmx(as_user, ids):
    alice = as_user("alice")
    url = f"/cases/{CASE1}/files/{ids['dup1']}/reveal"
    response = alice.client.post(url, headers={"X-CSRF-Token": alice.csrf, "HX-Request": "true"})
    assert response.status_code == 200 and "clear=true" in response.text


@pytest.mark.parametrize("suffix", [
    "../../../../etc/passwd", "..%2F..%2F..%2Fetc%2Fpasswd", "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "1%00.jpg", "-1", "99999999",
])
def test_no_media_path_traversal(as_user, ids, suffix):
    alice = as_user("alice")
    for url in (f"/cases/{CASE1}/files/{suffix}/thumb", f"/cases/{CASE1}/files/{suffix}",
                f"/static/{suffix}", "/static/../templates/base.html",
                f"/cases/..%2F{CASE1}/files/{ids['dup1']}/thumb"):
        response = alice.get(url)
        assert response.status_code in (400, 403, 404), url
        assert "root:" not in response.text and "{%" not in response.text


def test_file_of_another_case_not_reachable_through_own_case(as_user, ids):
    alice = as_user("alice")
    other = ids["other_case"]
    for url in (f"/cases/{CASE1}/files/{other}", f"/cases/{CASE1}/files/{other}/thumb"):
        assert alice.get(url).status_code == 404
    assert alice.post(f"/cases/{CASE1}/files/{other}/reveal").status_code == 404


def test_media_only_through_authorised_routes(app):
    # The only mount is /static, which holds CSS/JS/htmx and nothing else.
    from pathlib import Path

    static = Path(__file__).resolve().parents[2] / "src/seawall/web/static"
    suffixes = {p.suffix for p in static.rglob("*") if p.is_file()}
    assert suffixes <= {".css", ".js", ".txt"}


def test_unprotected_route_refused_at_startup():
    app = FastAPI()
    router = APIRouter()

    @router.get("/cases/{case_ref}/leak")
    def leak(case_ref: str, user=Depends(deps.current_user)):
        return {}

    @router.get("/open")
    def open_page():
        return {}

    app.include_router(router)
    flat = FastAPI()
    from seawall.web.app import _add_routes

    _add_routes(flat, router)
    with pytest.raises(RouteProtectionError) as info:
        check_route_protection(flat)
    assert "/cases/{case_ref}/leak: case route without case_access" in str(info.value)
    assert "/open: no current_user dependency" in str(info.value)


def test_app_factory_defaults(db_url, monkeypatch):
    monkeypatch.setenv("SEAWALL_DB", db_url)
    app = create_app(media_reader=media_reader)
    assert app.state.settings.secure_cookies is False
    assert app.openapi_url is None and app.docs_url is None
