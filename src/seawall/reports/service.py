"""Write a category report as HTML, PDF, CSV or JSON.

* JSON: the whole report (:func:`seawall.reports.model.build_report`), including the
  drill-down list of every counted file under ``"files"``.
* CSV: the count table (one row per exhibit, total, category and still/moving, with its
  basis) at ``PATH``, and the drill-down list at ``PATH`` with ``.files.csv`` as suffix.
* HTML and PDF: one Jinja2 template (``templates/report.html``); the PDF is WeasyPrint's
  rendering of the very same HTML.

Same database + same ``as_of`` give byte-identical CSV/JSON/HTML and a PDF with the same
text: nothing reads the clock when ``as_of`` is given, and every list is sorted.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from seawall.reports.model import METHOD_LABELS, build_report

FORMATS = ("html", "pdf", "csv", "json")
DRILL_FIELDS = ["exhibit", "full_path", "inode", "allocated", "kind", "size", "motion",
                "category", "counted_as", "method", "hash_sets", "match_kinds", "pdq_distance",
                "local_grade", "local_grade_method", "local_grade_by", "override_reason",
                "overridden", "indicative", "notes", "md5",
                "sha1", "sha256", "media_type", "error"]
COUNT_FIELDS = ["scope", "category", "label", "motion", "count", "files", "by_override",
                "by_local_grade",
                "by_exact", "by_pdq", "by_vpdq", "by_none", "hash_sets"]


def _sets(items: list[dict]) -> str:
    return "; ".join(f"{i['set']} v{i['version']}" for i in items)


def drill_rows(report: dict) -> list[dict]:
    """The drill-down list, one flat row per counted file (for CSV)."""
    out = []
    for f in report["files"]:
        b = f["basis"]
        lg = b.get("local_grade") or {}
        out.append({
            **{k: f.get(k) for k in ("exhibit", "full_path", "inode", "kind", "size", "motion",
                                     "category", "counted_as", "md5", "sha1", "sha256",
                                     "media_type", "error")},
            "allocated": int(f["allocated"]),
            "method": b["method"], "hash_sets": _sets(b["hash_sets"]),
            "match_kinds": " ".join(b["match_kinds"]), "pdq_distance": b["pdq_distance"],
            "local_grade": lg.get("category"), "local_grade_method": lg.get("method"),
            "local_grade_by": lg.get("decided_by"),
            "override_reason": lg.get("reason") if b["method"] == "override" else None,
            "overridden": "; ".join(f"{m['set']} v{m['version']} {m['kind']} {m['category']}"
                                    for m in b.get("overridden", [])),
            "indicative": "; ".join(f"{i['set']} v{i['version']} {i['kind']} {i['category']}"
                                    for i in b["indicative"]),
            "notes": "; ".join(b.get("notes", [])),
        })
    return out


def count_rows(report: dict) -> list[dict]:
    """The count table, one row per scope x category x motion (for CSV)."""
    labels = {c["name"]: c["label"] for c in report["columns"]}
    scopes = [(f"exhibit:{e}", report["counts"]["exhibits"][e], report["basis"]["exhibits"][e])
              for e in report["counts"]["exhibits"]]
    scopes.append(("total", report["counts"]["total"], report["basis"]["total"]))
    rows = []
    for scope, counts, basis in scopes:
        for column, cell in counts.items():
            for motion in ("still", "moving"):
                b = basis[column][motion]
                rows.append({
                    "scope": scope, "category": column, "label": labels.get(column, column),
                    "motion": motion, "count": cell[motion], "files": b["files"],
                    **{f"by_{m}": b["methods"][m] for m in METHOD_LABELS},
                    "hash_sets": _sets(b["hash_sets"]),
                })
    return rows


def _csv(rows: list[dict], fields: list[str]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=fields, lineterminator="\n", extrasaction="ignore")
    # With "\n" as line end, csv leaves a field holding a lone CR (possible in a file name)
    # unquoted, and readers then split the row there: such rows are written fully quoted.
    quoted = csv.DictWriter(buf, fieldnames=fields, lineterminator="\n", extrasaction="ignore",
                            quoting=csv.QUOTE_ALL)
    writer.writeheader()
    for row in rows:
        values = {k: "" if row.get(k) is None else row.get(k) for k in fields}
        has_cr = any(isinstance(v, str) and "\r" in v for v in values.values())
        (quoted if has_cr else writer).writerow(values)
    return buf.getvalue()


def render_json(report: dict) -> str:
    return json.dumps(report, indent=2, ensure_ascii=False) + "\n"


def render_html(report: dict) -> str:
    from seawall.reports.html import render

    return render(report)


def render_pdf(report: dict, path: Path) -> None:
    from weasyprint import HTML

    HTML(string=render_html(report), base_url=str(path.parent)).write_pdf(str(path))


def write(report: dict, fmt: str, path: str | Path) -> list[Path]:
    """Write ``report`` as ``fmt`` to ``path``; returns every file written."""
    path = Path(path)
    if fmt not in FORMATS:
        raise ValueError(f"unknown report format {fmt!r} (choose from {', '.join(FORMATS)})")
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "json":
        path.write_text(render_json(report), encoding="utf-8")
        return [path]
    if fmt == "csv":
        files = path.with_name(path.stem + ".files.csv")
        path.write_text(_csv(count_rows(report), COUNT_FIELDS), encoding="utf-8")
        files.write_text(_csv(drill_rows(report), DRILL_FIELDS), encoding="utf-8")
        return [path, files]
    if fmt == "html":
        path.write_text(render_html(report), encoding="utf-8")
        return [path]
    render_pdf(report, path)
    return [path]


def write_report(db_url: str | None, case_reference: str, fmt: str, path: str | Path,
                 as_of: str | None = None) -> list[Path]:
    """Build the report of ``case_reference`` from ``db_url`` and write it (used by the CLI
    and ``seawall demo``)."""
    from seawall.store.db import session_scope

    with session_scope(db_url) as session:
        report = build_report(session, case_reference, as_of)
    return write(report, fmt, path)
