"""``seawall serve`` behind a reverse proxy, as deployed (a subprocess): with
``--proxy-headers`` the failed-login limit is per client, so one client's failures do not
keep everyone else behind the same proxy out (issue 12, defect 4)."""

from __future__ import annotations

import time

import httpx
import pytest

from seawall.accounts.users import create_user
from seawall.store.db import session_scope
from tests.cluster_processes import free_port, kill_group, start_seawall

from .conftest import PASSWORD

IP_FAILURE_LIMIT = 20  # WebSettings' default, which `seawall serve` uses


@pytest.fixture
def serve(empty_db_url, tmp_path):
    with session_scope(empty_db_url) as s:
        create_user(s, "alice", PASSWORD, "grader")
    started = []

    def start(*options: str) -> str:
        port = free_port()
        proc = start_seawall("serve", "--port", str(port), "--db", empty_db_url, *options,
                             logs=tmp_path / f"serve-{port}.log")
        started.append(proc)
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/healthz").status_code == 200:
                    return base
            except httpx.TransportError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, \
                (tmp_path / f"serve-{port}.log").read_text()
            time.sleep(0.2)

    yield start
    for proc in started:
        kill_group(proc)


def _login(base: str, username: str, password: str, client_ip: str) -> int:
    # A script's login (no browser cookies), as relayed by a proxy for ``client_ip``.
    return httpx.post(f"{base}/login", data={"username": username, "password": password},
                      headers={"X-Forwarded-For": client_ip}, timeout=30).status_code


def _fail_from(base: str, client_ip: str) -> None:
    for i in range(IP_FAILURE_LIMIT):  # different names: only the address limit applies
        assert _login(base, f"guess{i}", "wrong password!", client_ip) == 401


def test_proxy_headers_keep_the_login_limit_per_client(serve):
    base = serve("--proxy-headers", "--forwarded-allow-ips", "127.0.0.1")
    _fail_from(base, "10.0.0.66")
    assert _login(base, "alice", PASSWORD, "10.0.0.66") == 429
    assert _login(base, "alice", PASSWORD, "10.0.0.7") == 303


def test_without_proxy_headers_everyone_shares_the_proxy_address(serve):
    """Why docs/deploy.md insists on --proxy-headers: the forwarded address is ignored."""
    base = serve()
    _fail_from(base, "10.0.0.66")
    assert _login(base, "alice", PASSWORD, "10.0.0.7") == 429
