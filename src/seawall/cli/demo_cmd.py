"""``seawall demo``: the whole job on the bundled benign demo exhibit and hash sets."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import typer

from seawall.cli.common import console, fail

REPO_ROOT = Path(__file__).resolve().parents[3]
DEMO_DIR = REPO_ROOT / "data" / "demo"
DEMO_CASE = "DEMO-001"


def _demo_exhibit() -> list[Path]:
    for pattern in ("demo-exhibit.E01", "demo-exhibit.dd", "demo-exhibit.raw"):
        found = sorted(DEMO_DIR.glob(pattern))
        if found:
            return found[:1]
    fail(f"no demo exhibit in {DEMO_DIR}")
    return []


def _import_hashsets(db_url: str) -> int:
    from seawall.hashsets import service as hs

    imported = 0
    hashset_dir = DEMO_DIR / "hashsets"
    plan = [("demo-vics.json", "vics", "demo-vics", None),
            ("demo-known-benign.txt", "hashlist", "demo-known-benign", "known_benign"),
            ("demo-pdq.txt", "pdq", "demo-pdq", None)]
    for name, fmt, set_name, category in plan:
        path = hashset_dir / name
        if path.exists():
            hs.import_file(db_url, path, fmt=fmt, name=set_name, category=category)
            imported += 1
    return imported


def demo(out: Path = typer.Option(Path("demo-out"), "--out", help="Output folder.")) -> None:
    """Scan the bundled demo exhibit, match it, and write the results under --out."""
    from seawall.scan.pipeline import scan_exhibit
    from seawall.store.db import session_scope

    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    db_url = f"sqlite:///{out.resolve() / 'seawall.db'}"
    exhibit = _demo_exhibit()
    sets = _import_hashsets(db_url)
    console.print(f"[bold]Seawall demo[/bold]: exhibit {exhibit[0].name}, {sets} hash set(s)")
    from rich.progress import Progress

    from seawall.cli.scan_cmd import RichProgress, summary_table

    with Progress(console=console) as progress:
        summary = scan_exhibit([str(p) for p in exhibit], DEMO_CASE, exhibit_reference="EX-01",
                               db_url=db_url, progress=RichProgress(progress))
    console.print(summary_table(summary, db_url))
    from seawall.cli.match_cmd import print_counts
    from seawall.matching import counts as counts_mod
    from seawall.matching import service

    with session_scope(db_url) as session:
        if service.has_hashsets(session):
            service.match_case(session, DEMO_CASE)
        counts = counts_mod.case_counts(session, DEMO_CASE)
    (out / "counts.json").write_text(json.dumps(counts, indent=2) + "\n")
    print_counts(counts, console)
    from seawall.exports.registry import EXPORTERS

    with session_scope(db_url) as session:
        EXPORTERS.get("dfxml")(session, DEMO_CASE, out / "demo.dfxml")
    reports = _reports(out, db_url)
    username, secret = _demo_users(out, db_url)
    console.print(f"\nDatabase:  {out / 'seawall.db'}")
    console.print(f"DFXML:     {out / 'demo.dfxml'}")
    console.print(f"Counts:    {out / 'counts.json'}")
    for report in reports:
        console.print(f"Report:    {report}")
    console.print(f"Web UI:    .venv/bin/seawall serve --db {db_url}  ->  http://127.0.0.1:8000/")
    console.print(f"           log in as {username!r} (password in {secret}); "
                  "a grader 'demo-grader' shares that password")


def _demo_users(out: Path, db_url: str) -> tuple[str, Path]:
    """A supervisor and a grader assigned to the demo case, with a fresh random password
    written to a 0600 file (never a fixed demo password that could leak into production)."""
    import os
    import secrets

    from seawall.accounts.assignments import assign
    from seawall.accounts.users import create_user
    from seawall.store import audit
    from seawall.store.db import session_scope

    password = secrets.token_urlsafe(12)
    secret = out / "demo-password.txt"
    secret.write_text(password + "\n")
    os.chmod(secret, 0o600)
    with session_scope(db_url) as session:
        for name, role in (("demo", "supervisor"), ("demo-grader", "grader")):
            create_user(session, name, password, role)
            audit.record(session, "seawall demo", "admin.user_add", target=name,
                         details={"role": role})
            assign(session, DEMO_CASE, name, actor="seawall demo")
    return "demo", secret


def _reports(out: Path, db_url: str) -> list[Path]:
    from seawall.reports import service as reports

    written = []
    for fmt in ("html", "pdf", "csv", "json"):
        path = out / f"report.{fmt}"
        reports.write_report(db_url, DEMO_CASE, fmt, path)
        written.append(path)
    return written


def register(app: typer.Typer) -> None:
    app.command()(demo)
