"""Start-up: `seawall --help` and every `seawall CMD --help` load none of the heavy libraries
(issue 14); each command imports what it needs only when it runs."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

# Top-level packages that take tens to hundreds of milliseconds to import.
HEAVY = ("sqlalchemy", "alembic", "numpy", "PIL", "dfvfs", "pytsk3", "dask", "distributed",
         "fastapi", "uvicorn", "pydantic", "weasyprint", "matplotlib")


def _imported_roots(importtime_log: str) -> set[str]:
    """Top-level package names in a ``python -X importtime`` log."""
    roots = set()
    for line in importtime_log.splitlines():
        if line.startswith("import time:") and "|" in line:
            name = line.rsplit("|", 1)[1].strip()
            roots.add(name.split(".")[0])
    return roots


def test_seawall_help_imports_no_heavy_library():
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "seawall", "--help"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "scan" in done.stdout
    roots = _imported_roots(done.stderr)
    assert "typer" in roots  # the log was read
    assert sorted(roots.intersection(HEAVY)) == []


# Runs each command's --help through the app's own click group, as `seawall CMD --help` does,
# in one process (65 commands), and says which heavy packages each one loaded.
_EVERY_COMMAND_HELP = textwrap.dedent("""
    import contextlib, io, json, sys
    from typer.main import get_command
    from seawall.cli.app import app

    HEAVY = set(sys.argv[1].split(","))
    group = get_command(app)

    def paths(command, prefix):
        yield prefix
        for name, sub in getattr(command, "commands", {}).items():
            yield from paths(sub, [*prefix, name])

    loaded = set()
    for path in paths(group, []):
        with contextlib.redirect_stdout(io.StringIO()) as out:
            try:
                group.main(args=[*path, "--help"], prog_name="seawall", standalone_mode=False)
            except SystemExit:
                pass
        now = {m.split(".")[0] for m in sys.modules} & HEAVY
        print(json.dumps({"command": path, "help": out.getvalue()[:200],
                          "heavy": sorted(now - loaded)}))
        loaded |= now
""")


def test_every_command_help_imports_no_heavy_library():
    done = subprocess.run([sys.executable, "-c", _EVERY_COMMAND_HELP, ",".join(HEAVY)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    results = [json.loads(line) for line in done.stdout.splitlines()]
    commands = {" ".join(r["command"]) for r in results}
    assert {"scan", "hashset import", "casework show", "backlog queue", "serve"} <= commands
    assert all("Usage:" in r["help"] for r in results), results
    offenders = {" ".join(r["command"]) or "(top)": r["heavy"] for r in results if r["heavy"]}
    assert offenders == {}
