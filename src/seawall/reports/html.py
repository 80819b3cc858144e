"""HTML rendering of a report (also the input of the PDF): one Jinja2 template.

The method statement and limitations are text kept here, next to the code whose behaviour
they describe, so a change of matching rules is reviewed together with its wording.
"""

from __future__ import annotations

import re
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from seawall.display import finalize, visible
from seawall.reports.chart import category_chart
from seawall.reports.model import METHOD_LABELS

TEMPLATES = Path(__file__).with_name("templates")
APPENDIX_LIMIT = 500  # rows of graded files printed; the CSV/JSON drill-down lists them all


def method_statement(report: dict) -> list[str]:
    m = report["matching"]
    v = m["vpdq"]
    return [
        "Each exhibit was read by Seawall (version {}) through dfVFS and The Sleuth Kit "
        "(pytsk3), without modifying it. Every file, including deleted files whose content "
        "could be recovered, alternate data streams and members of archives, was listed and "
        "its content hashed with MD5, SHA-1 and SHA-256.".format(report["report"]["tool_version"]),
        "Pictures were hashed with PDQ (Meta), together with the PDQ hashes of their seven "
        "rotations and mirror images; videos were hashed frame by frame with vPDQ.",
        "Exact matching: the MD5, SHA-1 and SHA-256 of every file were looked up in every "
        "current version of the hash sets listed in section 6.",
        f"Near-duplicate matching (PDQ): pictures whose PDQ quality is at least "
        f"{m['pdq_min_quality']} were compared with every PDQ entry of the hash sets; a match "
        "is a Hamming distance of at most the set's PDQ distance (section 6) out of 256 bits "
        "for any of the eight orientations. Negative sets list known false positives (such "
        "as flat or generic pictures): their matches never count, and a file matching one "
        "is not categorised by any PDQ match (exact matches still count); the file list "
        "says so.",
        f"Video matching (vPDQ): a video matches a known video when at least "
        f"{v['query_pct']:g}% of its distinct frames (quality at least {v['min_quality']}) are "
        f"within {v['radius']} bits of frames of the known video.",
        "Category of a file: a final local grade (agreed by the required number of trained "
        "graders, resolved by a supervisor, or a supervisor's override of a hash-set "
        "category, listed with its reason) takes precedence; otherwise the most severe "
        "category among the matches from trusted hash sets whose category scheme is the "
        "case's scheme. Matches from untrusted sets or other schemes are shown as indicative "
        "only and never decide a category. A file is known benign only when every trusted "
        "match says so and none says otherwise.",
        "Counting: only pictures (still images) and videos (moving images) are counted. Each "
        "media file is counted in exactly one column. Files with identical content (same "
        "SHA-256, else SHA-1, else MD5) are counted once per exhibit, and once in the case "
        "total even when several exhibits hold them; if copies differ in category the most "
        "severe one is counted.",
        "Every figure in this report was reconciled, at the time of writing, with the list of "
        "files it was computed from (the drill-down list in the CSV/JSON report).",
    ]


def limitations(report: dict) -> list[str]:
    out = [
        "Hash matching identifies only material already known to the hash sets used; a file "
        "absent from them is reported as unknown, not as innocuous. \"Unknown\" means not yet "
        "graded; it is not a finding that the file was reviewed and cleared.",
        "PDQ and vPDQ are similarity measures: a near-duplicate match indicates a visually "
        "similar picture or video, and is reported separately from exact matches so that it "
        "can be confirmed by viewing.",
        "Categories from hash sets are those assigned by the organisations that maintain the "
        "sets; indecency is a question of fact for the tribunal, not decided by this tool.",
        "Counts cover the data that could be read. Files recorded with errors are listed in "
        "the drill-down; overwritten or unrecoverable deleted content cannot be counted.",
        "Pictures embedded in other files (documents, databases, unallocated space) are not "
        "carved or counted unless they were found as files or archive members.",
    ]
    if any(e["verification"]["result"] == "not performed during the scan"
           for e in report["exhibits"]):
        out.append("The embedded acquisition hash of one or more image files was not verified "
                   "during the scan (see section 2); their integrity rests on the acquisition "
                   "record.")
    for hs in report["hash_sets"]:
        if hs["dialect"] == "UK":
            out.append("VICS UK category codes are not published; the code table used to read "
                       f"hash set \"{hs['set']}\" is a configured assumption of the {hs['scheme']}"
                       " scheme and should be confirmed with the supplier.")
            break
    return out


def _fmt_int(value) -> str:
    return "" if value is None else f"{value:,}"


def _css_string(value) -> Markup:
    """``value`` for inside a double-quoted CSS string in <style>: CSS escapes, because
    HTML character references are not decoded there (the page header would show "&amp;")."""
    return Markup(re.sub(r"""["'\\<>&]""", lambda m: f"\\{ord(m.group()):x} ",
                         visible(str(value))))


def render(report: dict) -> str:
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)),
                      autoescape=select_autoescape(["html"]), undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
                      finalize=finalize)
    env.filters["n"] = _fmt_int
    env.filters["css_string"] = _css_string
    columns = report["columns"]
    graded = [c for c in columns if c["graded"] and c["name"] != "uncategorised"]
    other = [c for c in columns if c not in graded]
    graded_names = {c["name"] for c in graded}
    appendix = [f for f in report["files"] if f["category"] in graded_names]
    return env.get_template("report.html").render(
        r=report, graded=graded, other=other, methods=METHOD_LABELS,
        chart=category_chart(columns, report["counts"]["total"]),
        method_statement=method_statement(report), limitations=limitations(report),
        appendix=appendix[:APPENDIX_LIMIT], appendix_total=len(appendix),
        appendix_limit=APPENDIX_LIMIT)
