"""CLI start-up (issue 14): wall time of short ``seawall`` commands against ``python -c
"import sqlalchemy"`` alone, measured in the same run.

    .venv/bin/python bench/bench_startup.py [--runs 9] [--no-write]

Each command runs ``--runs`` times, interleaved round by round so that load from other jobs
on a shared machine hits every command alike; the median is reported and its ratio to the
SQLAlchemy import.  ``scan`` reads an empty folder into a fresh SQLite database each run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from results_md import replace_section
from run_scan_bench import machine

REPO = Path(__file__).resolve().parents[1]
HEADING = "## CLI start-up"
TARGET_HELP = 1.0  # --help no slower than importing SQLAlchemy
TARGET_SCAN = 2.0  # an empty scan with a fresh database within twice that


def commands(work: Path) -> dict[str, list[str]]:
    seawall = [sys.executable, "-m", "seawall"]
    return {
        'python -c "import sqlalchemy"': [sys.executable, "-c", "import sqlalchemy"],
        "seawall --help": [*seawall, "--help"],
        "seawall scan --help": [*seawall, "scan", "--help"],
        "seawall hashset import --help": [*seawall, "hashset", "import", "--help"],
        "seawall casework show --help": [*seawall, "casework", "show", "--help"],
        "seawall serve --help": [*seawall, "serve", "--help"],
        "seawall scan EMPTY --case X --db sqlite:///fresh.db":
            [*seawall, "scan", str(work / "empty"), "--case", "X",
             "--db", f"sqlite:///{work / 'fresh.db'}"],
    }


def run_once(argv: list[str], work: Path) -> float:
    for leftover in work.glob("fresh.db*"):  # a fresh database every run
        leftover.unlink()
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    t = time.perf_counter()
    done = subprocess.run(argv, cwd=work, env=env, capture_output=True, timeout=120)
    elapsed = time.perf_counter() - t
    if done.returncode != 0:
        raise SystemExit(f"{argv} failed:\n{done.stderr.decode(errors='replace')[-2000:]}")
    return elapsed


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=9)
    ap.add_argument("--no-write", action="store_true", help="Print only; leave RESULTS.md.")
    args = ap.parse_args()
    info = machine()
    with tempfile.TemporaryDirectory(prefix="seawall-startup-") as tmp:
        work = Path(tmp)
        (work / "empty").mkdir()
        cmds = commands(work)
        for argv in cmds.values():  # warm the page cache and .pyc files
            run_once(argv, work)
        times: dict[str, list[float]] = {name: [] for name in cmds}
        for _ in range(args.runs):
            for name, argv in cmds.items():
                times[name].append(run_once(argv, work))
    load_end = " ".join(f"{x:.2f}" for x in os.getloadavg())
    medians = {name: statistics.median(ts) for name, ts in times.items()}
    base = medians['python -c "import sqlalchemy"']
    rows = []
    for name, median in medians.items():
        target = TARGET_SCAN if " scan EMPTY" in name else TARGET_HELP
        ratio = median / base
        verdict = "" if name.startswith("python") else ("yes" if ratio <= target else "NO")
        rows.append(f"| `{name}` | {median * 1000:.0f} | {min(times[name]) * 1000:.0f} | "
                    f"{ratio:.2f}x | {'' if name.startswith('python') else f'<= {target:g}x'} "
                    f"| {verdict} |")
    text = "\n".join([
        HEADING,
        "",
        f"Measured {info['date']} by `bench/bench_startup.py` on {info['nproc']} cores "
        f"({info['cpu']}), {info['ram_gib']} GiB RAM, Python {info['python']}; Seawall at "
        f"`{info['seawall_tree']}`. The VM is shared with other jobs: 1-min load average "
        f"{info['loadavg_start']} at the start, {load_end} at the end; each command ran "
        f"{args.runs} times (interleaved, after one warm-up run), medians quoted, ratios to "
        "the SQLAlchemy import of the same run. `scan` reads an empty folder into a fresh "
        "SQLite database each run.",
        "",
        "| command | median ms | min ms | ratio to `import sqlalchemy` | target | met |",
        "|---|---|---|---|---|---|",
        *rows,
        "",  # a blank line before the notes heading that follows
    ])
    print(text)
    if not args.no_write:
        # Up to the next heading of any level: the notes under it (### ...) stay.
        replace_section(HEADING, text, stop=r"^## |^### ")


if __name__ == "__main__":
    main()
