"""Project VIC VICS 2.0 export (case form, ``$metadata#Cases``), UK or US dialect.

One ``Media`` per distinct MD5 (as VICS exporters do), with every on-disk instance under
``MediaFiles`` (``SourceID`` = exhibit reference).  Hashes, sizes, MIME type and category;
**never media bytes** (no ``RelativeFilePath``: nothing is packaged with the JSON).

Categories are written with the *case scheme's* code table for the dialect (e.g. the UK
scheme's ``[dialects.UK]`` table), the same table the importer reads, so an export
re-imported as a hash set gives the same categories.  A dialect the case scheme has no
table for is refused: nobody can honestly translate A/B/C into VICS-US codes.

Provenance: ``IsPrecategorized`` is "true" when a hash set decided the category, "false"
for a local grade; ``PrecategorizationSource`` and ``Comments`` name the set versions or
the local grading method and graders.  Known-benign files (e.g. NSRL hits) are left out,
as VICS exporters do; unknown media are included with ``Category: null``.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

from sqlalchemy.orm import Session

from seawall import __version__
from seawall.errors import InvalidInput
from seawall.exports.registry import EXPORTERS
from seawall.hashsets.scheme import KNOWN_BENIGN, SchemeError, case_scheme
from seawall.reports.model import build_report

CONTEXT = "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/{}/$metadata#Cases"
DIALECTS = {"UK": "UK", "US": "US"}
# Fixed namespace: the same case reference always gets the same CaseID.
CASE_NAMESPACE = uuid.UUID("5ea3a11d-0000-4000-8000-000000000001")


class ExportError(InvalidInput, ValueError):
    """The export cannot be written faithfully."""


def _code_table(scheme_name: str, dialect: str) -> tuple[dict[str, int], str]:
    scheme = case_scheme(scheme_name)
    try:
        table = scheme.dialect(dialect)
    except SchemeError as exc:
        raise ExportError(str(exc)) from None
    codes: dict[str, int] = {}
    for code, category in sorted(table.codes.items(), key=lambda kv: int(kv[0])):
        codes.setdefault(category, int(code))  # lowest code wins if several map to one
    return codes, scheme.name


def _vics_time(value: str | None) -> str | None:
    return value.replace("Z", ".0000000Z") if value else None


def _split(path: str) -> tuple[str, str]:
    head, _, name = path.rpartition("/")
    return name, (head + "/") if head else "/"


def build_vics(report: dict, dialect: str = "UK") -> dict:
    """The VICS document for a report (see :func:`seawall.reports.model.build_report`)."""
    key = DIALECTS.get(dialect.upper())
    if key is None:
        raise ExportError(f"unknown VICS dialect {dialect!r} (choose UK or US)")
    codes, scheme_name = _code_table(report["case"]["scheme"], key)
    by_md5: dict[str, list[dict]] = {}
    for f in report["files"]:
        if f["category"] == KNOWN_BENIGN or not f["md5"]:
            continue
        by_md5.setdefault(f["md5"].upper(), []).append(f)
    rank = {c["name"]: i for i, c in enumerate(report["columns"])}
    media = []
    for n, (md5, files) in enumerate(sorted(by_md5.items()), 1):
        # Copies of one MD5 share content, hence category; the most severe wins if not.
        first = min(files, key=lambda f: rank.get(f["category"], len(rank)))
        category = first["category"]
        code = codes.get(category)
        basis = first["basis"]
        if basis["method"] in ("local_grade", "override"):
            lg = basis.get("local_grade") or {}
            source = f"Seawall local grade ({lg.get('method') or 'final'})"
            comment = (f"Local grade {lg.get('category')} by {lg.get('decided_by') or '?'} "
                       f"({lg.get('method') or 'final'}, {lg.get('at') or 'date unknown'})")
            pre = "false"
        elif basis["hash_sets"]:
            sets = "; ".join(f"{s['set']} v{s['version']}" for s in basis["hash_sets"])
            source = f"Seawall hash match: {sets}"
            comment = f"{category} by {basis['method']} match ({', '.join(basis['match_kinds'])})"
            pre = "true"
        else:
            source, comment, pre = None, "not categorised", "false"
        if category not in ("unknown",) and code is None:
            comment += f"; category {category!r} has no {key} code: exported as null"
        item = {
            "MediaID": n,
            "Category": code,
            "MD5": md5,
            "SHA1": (first["sha1"] or "").upper() or None,
            "MediaSize": first["size"],
            "MimeType": first["media_type"],
            "IsPrecategorized": pre,
            "VictimIdentified": "false",
            "OffenderIdentified": "false",
            "IsDistributed": "false",
            "Comments": f"Seawall {scheme_name} category: {category}; {comment}",
        }
        if source:
            item["PrecategorizationSource"] = source
        if (basis["method"] in ("local_grade", "override")
                and (basis.get("local_grade") or {}).get("at")):
            item["DateUpdated"] = _vics_time(basis["local_grade"]["at"])
        alt = []
        if first["sha256"]:
            alt.append({"MD5": md5, "HashName": "SHA256", "HashValue": first["sha256"].upper()})
        if first["pdq"]:
            alt.append({"MD5": md5, "HashName": "PDQ", "HashValue": first["pdq"].upper()})
        if alt:
            item["AlternativeHashes"] = alt
        item["MediaFiles"] = [{
            "MD5": md5,
            "FileName": _split(f["full_path"])[0],
            "FilePath": _split(f["full_path"])[1],
            "Deleted": "false" if f["allocated"] else "true",
            "Unallocated": "false",  # Seawall does not carve: every file has a name
            "SourceID": f["exhibit"],
        } for f in files]
        media.append({k: v for k, v in item.items() if v is not None or k == "Category"})
    return {
        "@odata.context": CONTEXT.format(key),
        "value": [{
            "CaseID": "{" + str(uuid.uuid5(CASE_NAMESPACE, report["case"]["reference"])).upper()
                      + "}",
            "CaseNumber": report["case"]["reference"],
            "SourceApplicationName": "Seawall",
            "SourceApplicationVersion": __version__,
            "TotalMediaFiles": len(media),
            "TotalPrecategorized": sum(m["IsPrecategorized"] == "true" for m in media),
            "Media": media,
        }],
    }


@EXPORTERS.named("vics")
def export_vics(session: Session, case_reference: str, out: Path, dialect: str = "UK",
                **_options) -> int:
    """Write the case as VICS 2.0 JSON; returns the number of Media entries."""
    doc = build_vics(build_report(session, case_reference), dialect)
    Path(out).write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return len(doc["value"][0]["Media"])
