"""``seawall report`` (category report) and ``seawall validate`` (method validation record)."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.table import Table

from seawall.cli.common import CaseOption, DbOption, audit_cli, console, fail


def report(
    case: str = CaseOption,
    fmt: str = typer.Option(..., "--format", help="html, pdf, csv or json."),
    out: Path = typer.Option(..., "--out", help="Output file (csv also writes "
                             "<name>.files.csv, the drill-down list)."),
    as_of: str = typer.Option(None, "--as-of", help="Report date, ISO 8601 (e.g. "
                              "2026-01-31T12:00:00Z); same data + same --as-of give the same "
                              "report.  Default: now."),
    db: str = DbOption,
) -> None:
    """Write the category-count report of a case (Streamlined Forensic Report style)."""
    from seawall.reports.service import FORMATS, write_report

    if fmt not in FORMATS:
        fail(f"--format must be one of {', '.join(FORMATS)}")
    written = write_report(db, case, fmt, out, as_of=as_of)
    audit_cli(db, "case.report", case=case, target=str(out.absolute()),
              details={"format": fmt, "as_of": as_of, "files": [str(p) for p in written]})
    for path in written:
        console.print(f"wrote {path}")


def validate(
    out: Path = typer.Option(Path("seawall-validation.json"), "--out",
                             help="Where to write the validation record (JSON)."),
    data: Path = typer.Option(None, "--data", help="Reference set (default: the bundled "
                              "data/validation)."),
    as_of: str = typer.Option(None, "--as-of", help="Date to put on the record (default: now)."),
) -> None:
    """Validate Seawall against reference results from The Sleuth Kit; non-zero on any
    difference."""
    from seawall.reports.validation import run_validation

    record = run_validation(data, as_of=as_of)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    table = Table(title=f"Seawall {record['tool_versions']['seawall']} method validation")
    for col in ("case", "expected", "found", "passed", "failed", "media hash", "result"):
        table.add_column(col)
    for c in record["cases"]:
        verdict = "[green]pass[/green]" if c["result"] == "pass" else "[bold red]FAIL[/bold red]"
        table.add_row(c["id"], str(c.get("expected_entries", "-")),
                      str(c.get("found_entries", "-")), str(c.get("passed", "-")),
                      str(c.get("failed", "-")), (c.get("media") or {}).get("result", "-"),
                      verdict)
    console.print(table)
    console.print(f"validation record: {out}")
    if record["result"] != "PASS":
        console.print("[bold red]VALIDATION FAILED[/bold red]: Seawall's results differ from the "
                      "reference. Do not rely on this installation until this is resolved.")
        for c in record["cases"]:
            if c["result"] != "pass":
                console.print(f"[red]{c['id']}[/red]: {c.get('summary', '')}")
                for e in c.get("entries", []):
                    if e["result"] != "pass":
                        console.print(f"  {e['path']}: {e['note']}")
                if (c.get("media") or {}).get("result") == "FAIL":
                    console.print(f"  media MD5 {c['media']['media_md5']}, expected "
                                  f"{c['media']['expected_md5']} ({c['media']['verdict']})")
        raise typer.Exit(1)
    console.print("[bold green]PASS[/bold green]: every case matches the reference.")


def register(app: typer.Typer) -> None:
    app.command()(report)
    app.command()(validate)
