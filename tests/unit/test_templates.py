"""The template library: rendering, hashing and the param() gate."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from psrunbook.errors import TemplateError
from psrunbook.secrets import Secret
from psrunbook.templates import TemplateLibrary

TEMPLATE = "demo/set_greeting.ps1.j2"


@pytest.fixture
def library(user_templates: Path) -> TemplateLibrary:
    return TemplateLibrary([user_templates])


def test_render_hash_is_sha256_of_text(library: TemplateLibrary) -> None:
    """The script hash is the sha256 of exactly the rendered UTF-8 text."""
    script = library.render(TEMPLATE, {"Name": "x"})
    assert hashlib.sha256(script.text.encode()).hexdigest() == script.sha256


def test_values_never_reach_the_text(library: TemplateLibrary) -> None:
    """Two different values give byte-identical scripts: values travel as parameters."""
    first = library.render(TEMPLATE, {"Name": "alpha'; Remove-Item C:\\ -Recurse"})
    second = library.render(TEMPLATE, {"Name": "beta"})
    assert first.text == second.text
    assert "alpha" not in first.text


def test_structure_changes_the_text(library: TemplateLibrary) -> None:
    """A structure variable selects a branch, and the hash follows the text."""
    quiet = library.render(TEMPLATE, {"Name": "x"}, {"loud": False})
    loud = library.render(TEMPLATE, {"Name": "x"}, {"loud": True})
    assert "Write-Warning 'loud mode'" in loud.text
    assert "loud mode" not in quiet.text
    assert quiet.sha256 != loud.sha256


def test_prelude_comes_after_param_block(library: TemplateLibrary) -> None:
    """param() stays the first statement and the prelude follows it."""
    text = library.render(TEMPLATE, {"Name": "x"}).text
    assert text.startswith("param(")
    assert text.index("$ErrorActionPreference = 'Stop'") > text.index(")\n")


def test_declared_parameters_are_read_from_the_script(library: TemplateLibrary) -> None:
    """The param() block is parsed into names, PowerShell types and mandatory flags."""
    script = library.render(TEMPLATE, {"Name": "x"})
    declared = [(p.name, p.ps_type, p.mandatory) for p in script.parameters]
    assert [
        ("Name", "string", True),
        ("Aliases", "string[]", False),
        ("Repeat", "int", False),
        ("Token", "securestring", False),
        ("CheckOnly", "switch", False),
    ] == declared


@pytest.mark.parametrize(
    ("arguments", "fragment"),
    [
        ({}, "mandatory parameter 'Name' is not given"),
        ({"Name": "x", "Colour": "red"}, "unknown parameter 'Colour'"),
        ({"Name": 5}, "'Name' is [string] and needs a string, got int"),
        ({"Name": "x", "Aliases": "a,b"}, "'Aliases' is [string[]] and needs a list of strings"),
        ({"Name": "x", "Repeat": True}, "'Repeat' is [int] and needs a whole number, got bool"),
        ({"Name": "x", "Token": "plain"}, "'Token' is [securestring] and needs a secret"),
    ],
)
def test_bad_arguments_are_refused(
    library: TemplateLibrary, arguments: dict[str, object], fragment: str
) -> None:
    """Each mismatch between values and param() is refused, naming the parameter."""
    with pytest.raises(TemplateError) as caught:
        library.render(TEMPLATE, arguments)
    assert fragment in str(caught.value)


def test_secret_argument_is_accepted(library: TemplateLibrary) -> None:
    """A Secret fits a [securestring] parameter."""
    script = library.render(TEMPLATE, {"Name": "x", "Token": Secret("hunter2")})
    assert script.parameter("token") is not None


def test_missing_template_names_search_path(library: TemplateLibrary) -> None:
    """A missing template id is a clear error listing where it was looked for."""
    with pytest.raises(TemplateError, match=r"'demo/nope\.ps1\.j2' not found"):
        library.render("demo/nope.ps1.j2", {})


def test_undefined_structure_variable_is_an_error(tmp_path: Path) -> None:
    """StrictUndefined: a structure variable nobody passed fails instead of rendering empty."""
    (tmp_path / "t").mkdir()
    (tmp_path / "t" / "x.ps1.j2").write_text(
        "param([switch]$CheckOnly)\n{% if flag %}1{% endif %}\n"
    )
    with pytest.raises(TemplateError, match="'flag' is undefined"):
        TemplateLibrary([tmp_path]).render("t/x.ps1.j2", {})


def test_user_directory_must_exist(tmp_path: Path) -> None:
    """A --templates folder that does not exist is refused up front."""
    with pytest.raises(TemplateError, match="does not exist"):
        TemplateLibrary([tmp_path / "missing"])


def test_template_ids_exclude_partials(library: TemplateLibrary) -> None:
    """Listing templates shows renderable ones, never the _lib partials."""
    ids = library.template_ids()
    assert TEMPLATE in ids
    assert not [i for i in ids if i.startswith("_lib/")]
