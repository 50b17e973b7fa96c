"""CLIXML written for simulator values, read back by pypsrp's own deserializer."""

from __future__ import annotations

import math
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pypsrp.serializer import Serializer

from psrunbook.sim.endpoint.clixml import ERROR_CATEGORIES, ClixmlWriter, escape
from psrunbook.sim.objects import (
    ErrorRecordData,
    PSEnum,
    PSHashtable,
    PSInt64,
    PSObject,
    PSPrimitiveDictionary,
    PSVersionValue,
    SecureStringValue,
)


def _roundtrip(value):
    writer = ClixmlWriter()
    writer.value(value)
    return Serializer().deserialize(writer.getvalue().decode())


@pytest.mark.parametrize(
    "value",
    [
        "plain",
        "",
        "tab\there\r\nnew",
        "_x0041_ literal",
        "<&>\"'",
        0,
        -(2**31),
        2**31,
        2**63 - 1,
        1.5,
        -0.25,
        True,
        False,
        None,
    ],
)
def test_primitives_roundtrip_through_pypsrp(value):
    """Strings (with control characters), ints, doubles, bools and null come back equal."""
    assert value == _roundtrip(value)


def test_special_doubles():
    """Infinity and NaN use .NET's spelling."""
    assert math.inf == _roundtrip(math.inf)
    assert math.isnan(_roundtrip(math.nan))


def test_lists_and_hashtables_roundtrip():
    """object[] and Hashtable keep order and nested values."""
    assert [1, "a", None] == _roundtrip([1, "a", None])
    assert {"Key": [True, None], "Other": 2} == _roundtrip(
        PSHashtable([("Key", [True, None]), ("Other", 2)])
    )


def test_nested_object_is_its_tostring_at_depth_one():
    """A PSObject inside a property arrives as its ToString, as remoting depth 1 does."""
    inner = PSObject(properties=PSHashtable([("X", 1)]), to_string="inner!")
    outer = PSObject(
        type_names=("T.Outer", "System.Object"),
        properties=PSHashtable([("In", inner), ("Items", [inner])]),
    )
    result = _roundtrip(outer)
    assert {"In": "inner!", "Items": ["inner!"]} == result.extended_properties
    assert ["T.Outer", "System.Object"] == result.types


def test_enum_has_its_type_name_string_and_value():
    """A PSEnum is an Obj with its own type name, ToString name and I32 value."""
    writer = ClixmlWriter()
    writer.value(PSEnum("Cluster.State", "Online", 2))
    xml = writer.getvalue().decode()
    assert "<T>Cluster.State</T><T>System.Enum</T>" in xml
    assert "<ToString>Online</ToString><I32>2</I32>" in xml


def test_secure_string_without_session_key_is_its_type_name():
    """Without an exchanged key a SecureString cannot be encrypted and is sent as its name."""
    assert "System.Security.SecureString" == _roundtrip(SecureStringValue("secret"))


def test_error_record_fields_as_pypsrp_reads_them():
    """ErrorRecordData becomes an ErrorRecord whose pypsrp attributes are all filled."""
    from pypsrp.complex_objects import ErrorRecord, ObjectMeta  # noqa: PLC0415 - only this test

    record = ErrorRecordData(
        message="boom",
        error_id="E1",
        category="ResourceUnavailable",
        exception_type="Sim.BoomException",
        target_name="disk",
        target_type="String",
        activity="Get-Disk",
        command_type="Sim.GetDiskCommand",
        script_line=3,
        script_column=5,
        line_text="    Get-Disk x",
    )
    writer = ClixmlWriter()
    writer.error_record(record)
    parsed = Serializer().deserialize(
        writer.getvalue().decode(), ObjectMeta("Obj", object=ErrorRecord)
    )
    assert ("E1,Sim.GetDiskCommand", 21, "disk", "Get-Disk", "BoomException", 3) == (
        parsed.fq_error,
        parsed.category,
        parsed.target_name,
        parsed.activity,
        parsed.reason,
        parsed.invocation_script_line_number,
    )
    assert "ResourceUnavailable: (disk:String) [Get-Disk], BoomException" == parsed.message
    assert parsed.invocation_position_message.startswith("At line:3 char:5")


def test_error_categories_match_powershell_numbers():
    """The category table has PowerShell's 32 values with their numbers."""
    assert (32, 0, 13, 14, 31) == (
        len(ERROR_CATEGORIES),
        ERROR_CATEGORIES["NotSpecified"],
        ERROR_CATEGORIES["ObjectNotFound"],
        ERROR_CATEGORIES["OperationStopped"],
        ERROR_CATEGORIES["NotEnabled"],
    )


def test_escape_encodes_control_characters_and_xml():
    """Control characters become _xHHHH_, an existing _xHHHH_ is protected, XML is escaped."""
    assert "a_x000A_b_x005F_x0041_&lt;" == escape("a\nb_x0041_<")


def _xml(value):
    writer = ClixmlWriter()
    writer.value(value)
    return writer.getvalue().decode()


def test_numbers_carry_powershell_s_types_on_the_wire():
    """Int32 as I32, an Int64 (also a small [long]) as I64, Double as Db."""
    assert "<I32>5</I32>" == _xml(5)
    assert "<I64>5</I64>" == _xml(PSInt64(5))
    assert "<I64>2147483648</I64>" == _xml(2**31)
    assert "<Db>2147483648.0</Db>" == _xml(2147483648.0)


def test_versions_and_primitive_dictionaries_as_windows_sends_them():
    xml = _xml(PSPrimitiveDictionary([("PSVersion", PSVersionValue(5, 1, 17763, 1))]))
    assert "<T>System.Management.Automation.PSPrimitiveDictionary</T>" in xml
    assert '<Version N="Value">5.1.17763.1</Version>' in xml
    assert {"PSVersion": "5.1.17763.1"} == _roundtrip(
        PSPrimitiveDictionary([("PSVersion", PSVersionValue(5, 1, 17763, 1))])
    )


def test_a_service_is_a_service_controller_with_adapted_properties():
    """.NET properties in <Props> (pypsrp adapted_properties), the Name alias in <MS>."""
    status = PSEnum("System.ServiceProcess.ServiceControllerStatus", "Running", 4)
    service = PSObject(
        type_names=("System.ServiceProcess.ServiceController", "System.Object"),
        properties=PSHashtable([("Name", "WinRM"), ("Status", status), ("ServiceName", "WinRM")]),
        to_string="System.ServiceProcess.ServiceController",
    )
    obj = _roundtrip(service)
    assert [
        "System.ServiceProcess.ServiceController",
        "System.ComponentModel.Component",
        "System.MarshalByRefObject",
        "System.Object",
    ] == obj.types
    assert {"Name": "WinRM"} == obj.extended_properties
    assert "Running" == str(obj.adapted_properties["Status"])
    assert "WinRM" == obj.adapted_properties["ServiceName"]


def _escape_by_substitution(text: str) -> str:
    """``escape`` as it was written before its fast path: each special character by a
    substitution per match."""
    text = re.sub(
        "[\x00-\x1f\ufffe\uffff\ud800-\udfff]|_(?=x[0-9A-Fa-f]{4}_)",
        lambda m: f"_x{ord(m.group()):04X}_",
        text,
    )
    entities = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"}
    return re.sub('[&<>"]', lambda m: entities[m.group()], text)


@given(
    st.lists(
        st.sampled_from(
            ["a", "_", "x", "0", "F", "&", "<", ">", '"', "'", " ", "\n", "\t", "\x00", "\x1f",
             "\x7f", "\xa0", "é", "\ud800", "\udfff", "\ufffe", "\uffff", "_x", "_x0041_"]
        )
    ).map("".join)
)  # fmt: skip
def test_escape_gives_what_a_substitution_per_character_gives(text: str) -> None:
    """The printable fast path and the chained replacements write the same CLIXML text."""
    assert _escape_by_substitution(text) == escape(text)
