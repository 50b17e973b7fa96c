"""Builds, validates and reads ``MsDtsSrvr.ini.xml``, the SSIS service configuration.

The document is produced here, in Python, from validated parameters, so the exported
review bundle shows exactly the bytes a node will write; the PowerShell side only compares
and writes. The layout follows the document Microsoft ships (declaration, two namespace
declarations, two-space indentation) and is checked against a schema that encodes the
documented structure: ``StopExecutingPackagesOnShutdown`` and ``TopLevelFolders`` holding
``Folder`` elements typed ``SqlServerFolder`` (``Name``, ``ServerName``) or
``FileSystemFolder`` (``Name``, ``StorePath``).

Text is written with LF line endings and no byte-order mark in Python; the node writes it
with ``Set-Content -Encoding UTF8`` (which adds a BOM under Windows PowerShell 5.1, legal
for a document declaring ``utf-8``).
"""

from __future__ import annotations

import threading
from functools import cache
from typing import Final

import msgspec
from lxml import etree

XSD_NS: Final = "http://www.w3.org/2001/XMLSchema"
XSI_NS: Final = "http://www.w3.org/2001/XMLSchema-instance"
XSI_TYPE: Final = f"{{{XSI_NS}}}type"
DECLARATION: Final = '<?xml version="1.0" encoding="utf-8"?>\n'
CONFIG_FILE_NAME: Final = "MsDtsSrvr.ini.xml"
DEFAULT_STORE_PATH: Final = "..\\Packages"

_SCHEMA: Final = b"""<?xml version="1.0" encoding="utf-8"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" elementFormDefault="unqualified">
  <xs:complexType name="Folder" abstract="true">
    <xs:sequence>
      <xs:element name="Name" type="NonEmpty"/>
    </xs:sequence>
  </xs:complexType>
  <xs:complexType name="SqlServerFolder">
    <xs:complexContent>
      <xs:extension base="Folder">
        <xs:sequence>
          <xs:element name="ServerName" type="NonEmpty"/>
        </xs:sequence>
      </xs:extension>
    </xs:complexContent>
  </xs:complexType>
  <xs:complexType name="FileSystemFolder">
    <xs:complexContent>
      <xs:extension base="Folder">
        <xs:sequence>
          <xs:element name="StorePath" type="NonEmpty"/>
        </xs:sequence>
      </xs:extension>
    </xs:complexContent>
  </xs:complexType>
  <xs:simpleType name="NonEmpty">
    <xs:restriction base="xs:string">
      <xs:minLength value="1"/>
    </xs:restriction>
  </xs:simpleType>
  <xs:element name="DtsServiceConfiguration">
    <xs:complexType>
      <xs:sequence>
        <xs:element name="StopExecutingPackagesOnShutdown" type="xs:boolean"/>
        <xs:element name="TopLevelFolders">
          <xs:complexType>
            <xs:sequence>
              <xs:element name="Folder" type="Folder" minOccurs="0" maxOccurs="unbounded"/>
            </xs:sequence>
          </xs:complexType>
        </xs:element>
      </xs:sequence>
    </xs:complexType>
  </xs:element>
</xs:schema>
"""


class ConfigDocumentError(ValueError):
    """A configuration document does not have the documented structure."""


class SqlServerFolder(msgspec.Struct, frozen=True):
    """A root folder showing the msdb packages of one SQL Server instance."""

    name: str
    server_name: str


class FileSystemFolder(msgspec.Struct, frozen=True):
    """A root folder showing the packages stored in a file-system folder."""

    name: str
    store_path: str


class ServiceConfiguration(msgspec.Struct, frozen=True):
    """The content of ``MsDtsSrvr.ini.xml``."""

    sql_folders: tuple[SqlServerFolder, ...]
    file_system_folders: tuple[FileSystemFolder, ...]
    stop_executing_packages_on_shutdown: bool = True


_SCHEMA_LOCK: Final = threading.Lock()
"""Held while the schema is built and while it validates.

libxml2 builds its built-in schema types on first use without a lock: several threads
building a schema at once (a fleet worker planning its first runs in parallel) failed
with ``XMLSchemaParseError`` or crashed the process (a double free). Validation is a few
microseconds, so it is serialised too rather than relying on lxml's validator being safe
to share."""


@cache
def _built_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.fromstring(_SCHEMA))


def _assert_valid(root: etree._Element) -> None:
    """Validate ``root`` against the schema (built on first use), one thread at a time."""
    with _SCHEMA_LOCK:
        _built_schema().assertValid(root)


def _child(parent: etree._Element, tag: str, text: str) -> None:
    element = etree.SubElement(parent, tag)
    element.text = text


def render_config(config: ServiceConfiguration) -> str:
    """The document's text; validated before it is returned."""
    root = etree.Element("DtsServiceConfiguration", nsmap={"xsd": XSD_NS, "xsi": XSI_NS})
    _child(
        root,
        "StopExecutingPackagesOnShutdown",
        "true" if config.stop_executing_packages_on_shutdown else "false",
    )
    folders = etree.SubElement(root, "TopLevelFolders")
    for sql in config.sql_folders:
        folder = etree.SubElement(folders, "Folder", {XSI_TYPE: "SqlServerFolder"})
        _child(folder, "Name", sql.name)
        _child(folder, "ServerName", sql.server_name)
    for fs in config.file_system_folders:
        folder = etree.SubElement(folders, "Folder", {XSI_TYPE: "FileSystemFolder"})
        _child(folder, "Name", fs.name)
        _child(folder, "StorePath", fs.store_path)
    etree.indent(root, space="  ")
    text = DECLARATION + etree.tostring(root, encoding="unicode") + "\n"
    validate_config(text)
    return text


def _parse(text: str) -> etree._Element:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, remove_blank_text=True)
    try:
        return etree.fromstring(text.encode("utf-8"), parser)
    except etree.XMLSyntaxError as exc:
        raise ConfigDocumentError(f"{CONFIG_FILE_NAME} is not well-formed XML: {exc}") from exc


def validate_config(text: str) -> None:
    """Raise :class:`ConfigDocumentError` unless ``text`` has the documented structure."""
    if not text.startswith(DECLARATION):
        raise ConfigDocumentError(
            f"{CONFIG_FILE_NAME} must start with the declaration {DECLARATION.strip()}"
        )
    root = _parse(text)
    try:
        _assert_valid(root)
    except etree.DocumentInvalid as exc:
        raise ConfigDocumentError(f"{CONFIG_FILE_NAME} does not match its schema: {exc}") from exc


def parse_config(text: str) -> ServiceConfiguration:
    """Read a document back into its parts (used to prove that rendering round-trips)."""
    validate_config(text)
    root = _parse(text)
    sql: list[SqlServerFolder] = []
    fs: list[FileSystemFolder] = []
    for folder in root.iterfind("TopLevelFolders/Folder"):
        kind = folder.get(XSI_TYPE)
        name = folder.findtext("Name") or ""
        if kind == "SqlServerFolder":
            sql.append(SqlServerFolder(name=name, server_name=folder.findtext("ServerName") or ""))
        else:
            fs.append(FileSystemFolder(name=name, store_path=folder.findtext("StorePath") or ""))
    stop = root.findtext("StopExecutingPackagesOnShutdown") or ""
    return ServiceConfiguration(
        sql_folders=tuple(sql),
        file_system_folders=tuple(fs),
        stop_executing_packages_on_shutdown=stop.strip() in ("true", "1"),
    )
