"""`runs report`: a journaled run as a change record, every value escaped for its format.

The run's parameters and its error messages come back in the report; a group name made
of Markdown and HTML syntax must read as text in both forms (parsed here with a real
CommonMark parser and the standard library's HTML parser), never as structure.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

from markdown_it import MarkdownIt
from markdown_it.token import Token

from psrunbook.journal import AttemptRecord
from tests.integration.conftest import Psrunbook

HOSTILE = "<script>alert(1)</script> | ## Approved by CAB [x](http://e.vil)"
SVG = "{http://www.w3.org/2000/svg}"


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
    rows = [t for t in _section(tokens, "Steps") if t.type == "tr_open"]
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


def _section(tokens: list[Token], heading: str) -> list[Token]:
    """The tokens after the level-2 heading ``heading``, up to the next level-2 heading."""
    starts = [
        i
        for i, t in enumerate(tokens)
        if t.type == "heading_open" and t.tag == "h2" and tokens[i + 1].content == heading
    ]
    assert starts, heading
    rest = tokens[starts[0] + 3 :]
    ends = [i for i, t in enumerate(rest) if t.type == "heading_open" and t.tag == "h2"]
    return rest[: ends[0]] if ends else rest


def _timeline(page: str) -> ET.Element:
    """The report's one inline SVG, parsed as XML (so it must be well-formed)."""
    found = re.findall(r"<svg\b.*?</svg>", page, flags=re.DOTALL)
    assert 1 == len(found)
    return ET.fromstring(found[0])


def _expected_bars(attempts: list[AttemptRecord]) -> Counter[tuple[str, str, str]]:
    return Counter((a.node, f"{a.step_index:02d}-{a.step_name}", a.status) for a in attempts)


def test_html_report_draws_one_bar_per_attempt_on_its_nodes_row_in_time_order(
    psrunbook: Psrunbook,
) -> None:
    """Steps x nodes over time: a row per node, a bar per attempt, later steps further right."""
    psrunbook("run", "ssis-clustered", "--sim")
    run = psrunbook.last_run()
    attempts = psrunbook.attempts(run.run_id)
    svg = _timeline(psrunbook("runs", "report", "last", "--format", "html").stdout)

    rects = [r for r in svg.iter(f"{SVG}rect") if "attempt" in r.get("class", "").split()]
    drawn = Counter((r.get("data-node"), r.get("data-step"), r.get("data-result")) for r in rects)
    assert _expected_bars(attempts) == drawn
    labels = {
        t.text: float(t.get("y", "nan")) for t in svg.iter(f"{SVG}text") if t.get("class") == "node"
    }
    assert {"NODE1", "NODE2"} == set(labels)
    for rect in rects:
        middle = float(rect.get("y", "nan")) + float(rect.get("height", "nan")) / 2
        nearest = min(labels, key=lambda node: abs(labels[node] - middle))
        assert rect.get("data-node") == nearest
        assert "#2e7d32" == rect.get("fill")  # every attempt succeeded
        assert rect.find(f"{SVG}title") is not None
    by_step = sorted(rects, key=lambda r: r.get("data-step", ""))
    starts = [float(r.get("x", "nan")) for r in by_step]
    assert sorted(starts) == starts  # the steps ran one after another
    assert float(by_step[-1].get("x", "nan")) > float(by_step[0].get("x", "nan"))
    outside = {e.tag for e in svg.iter()} - {
        f"{SVG}{tag}" for tag in ("svg", "rect", "text", "line", "title")
    }
    assert not outside  # no script, image or link: nothing but shapes and text
    assert not [k for e in svg.iter() for k in e.attrib if "href" in k]


def test_a_failed_attempt_is_a_red_bar_and_markdown_tables_every_attempt(
    psrunbook: Psrunbook,
) -> None:
    psrunbook("run", "ssis-clustered", "--sim", "-p", f"group={HOSTILE}", expect=1)
    attempts = psrunbook.attempts(psrunbook.last_run().run_id)

    svg = _timeline(psrunbook("runs", "report", "last", "--format", "html").stdout)
    failed = [r for r in svg.iter(f"{SVG}rect") if r.get("data-result") == "failed"]
    assert failed
    assert {"#c62828"} == {r.get("fill") for r in failed}

    md = psrunbook("runs", "report", "last", "--format", "md").stdout
    tokens = MarkdownIt("commonmark").enable("table").parse(md)
    timeline = _section(tokens, "Timeline")
    assert not [t for t in timeline if t.type in {"html_block", "html_inline", "link_open"}]
    cells = [t.content for t in timeline if t.type == "inline"]
    rows = [t for t in timeline if t.type == "tr_open"]
    assert 1 + len(attempts) == len(rows)
    assert "node" in cells and "time" in cells
    drawn = [c for c in cells if re.fullmatch(r"`\.*#+\.*`", c)]
    assert len(attempts) == len(drawn)  # a bar in characters per attempt
