"""Exports and reports of names that evidence really holds: CR, control and bidi characters,
symbolic links, case references with "&" and quotes."""

from __future__ import annotations

import copy
import csv
import re

import pytest
import tinycss2
from lxml import etree

from seawall.exports.dfxml import DFXML_NS, fileobject_xml
from seawall.reports.html import render
from seawall.reports.model import build_report
from seawall.reports.service import write
from seawall.store.db import session_scope
from seawall.store.models import FileRecord
from tests.reports.conftest import AS_OF, CASE

AWKWARD = "/DCIM/cr\rret, \"q\"\nnew\tl\x7fine\x01\u202egpj.exe"


@pytest.fixture()
def report(built) -> dict:
    with session_scope(built.db_url) as s:
        return copy.deepcopy(build_report(s, CASE, AS_OF))


def _fileobject(**fields) -> etree._Element:
    rec = FileRecord(id=1, volume="", allocated=True, **{"kind": "file", **fields})
    doc = f'<dfxml xmlns="{DFXML_NS}" version="1.1.0">{fileobject_xml(rec, False)}</dfxml>'
    return etree.fromstring(doc.encode()).find(f"{{{DFXML_NS}}}fileobject")


def test_dfxml_filename_keeps_carriage_return():
    fo = _fileobject(path="/cr\rret.jpg")
    assert fo.findtext(f"{{{DFXML_NS}}}filename") == "/cr\rret.jpg"


def test_dfxml_name_type_of_links_and_special_records():
    def name_type(kind):
        return _fileobject(path="/x", kind=kind).findtext(f"{{{DFXML_NS}}}name_type")

    assert name_type("file") == name_type("ads") == name_type("archive_member") == "r"
    assert name_type("symlink") == "l"
    assert name_type("special") == "-"  # unreadable folder, FIFO, device: type unknown


def test_csv_drill_down_survives_cr_newline_quotes(report, tmp_path):
    report["files"][0]["full_path"] = AWKWARD
    report["files"][1]["full_path"] = "/DCIM/cr\rret.jpg"  # a lone CR: nothing else to quote
    written = write(report, "csv", tmp_path / "r.csv")
    with open(written[1], newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["full_path"] for r in rows] == [f["full_path"] for f in report["files"]]


def test_html_shows_invisible_characters_in_names(report):
    graded = next(f for f in report["files"] if f["category"] == "A")
    graded["full_path"] = AWKWARD
    html = render(report)
    assert "/DCIM/cr\\x0dret, &#34;q&#34;\\x0anew\\x09l\\x7fine\\x01\\u202egpj.exe" in html
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f\u202e]", html)


def test_pdf_page_header_shows_case_reference_as_is(report):
    reference = "R v Smith & O'Neil \"x\" \\ </style>"
    report["case"]["reference"] = reference
    html = render(report)
    style = html.split("<style>", 1)[1].split("</style>", 1)[0]
    assert style.count("@top-right") == 1  # the reference cannot close the style element
    rule = style.split("@top-right", 1)[1]
    tokens = tinycss2.parse_component_value_list(rule.split("content:", 1)[1])
    assert next(t for t in tokens if t.type == "string").value == f"Case {reference}"
