"""CASE/UCO JSON-LD export (CASE 1.x, UCO 1.x literal forms).

Graph:

* ``uco-tool:Tool`` Seawall (with its version) and a ``case-investigation:Investigation``
  for the case;
* per exhibit: the image files as ``uco-observable:File`` (name, size, acquisition hashes),
  a ``case-investigation:InvestigativeAction`` (the scan: start/end time, Seawall as
  instrument, the image files as object) whose result is a
  ``case-investigation:ProvenanceRecord`` (``exhibitNumber`` = exhibit reference) holding
  every file found;
* per file: a ``uco-observable:File`` (an ObservableObject) with a ``FileFacet`` (name, path,
  size, times) and a ``ContentDataFacet`` (size, MIME type, MD5/SHA-1/SHA-256 as
  ``uco-types:Hash``).

Node IRIs are UUIDv5 of the case, exhibit and file key, so re-exporting the same case gives
the same identifiers.  Written as a stream: exhibits can hold millions of files.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from seawall import __version__
from seawall.exports.registry import EXPORTERS
from seawall.scan.listing import iter_files
from seawall.store.models import Exhibit
from seawall.store.queries import case_by_reference

CONTEXT = {
    "kb": "urn:seawall:kb:",
    "case-investigation": "https://ontology.caseontology.org/case/investigation/",
    "uco-action": "https://ontology.unifiedcyberontology.org/uco/action/",
    "uco-core": "https://ontology.unifiedcyberontology.org/uco/core/",
    "uco-observable": "https://ontology.unifiedcyberontology.org/uco/observable/",
    "uco-tool": "https://ontology.unifiedcyberontology.org/uco/tool/",
    "uco-types": "https://ontology.unifiedcyberontology.org/uco/types/",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}
NAMESPACE = uuid.UUID("5ea3a11d-0000-4000-8000-00000000ca5e")
HASH_NAMES = (("md5", "MD5"), ("sha1", "SHA1"), ("sha256", "SHA256"))


def _id(kind: str, *parts: str) -> str:
    return f"kb:{kind}-{uuid.uuid5(NAMESPACE, chr(0).join(parts))}"


def _int(value: int) -> dict:
    return {"@type": "xsd:integer", "@value": int(value)}


def _time(value) -> dict:
    return {"@type": "xsd:dateTime", "@value": value.strftime("%Y-%m-%dT%H:%M:%SZ")}


def _hashes(base: str, values: list[tuple[str, str | None]]) -> list[dict]:
    return [{"@id": _id("Hash", base, name), "@type": "uco-types:Hash",
             "uco-types:hashMethod": name,
             "uco-types:hashValue": {"@type": "xsd:hexBinary", "@value": value.lower()}}
            for name, value in values if value]


def _file_node(node_id: str, name: str, path: str | None, size: int | None,
               hashes: list[tuple[str, str | None]], mime: str | None = None,
               times: dict | None = None) -> dict:
    file_facet: dict[str, object] = {
        "@id": _id("FileFacet", node_id), "@type": "uco-observable:FileFacet",
        "uco-observable:fileName": name, "uco-observable:isDirectory": False}
    if path is not None:
        file_facet["uco-observable:filePath"] = path
    if size is not None:
        file_facet["uco-observable:sizeInBytes"] = _int(size)
    for prop, value in (times or {}).items():
        if value is not None:
            file_facet[f"uco-observable:{prop}"] = _time(value)
    facets = [file_facet]
    content: dict[str, object] = {"@id": _id("ContentDataFacet", node_id),
                                  "@type": "uco-observable:ContentDataFacet"}
    if size is not None:
        content["uco-observable:sizeInBytes"] = _int(size)
    if mime:
        content["uco-observable:mimeType"] = mime
    digests = _hashes(node_id, hashes)
    if digests:
        content["uco-observable:hash"] = digests
    if len(content) > 2:
        facets.append(content)
    return {"@id": node_id, "@type": "uco-observable:File", "uco-core:hasFacet": facets}


@EXPORTERS.named("case")
def export_case(session: Session, case_reference: str, out: Path, **_options) -> int:
    """Write the case as CASE/UCO JSON-LD; returns the number of file objects."""
    case = case_by_reference(session, case_reference)
    exhibits = session.scalars(select(Exhibit).where(Exhibit.case_id == case.id)
                               .order_by(Exhibit.reference)).all()
    tool_id = _id("Tool", "seawall", __version__)
    count = 0
    with open(out, "w", encoding="utf-8") as fh:
        first = True

        def emit(node: dict) -> None:
            nonlocal first
            fh.write(("  " if first else ",\n  ") + json.dumps(node, ensure_ascii=False))
            first = False

        fh.write('{\n"@context": ' + json.dumps(CONTEXT, indent=1) + ',\n"@graph": [\n')
        emit({"@id": tool_id, "@type": "uco-tool:Tool", "uco-core:name": "Seawall",
              "uco-tool:toolType": "Forensic triage", "uco-tool:version": __version__})
        # One pass over the files (ordered by exhibit); only their ids are kept.
        members: dict[str, list[dict]] = {e.reference: [] for e in exhibits}
        for exhibit, rec in iter_files(session, case_reference):
            node_id = _id("File", case_reference, exhibit.reference, rec.file_key)
            full = f"{rec.volume}{rec.path}" if rec.volume else rec.path
            emit(_file_node(
                node_id, full.rstrip("/").rsplit("/", 1)[-1], full, rec.size,
                [(name, getattr(rec, attr)) for attr, name in HASH_NAMES], rec.media_type,
                {"modifiedTime": rec.mtime, "accessedTime": rec.atime,
                 "metadataChangeTime": rec.ctime, "observableCreatedTime": rec.crtime}))
            members[exhibit.reference].append({"@id": node_id})
            count += 1
        records = []
        for exhibit in exhibits:
            ident = exhibit.identity or {}
            ewf = ident.get("ewf") or {}
            images = []
            for i, image in enumerate(ident.get("images") or [], 1):
                node_id = _id("File", case_reference, exhibit.reference, "image", str(i))
                # Acquisition hashes are of the media inside the container, not of the
                # container file, so they go in the exhibit's record, not on this node.
                emit(_file_node(node_id, image.get("name") or "", None, image.get("size"), []))
                images.append({"@id": node_id})
            record_id = _id("ProvenanceRecord", case_reference, exhibit.reference)
            description = f"Exhibit {exhibit.reference} as scanned by Seawall"
            if ewf.get("stored_md5"):
                description += f"; acquisition MD5 {ewf['stored_md5']}"
            if ewf.get("stored_sha1"):
                description += f"; acquisition SHA-1 {ewf['stored_sha1']}"
            record: dict[str, object] = {
                "@id": record_id, "@type": "case-investigation:ProvenanceRecord",
                "case-investigation:exhibitNumber": exhibit.reference,
                "uco-core:description": description}
            if images or members[exhibit.reference]:
                record["uco-core:object"] = images + members[exhibit.reference]
            emit(record)
            action: dict[str, object] = {
                "@id": _id("InvestigativeAction", case_reference, exhibit.reference),
                "@type": "case-investigation:InvestigativeAction",
                "uco-core:name": "scan", "uco-action:instrument": {"@id": tool_id},
                "uco-action:result": [{"@id": record_id}]}
            if images:
                action["uco-action:object"] = images
            if exhibit.scan_started:
                action["uco-action:startTime"] = _time(exhibit.scan_started)
            if exhibit.scan_finished:
                action["uco-action:endTime"] = _time(exhibit.scan_finished)
            emit(action)
            records.append({"@id": record_id})
        investigation: dict[str, object] = {"@id": _id("Investigation", case_reference),
                                            "@type": "case-investigation:Investigation",
                                            "uco-core:name": case_reference}
        if records:
            investigation["uco-core:object"] = records
        emit(investigation)
        fh.write("\n]\n}\n")
    return count

