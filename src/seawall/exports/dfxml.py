"""DFXML export: one ``fileobject`` per file record, streamed (exhibits hold millions).

Element order follows the DFXML schema (``fileobject`` children are a strict sequence).
PDQ hashes live in the Seawall namespace, after the DFXML children of each ``fileobject``;
DFXML readers (dfxml_python, case-dfxml) skip elements of foreign namespaces.  The official
schema has no extension point there, so :mod:`seawall.exports.schema` validates after
removing them; ``--dialect strict`` writes no extension elements at all.
"""

from __future__ import annotations

import getpass
import platform
import re
import socket
import sys
from datetime import UTC, datetime
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from sqlalchemy import select
from sqlalchemy.orm import Session

from seawall import __version__
from seawall.exports.registry import EXPORTERS
from seawall.scan.listing import iter_files
from seawall.store.models import Exhibit, FileRecord
from seawall.store.queries import case_by_reference

DFXML_NS = "http://www.forensicswiki.org/wiki/Category:Digital_Forensics_XML"
SEAWALL_NS = "https://github.com/seawall-forensics/seawall/ns/dfxml/1.0"
DFXML_VERSION = "1.1.0"
# XML 1.0 cannot carry most control characters even as references; names with them (possible
# in evidence) are written with \xNN escapes instead.
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


# DFXML name_type of a record kind; files, streams and archive members are regular ("r").
# "special" is an unreadable folder or a FIFO/socket/device: type unknown to the export ("-").
_NAME_TYPES = {"symlink": "l", "special": "-"}


def _text(value: object) -> str:
    # A raw CR would reach readers as LF (XML end-of-line handling); a reference keeps it.
    return escape(_INVALID_XML.sub(lambda m: f"\\x{ord(m.group()):02x}", str(value)),
                  {"\r": "&#13;"})


def _time(value: datetime | None) -> str | None:
    return value.strftime("%Y-%m-%dT%H:%M:%S") + "Z" if value else None


def _inode_number(inode: str | None) -> str | None:
    """DFXML wants a non-negative integer; NTFS "64-128-4" style addresses keep the entry."""
    if not inode:
        return None
    match = re.match(r"\d+", inode)
    return match.group() if match else None


def _partition_number(volume: str) -> str | None:
    match = re.fullmatch(r"p(\d+)", volume or "")
    return match.group(1) if match and int(match.group(1)) > 0 else None


def fileobject_xml(rec: FileRecord, extensions: bool = True, exhibit: str | None = None) -> str:
    parts = ["  <fileobject>"]
    full_path = f"{rec.volume}{rec.path}" if rec.volume else rec.path
    parts.append(f"    <filename>{_text(full_path)}</filename>")
    partition = _partition_number(rec.volume)
    if partition:
        parts.append(f"    <partition>{partition}</partition>")
    parts.append(f"    <id>{rec.id}</id>")
    parts.append(f"    <name_type>{_NAME_TYPES.get(rec.kind, 'r')}</name_type>")
    if rec.size is not None:
        parts.append(f"    <filesize>{rec.size}</filesize>")
    parts.append(f"    <alloc>{1 if rec.allocated else 0}</alloc>")
    inode = _inode_number(rec.inode)
    if inode is not None:
        parts.append(f"    <inode>{inode}</inode>")
    for name in ("mtime", "ctime", "atime", "crtime"):
        value = _time(getattr(rec, name))
        if value:
            parts.append(f"    <{name}>{value}</{name}>")
    for kind, value in (("md5", rec.md5), ("sha1", rec.sha1), ("sha256", rec.sha256)):
        if value:
            parts.append(f'    <hashdigest type="{kind}">{value}</hashdigest>')
    extras = []
    if exhibit is not None:  # a case may hold several exhibits; filename is per exhibit
        extras.append(f"    <seawall:exhibit>{_text(exhibit)}</seawall:exhibit>")
    if rec.media_type:
        extras.append(f"    <seawall:media_type>{_text(rec.media_type)}</seawall:media_type>")
    if rec.pdq:
        extras.append(
            f"    <seawall:pdq quality={quoteattr(str(rec.pdq_quality))} "
            f"method={quoteattr(rec.pdq_method or '')}>{rec.pdq}</seawall:pdq>")
    if rec.kind != "file":
        extras.append(f"    <seawall:kind>{_text(rec.kind)}</seawall:kind>")
    if rec.inode and inode != rec.inode:
        extras.append(f"    <seawall:address>{_text(rec.inode)}</seawall:address>")
    if rec.error:
        extras.append(f"    <seawall:error>{_text(rec.error)}</seawall:error>")
    if extensions:
        parts.extend(extras)
    parts.append("  </fileobject>")
    return "\n".join(parts) + "\n"


@EXPORTERS.named("dfxml")
def export_dfxml(session: Session, case_reference: str, out: Path, dialect: str | None = None,
                 **_options) -> int:
    out = Path(out)
    extensions = (dialect or "").lower() != "strict"
    count = 0
    with open(out, "w", encoding="utf-8") as fh:
        fh.write('<?xml version="1.0" encoding="UTF-8"?>\n')
        fh.write(f'<dfxml xmlns="{DFXML_NS}" xmlns:dc="http://purl.org/dc/elements/1.1/" '
                 f'xmlns:seawall="{SEAWALL_NS}" version="{DFXML_VERSION}">\n')
        fh.write("  <metadata>\n    <dc:type>File system walk with hashes</dc:type>\n"
                 "  </metadata>\n")
        fh.write("  <creator>\n    <program>seawall</program>\n"
                 f"    <version>{__version__}</version>\n    <execution_environment>\n"
                 f"      <os_sysname>{_text(platform.system())}</os_sysname>\n"
                 f"      <os_release>{_text(platform.release())}</os_release>\n"
                 f"      <host>{_text(socket.gethostname())}</host>\n"
                 f"      <arch>{_text(platform.machine())}</arch>\n"
                 f"      <command_line>{_text(' '.join(sys.argv))}</command_line>\n"
                 f"      <username>{_text(getpass.getuser())}</username>\n"
                 f"      <start_time>{datetime.now(UTC).strftime('%Y-%m-%dT%H:%M:%SZ')}"
                 "</start_time>\n    </execution_environment>\n  </creator>\n")
        case = case_by_reference(session, case_reference)
        exhibits = session.scalars(select(Exhibit).where(Exhibit.case_id == case.id)
                                   .order_by(Exhibit.reference)).all()
        fh.write("  <source>\n")
        for exhibit in exhibits:
            for name in exhibit.identity.get("paths", []):
                fh.write(f"    <image_filename>{_text(name)}</image_filename>\n")
        fh.write("  </source>\n")
        for exhibit, rec in iter_files(session, case_reference):
            fh.write(fileobject_xml(rec, extensions, exhibit.reference))
            count += 1
        fh.write("</dfxml>\n")
    return count
