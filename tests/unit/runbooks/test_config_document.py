"""MsDtsSrvr.ini.xml documents: Microsoft's layout, schema-valid, round-tripping."""

from __future__ import annotations

import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from psrunbook.runbooks._ssis.config import (
    ConfigDocumentError,
    FileSystemFolder,
    ServiceConfiguration,
    SqlServerFolder,
    parse_config,
    render_config,
    validate_config,
)
from psrunbook.runbooks._ssis.versions import config_facts
from psrunbook.runbooks.ssis_clustered import SsisClusteredParameters
from psrunbook.runbooks.ssis_clustered import config_document as clustered_document
from psrunbook.runbooks.ssis_standalone import SsisStandaloneParameters
from psrunbook.runbooks.ssis_standalone import config_document as standalone_document

CLUSTERED = {
    "sql_version": "2019",
    "group": "SQL Server (INST1)",
    "sql_resource": "SQL Server (INST1)",
    "disk_resource": "Cluster Disk 1",
    "shared_folder": "S:\\SSIS",
    "virtual_server": "SQLVS1\\INST1",
    "package_principals": ["NT SERVICE\\MsDtsServer150"],
}


def test_default_document_is_byte_identical_to_microsofts() -> None:
    """The installed default (local default instance, ..\\Packages) renders exactly as shipped."""
    config = ServiceConfiguration(
        sql_folders=(SqlServerFolder("MSDB", "."),),
        file_system_folders=(FileSystemFolder("File System", "..\\Packages"),),
    )
    assert config_facts()["default_document_from_docs"] == render_config(config)


def test_clustered_document_matches_the_reviewed_example() -> None:
    """A named clustered instance gives ServerName SERVER\\INSTANCE and the shared store path."""
    params = SsisClusteredParameters.model_validate(CLUSTERED)
    expected = config_facts()["own_example_clustered_on_shared_disk"]
    assert expected == clustered_document(params)


def test_standalone_document_lists_every_instance() -> None:
    """Two instances give two SqlServerFolders named after them, then the File System folder."""
    params = SsisStandaloneParameters.model_validate(
        {"sql_version": "2019", "instances": ["SQLVS1", "SQLVS2\\INST2"]}
    )
    expected = config_facts()["own_example_standalone_HA_two_instances"]
    assert expected == standalone_document(params)


def test_named_instance_is_written_server_backslash_instance() -> None:
    """The ServerName element holds SERVER\\INSTANCE with a single backslash."""
    params = SsisStandaloneParameters.model_validate(
        {"sql_version": "2016", "instances": [".\\INST2"]}
    )
    root = etree.fromstring(standalone_document(params).encode("utf-8"))
    assert [".\\INST2"] == [e.text for e in root.iter("ServerName")]


def test_stop_executing_packages_is_written_as_xml_boolean() -> None:
    """StopExecutingPackagesOnShutdown false is written as the text false."""
    params = SsisClusteredParameters.model_validate(
        CLUSTERED | {"stop_executing_packages_on_shutdown": False}
    )
    root = etree.fromstring(clustered_document(params).encode("utf-8"))
    assert "false" == root.findtext("StopExecutingPackagesOnShutdown")


def test_markup_characters_are_escaped() -> None:
    """& and < in a store path are escaped in the text and read back unchanged."""
    config = ServiceConfiguration(
        sql_folders=(SqlServerFolder("MSDB", "SQLVS01"),),
        file_system_folders=(FileSystemFolder("File System", "S:\\R&D\\<new>\\Packages"),),
    )
    text = render_config(config)
    assert "<StorePath>S:\\R&amp;D\\&lt;new&gt;\\Packages</StorePath>" in text
    assert config == parse_config(text)


_TEXT = st.text(
    alphabet=st.characters(
        codec="utf-8",
        exclude_categories=("Cc", "Cs", "Zl", "Zp"),
        exclude_characters="\ufffe\uffff",
    ),
    min_size=1,
    max_size=30,
).filter(lambda s: s.strip() == s and s.strip() != "")


@settings(deadline=None)
@given(
    sql=st.lists(st.tuples(_TEXT, _TEXT), min_size=0, max_size=4),
    stores=st.lists(st.tuples(_TEXT, _TEXT), min_size=0, max_size=2),
    stop=st.booleans(),
)
def test_documents_round_trip(
    sql: list[tuple[str, str]], stores: list[tuple[str, str]], stop: bool
) -> None:
    """Any folders render to a schema-valid document that parses back to the same content."""
    config = ServiceConfiguration(
        sql_folders=tuple(SqlServerFolder(n, s) for n, s in sql),
        file_system_folders=tuple(FileSystemFolder(n, p) for n, p in stores),
        stop_executing_packages_on_shutdown=stop,
    )
    assert config == parse_config(render_config(config))


@pytest.mark.parametrize(
    ("broken", "why"),
    [
        ("<DtsServiceConfiguration/>", "declaration"),
        ('<?xml version="1.0" encoding="utf-8"?>\n<DtsServiceConfiguration>', "well-formed"),
        (
            '<?xml version="1.0" encoding="utf-8"?>\n<DtsServiceConfiguration>'
            "<StopExecutingPackagesOnShutdown>yes</StopExecutingPackagesOnShutdown>"
            "<TopLevelFolders/></DtsServiceConfiguration>",
            "schema",
        ),
        (
            '<?xml version="1.0" encoding="utf-8"?>\n<DtsServiceConfiguration '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            "<StopExecutingPackagesOnShutdown>true</StopExecutingPackagesOnShutdown>"
            '<TopLevelFolders><Folder xsi:type="SqlServerFolder"><Name>MSDB</Name></Folder>'
            "</TopLevelFolders></DtsServiceConfiguration>",
            "schema",
        ),
        (
            '<?xml version="1.0" encoding="utf-8"?>\n<DtsServiceConfiguration '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            "<StopExecutingPackagesOnShutdown>true</StopExecutingPackagesOnShutdown>"
            '<TopLevelFolders><Folder xsi:type="WebFolder"><Name>X</Name></Folder>'
            "</TopLevelFolders></DtsServiceConfiguration>",
            "schema",
        ),
    ],
    ids=["no-declaration", "not-well-formed", "bad-boolean", "no-server-name", "unknown-type"],
)
def test_malformed_documents_are_refused(broken: str, why: str) -> None:
    """Validation names what is wrong with a document that lacks the documented structure."""
    with pytest.raises(ConfigDocumentError, match=why):
        validate_config(broken)


def test_every_rendered_document_argument_is_schema_valid() -> None:
    """The Document values passed to scripts are valid documents (checked independently)."""
    for params in (
        SsisClusteredParameters.model_validate(CLUSTERED),
        SsisClusteredParameters.model_validate(CLUSTERED | {"virtual_server": "SQLVS01"}),
    ):
        validate_config(clustered_document(params))


FIRST_USE_IN_THREADS = """
import sys, threading
sys.setswitchinterval(1e-6)  # switch threads as often as possible: the race shows more
from psrunbook.runbooks._ssis.config import validate_config
document = sys.stdin.read()
barrier = threading.Barrier(16)
errors = []
def first_use():
    barrier.wait()
    try:
        validate_config(document)
    except Exception as exc:
        errors.append(repr(exc))
threads = [threading.Thread(target=first_use) for _ in range(16)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print(errors)
"""


def test_the_schema_is_built_safely_when_threads_use_it_first_together() -> None:
    """Sixteen threads validating a document at once in a new process all succeed.

    libxml2 sets up its schema types on first use without a lock: a fleet worker planning
    its first runs in parallel failed them with ``XMLSchemaParseError`` or crashed with a
    double free. Each process races once (the set-up is per process), so new processes
    race, one after another: before the lock 5 to 25 % of them failed or crashed (more
    under load), so 24 passing by luck was at most about 2 chances in 100.
    """
    document = render_config(ServiceConfiguration((SqlServerFolder("MSSQLSERVER", "."),), ()))
    for _ in range(24):
        done = subprocess.run(
            [sys.executable, "-c", FIRST_USE_IN_THREADS],
            check=False,
            input=document,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert (0, "[]", "") == (done.returncode, done.stdout.strip(), done.stderr)
