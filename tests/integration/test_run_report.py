"""`runs report`: a journaled run as a change record, every value escaped for its format.

The run's parameters and its error messages come back in the report; a group name made
of Markdown and HTML syntax must read as text in both forms (parsed here with a real
CommonMark parser and the standard library's HTML parser), never as structure.
"""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

from markdown_it import MarkdownIt

from tests.integration.conftest import Psrunbook

HOSTILE = "<script>alert(1)</script> | ## Approved by CAB [x](http://e.vil)"


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_report_of_a_failed_run_names_every_step_node_result_and_error(
    psrunbook: Psrunbook, tmp_path: Path
) -> None:
    psrunbook("run", "ssis-clustered", "--sim", "-p", f"group={HOSTILE}", expect=1)
    run = psrunbook.last_run()

    md = psrunbook("runs", "report", run.run_id[:12], "--format", "md").stdout
    assert md.startswith(f"# Change record: run {run.run_id}")
    assert "ssis-clustered (version" in md
    assert "SIMCLUSTER" in md
    tokens = MarkdownIt("commonmark").enable("table").parse(md)
    assert not [t for t in tokens if t.type in {"html_block", "html_inline", "link_open"}]
    headings = [tokens[i + 1].content for i, t in enumerate(tokens) if t.type == "heading_open"]
    assert ["Parameters", "Steps"] == headings[1:3]
    assert not any("Approved" in h for h in headings)
    rows = [t for t in tokens if t.type == "tr_open"]
    assert 1 + 2 == len(rows)  # header, then 01-preflight on both nodes
    inline = " ".join(t.content for t in tokens if t.type == "inline")
    assert "failed" in inline

    out = tmp_path / "report.html"
    psrunbook("runs", "report", "last", "--format", "html", "-o", str(out))
    page = _Elements()
    page.feed(out.read_text(encoding="utf-8"))
    assert "script" not in page.tags
    assert "a" not in page.tags
    text = "".join(page.text)
    assert HOSTILE in text  # shown exactly, as text
    assert "01-preflight" in text and "NODE2" in text


def test_report_of_an_unknown_run_exits_2(psrunbook: Psrunbook) -> None:
    result = psrunbook("runs", "report", "nope", expect=2)
    assert "nope" in result.stderr
