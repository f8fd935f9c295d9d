"""Parse uploaded XML without the network and without entity expansion.

A BPMN or DMN file never needs a DTD, so any document that declares one is refused outright:
that closes XXE (external entities), billion-laughs (nested internal entities) and DTD fetching
in one rule, before the document reaches SpiffWorkflow's own (unsafe by default) parser.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from typing import Any

from lxml import etree

MAX_XML_BYTES = 5 * 1024 * 1024


@dataclass
class XmlError(Exception):
    """The document is not acceptable XML; ``line`` is 1-based when known."""

    template: str
    line: int | None = None
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def message(self) -> str:
        return self.template % self.params if self.params else self.template

    def __str__(self) -> str:
        return self.message


def parse_xml(content: bytes | str) -> etree._ElementTree:
    """Parse ``content`` safely and return the tree.

    :raises XmlError: for oversized input, a DOCTYPE, or malformed XML.
    """
    data = content.encode("utf-8") if isinstance(content, str) else content
    if len(data) > MAX_XML_BYTES:
        raise XmlError("The file is larger than %(mb)s MB", params={"mb": MAX_XML_BYTES // (1024 * 1024)})
    head = data[:4096].lower()
    if b"<!doctype" in head or b"<!entity" in data.lower():
        raise XmlError("DOCTYPE and ENTITY declarations are not allowed", _line_of(data, b"<!"))
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                             huge_tree=False, remove_comments=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as error:
        line = error.position[0] if error.position else error.lineno
        raise XmlError("Malformed XML: %(error)s", line, {"error": error.msg}) from None
    tree = root.getroottree()
    if tree.docinfo.internalDTD is not None or tree.docinfo.doctype:
        raise XmlError("DOCTYPE declarations are not allowed", 1)
    return tree


def _line_of(data: bytes, needle: bytes) -> int | None:
    index = data.lower().find(needle.lower())
    return data.count(b"\n", 0, index) + 1 if index >= 0 else None
