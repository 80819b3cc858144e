"""Check DFXML exports against the official DFXML schema (vendored in ``schemas/``).

The schema's ``fileobject`` is a closed sequence with no extension point, while Seawall
writes its extra facts (PDQ hash, media type, record kind, NTFS address, read error) as
elements of its own namespace at the end of each ``fileobject`` — where the DFXML working
group's own library (dfxml_python, "externals") writes and reads foreign-namespace
elements, and where DFXML readers skip them.  We keep them there, because a PDQ hash is
worth carrying, and validate in two steps:

1. every element outside the DFXML namespace must be a child of a ``fileobject`` and in the
   Seawall namespace (anything else is reported as an error);
2. those elements are removed, and the rest must be valid against ``dfxml.xsd``.

``seawall export --format dfxml --dialect strict`` writes no extension elements at all, for
consumers that validate strictly; such a file passes step 2 unchanged.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

SCHEMAS = Path(__file__).with_name("schemas")
DFXML_NS = "http://www.forensicswiki.org/wiki/Category:Digital_Forensics_XML"
SEAWALL_NS = "https://github.com/seawall-forensics/seawall/ns/dfxml/1.0"
DC_NS = "http://purl.org/dc/elements/1.1/"


@lru_cache(maxsize=1)
def dfxml_schema():
    from lxml import etree

    # no_network: the imports resolve to the local ref/ files; nothing may be fetched.
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    return etree.XMLSchema(etree.parse(str(SCHEMAS / "dfxml.xsd"), parser))


def validate_dfxml(path: str | Path) -> list[str]:
    """Errors found in the DFXML file at ``path`` (an empty list means valid)."""
    from lxml import etree

    parser = etree.XMLParser(no_network=True, resolve_entities=False, huge_tree=True)
    tree = etree.parse(str(path), parser)
    errors = []
    fileobject = f"{{{DFXML_NS}}}fileobject"
    for el in list(tree.iter()):
        if not isinstance(el.tag, str):
            continue  # comments and processing instructions are not validated
        ns = etree.QName(el).namespace
        if ns in (DFXML_NS, DC_NS):
            continue
        parent = el.getparent()
        if ns == SEAWALL_NS and parent is not None and parent.tag == fileobject:
            parent.remove(el)  # a documented extension (see the module docstring)
        elif parent is None or etree.QName(parent).namespace != SEAWALL_NS:
            errors.append(f"line {el.sourceline}: unexpected element {el.tag}")
    schema = dfxml_schema()
    if not schema.validate(tree):
        errors += [f"line {e.line}: {e.message}" for e in schema.error_log]
    return errors
