"""A Dask cluster started the way a lab starts one: ``dask scheduler`` and each
``dask worker`` a separate OS process (the venv's own ``dask`` command), bound to loopback.

Each process leads its own process group, so killing a worker kills its nanny and worker
process together, as when a node dies, and teardown leaves nothing running."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
STARTUP_SECONDS = 60


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def dask_command() -> list[str]:
    script = Path(sys.executable).with_name("dask")
    return [str(script)] if script.exists() else [sys.executable, "-m", "dask"]


def seawall_env(**extra: str) -> dict[str, str]:
    """The environment for seawall and dask processes: this tree's source importable."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(REPO / "src"), env.get("PYTHONPATH")) if p)
    env.update(extra)
    return env


def kill_group(proc: subprocess.Popen) -> None:
    """SIGKILL the process and everything it started; reap it."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:  # pragma: no cover - a zombie we cannot reap
        pass


class ProcessCluster:
    """A scheduler on a free loopback port and any number of worker processes."""

    def __init__(self, logs: Path):
        self.logs = logs
        self.port = free_port()
        self.address = f"tcp://127.0.0.1:{self.port}"
        self.processes: list[subprocess.Popen] = []
        self.workers: list[subprocess.Popen] = []

    def _spawn(self, name: str, args: list[str]) -> subprocess.Popen:
        log = open(self.logs / f"{name}.log", "wb")  # noqa: SIM115 - the process owns it
        with log:
            proc = subprocess.Popen(dask_command() + args, env=seawall_env(),
                                    stdout=log, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, start_new_session=True)
        self.processes.append(proc)
        return proc

    def start_scheduler(self) -> None:
        self._spawn("scheduler", ["scheduler", "--host", "127.0.0.1", "--port", str(self.port),
                                  "--no-dashboard"])

    def start_worker(self) -> subprocess.Popen:
        n = len(self.workers)
        local = self.logs / f"worker-{n}"
        local.mkdir(exist_ok=True)
        # --death-timeout: a worker whose scheduler is gone exits by itself, so even a test
        # process killed before its teardown leaves no worker running for long.
        proc = self._spawn(f"worker-{n}", [
            "worker", self.address, "--nworkers", "1", "--nthreads", "1", "--no-dashboard",
            "--host", "127.0.0.1", "--local-directory", str(local), "--death-timeout", "30"])
        self.workers.append(proc)
        return proc

    def wait_for_workers(self, n: int, timeout: float = STARTUP_SECONDS) -> None:
        """Until the scheduler knows exactly ``n`` live workers."""
        from distributed import Client

        deadline = time.monotonic() + timeout
        with Client(self.address, set_as_default=False, timeout=timeout) as client:
            while len(client.scheduler_info(n_workers=-1)["workers"]) != n:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{n} workers not up after {timeout} s:\n"
                                       + self.log_tail())
                time.sleep(0.2)

    def kill_worker(self, proc: subprocess.Popen) -> None:
        kill_group(proc)
        self.workers.remove(proc)

    def log_tail(self, chars: int = 3000) -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-chars:]}"
                         for p in sorted(self.logs.glob("*.log")))

    def close(self) -> None:
        for proc in reversed(self.processes):
            kill_group(proc)


@contextmanager
def process_cluster(logs: Path, workers: int = 2) -> Iterator[ProcessCluster]:
    logs.mkdir(parents=True, exist_ok=True)
    cluster = ProcessCluster(logs)
    try:
        cluster.start_scheduler()
        for _ in range(workers):
            cluster.start_worker()
        cluster.wait_for_workers(workers)
        yield cluster
    finally:
        cluster.close()


def run_seawall(*args: str, timeout: float = 120, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "seawall", *args], env=seawall_env(**env),
                          capture_output=True, text=True, timeout=timeout)


def start_seawall(*args: str, logs: Path, **env: str) -> subprocess.Popen:
    """``seawall ARGS`` in the background, its own process group, output to a file."""
    with open(logs, "wb") as out:
        return subprocess.Popen([sys.executable, "-m", "seawall", *args], env=seawall_env(**env),
                                stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)


RECORD_FIELDS = ("path", "inode", "allocated", "size", "md5", "sha1", "sha256", "media_type",
                 "pdq", "pdq_quality", "error", "kind", "parent")


def case_records(db: str, case: str, exhibit: str | None = None) -> list[tuple]:
    """Every file record of a case (or of one of its exhibits), sorted, duplicates kept: two
    lists are equal only when nothing is missing, doubled or different."""
    from seawall.scan.listing import file_dict, iter_files
    from seawall.store.db import session_scope

    with session_scope(db) as session:
        rows = [file_dict(e, r) for e, r in iter_files(session, case)
                if exhibit is None or e.reference == exhibit]
    return sorted(tuple(str(r[k]) for k in RECORD_FIELDS) for r in rows)


def stored_files(db: str) -> int:
    """How many file records the database holds now (read while a scan writes)."""
    from sqlalchemy import func, select

    from seawall.store.db import session_scope
    from seawall.store.models import FileRecord

    with session_scope(db) as session:
        return session.scalar(select(func.count()).select_from(FileRecord)) or 0
