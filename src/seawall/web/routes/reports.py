"""The court report of a case, downloaded from the case page: the same writer as
``seawall report`` (same bytes for the same ``as_of``), audited with the digest of what was
handed out."""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

from fastapi import APIRouter, Depends, HTTPException
from fastapi.responses import Response

from seawall.reports import service as reports
from seawall.reports.model import ReportError, build_report, iso, parse_as_of
from seawall.store import audit
from seawall.web import deps

router = APIRouter()

# Download name -> (writer format, which of the written files, suffix, media type).
DOWNLOADS = {
    "html": ("html", 0, ".html", "text/html; charset=utf-8"),
    "pdf": ("pdf", 0, ".pdf", "application/pdf"),
    "json": ("json", 0, ".json", "application/json"),
    "csv": ("csv", 0, ".csv", "text/csv; charset=utf-8"),  # the count table
    "files.csv": ("csv", 1, ".files.csv", "text/csv; charset=utf-8"),  # the drill-down list
}


@router.get("/cases/{case_ref}/report")
def download_report(format: str = "html", as_of: str = "",
                    access: deps.CaseAccess = Depends(deps.case_access)):
    if format not in DOWNLOADS:
        raise HTTPException(400, f"Unknown report format; choose from {', '.join(DOWNLOADS)}.")
    try:
        generated = parse_as_of(as_of.strip() or None)
    except ReportError:
        raise HTTPException(400, "The report date must be an ISO 8601 date and time, e.g. "
                                 "2026-01-31T12:00:00Z.") from None
    fmt, part, suffix, media_type = DOWNLOADS[format]
    case = access.case
    report = build_report(access.db, case.reference, generated)
    with tempfile.TemporaryDirectory(prefix="seawall-report-") as tmp:
        data = reports.write(report, fmt, Path(tmp) / f"report.{fmt}")[part].read_bytes()
    stamp = iso(generated) or ""  # (never empty: generated is a date)
    digest = hashlib.sha256(data).hexdigest()
    audit.record(access.db, access.user.username, "case.report", case=case.reference,
                 target=format, details={"format": format, "as_of": stamp, "sha256": digest})
    access.db.commit()
    name = "".join(c if c.isalnum() or c in "-_." else "_" for c in case.reference)
    filename = f"{name}-report-{stamp.replace(':', '')}{suffix}"
    return Response(data, media_type=media_type, headers={
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Cache-Control": "no-store", "X-Report-As-Of": stamp, "X-Content-SHA256": digest})
