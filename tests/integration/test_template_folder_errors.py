"""A broken template in a ``--templates`` folder: `lint` and `plan` exit 2 naming it.

Not UTF-8, an include loop, an include that leaves the template folders (``..``), a link
to a file outside them, or an include of a template that does not exist: each is refused
with the template's name and the fix, never a traceback, and no file outside the template
folders is ever read. `plan` refuses before anything is journaled.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.integration.conftest import Psrunbook

pytestmark = pytest.mark.integration

TEMPLATE = "demo/set_greeting.ps1.j2"


def _text(text: str) -> Callable[[Path], None]:
    def write(path: Path) -> None:
        path.write_text(text, encoding="utf-8")

    return write


def _not_utf8(path: Path) -> None:
    path.write_bytes(b"\xff\xfe\x00not UTF-8\n")


def _link_outside(path: Path) -> None:
    outside = path.parents[2] / "outside.txt"
    outside.write_text("a file outside the template folders\n", encoding="utf-8")
    path.symlink_to(outside)


CASES = [
    (_not_utf8, f"template {TEMPLATE} (", "is not UTF-8 text (byte 0); save it as UTF-8"),
    (_text(f"{{% include '{TEMPLATE}' %}}\n"), f"template {TEMPLATE}", "remove the include loop"),
    (
        _text("{% include '../../../../etc/passwd' %}\n"),
        f"template {TEMPLATE}",
        "template name '../../../../etc/passwd' leaves the template folders ('..')",
    ),
    (_link_outside, f"template {TEMPLATE} (", "outside its template folder"),
    (
        _text("{% include 'demo/missing.ps1.j2' %}\n"),
        f"template {TEMPLATE} includes 'demo/missing.ps1.j2', which is not found",
        "check the include's template id",
    ),
]
IDS = ["not-utf8", "include-loop", "include-dotdot", "link-outside", "include-missing"]


@pytest.fixture
def loading(user_runbooks: Path, tmp_path: Path) -> Callable[[Callable[[Path], None]], list[str]]:
    """The options that load the test runbooks with ``demo/set_greeting`` made by ``make``."""

    def options(make: Callable[[Path], None]) -> list[str]:
        folder = tmp_path / "templates"
        (folder / "demo").mkdir(parents=True)
        make(folder / TEMPLATE)
        return ["--runbooks", str(user_runbooks), "--templates", str(folder)]

    return options


@pytest.mark.parametrize(("make", "names", "problem"), CASES, ids=IDS)
def test_lint_refuses_a_broken_template_naming_it(
    psrunbook: Psrunbook,
    loading: Callable[[Callable[[Path], None]], list[str]],
    make: Callable[[Path], None],
    names: str,
    problem: str,
) -> None:
    """lint: exit 2, the template named with what is wrong."""
    refused = psrunbook(*loading(make), "lint", expect=2)
    assert names in refused.stderr
    assert problem in refused.stderr
    assert "root:" not in refused.output  # /etc/passwd was never read


@pytest.mark.parametrize(("make", "names", "problem"), CASES, ids=IDS)
def test_plan_refuses_a_broken_template_before_journaling(
    psrunbook: Psrunbook,
    loading: Callable[[Callable[[Path], None]], list[str]],
    make: Callable[[Path], None],
    names: str,
    problem: str,
) -> None:
    """plan: exit 2 naming the template, nothing journaled."""
    options = loading(make)
    refused = psrunbook(*options, "plan", "greeting", "--sim", "-p", "name=x", expect=2)
    assert names in refused.stderr
    assert problem in refused.stderr
    assert "root:" not in refused.output
    assert [] == psrunbook.runs()
