"""Property tests: no value written into review text can change its structure."""

from __future__ import annotations

import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from psrunbook.lint import parse
from psrunbook.review_text import md_block, md_code, md_text, ps_comment, visible

# Markdown and PowerShell syntax, every kind of line break and invisible characters,
# plus any other character.
TRICKY = st.sampled_from(
    [
        *"#`*_[]()<>!|~&\\-+=.:0123456789 \t\r\n\x0b\x0c\x1b\x85\u2028\u2029\u202e\u200b\ufeff",
        *("## Approved by CAB", "```", "&#10;", "<!--", "[x]: /y", "Stop-Computer", "\r\n", "    "),
    ]
)
TEXT = st.lists(st.one_of(TRICKY, st.characters()), max_size=30).map("".join)
MD = MarkdownIt("commonmark")
HIDDEN = {"Cc", "Cf", "Zl", "Zp", "Cs"}


def _inline(markdown: str) -> list[object]:
    """The inline tokens of a document that must be exactly one paragraph."""
    tokens = MD.parse(markdown)
    assert [t.type for t in tokens] == ["paragraph_open", "inline", "paragraph_close"], markdown
    return list(tokens[1].children or [])


@settings(max_examples=400, deadline=None)
@given(TEXT)
def test_visible_leaves_no_hidden_character(text: str) -> None:
    """No control, format or separator character survives; other text is unchanged."""
    shown = visible(text)
    assert not [c for c in shown if unicodedata.category(c) in HIDDEN]
    if not [c for c in text if unicodedata.category(c) in HIDDEN]:
        assert text == shown


@settings(max_examples=400, deadline=None)
@given(TEXT)
def test_ps_comment_cannot_end_the_comment_line(text: str) -> None:
    """``# {value}`` stays one comment: the next line is still the only command."""
    script = f"# Step ({ps_comment(text)}) on node N1.\nWrite-Output 1\n"
    tree = parse(script)
    comments = [n for n in tree.root_node.children if n.type == "comment"]
    assert 1 == len(comments)
    assert comments[0].text.decode("utf-8") == script.split("\n", 1)[0]
    assert 2 == script.count("\n") and "\r" not in script


@settings(max_examples=400, deadline=None)
@given(TEXT)
def test_md_text_renders_as_plain_text(text: str) -> None:
    """Mid-line and at line start, md_text is plain text equal to the value: no heading,
    list, emphasis, link, HTML or code, whatever the value holds."""
    for prefix, block in (
        ("- Runs on: ", "bullet_list_open"),
        ("### 01-step: ", "heading_open"),
        ("", ""),
    ):
        markdown = prefix + md_text(text)
        tokens = MD.parse(markdown)
        inline = [t for t in tokens if t.type == "inline"]
        if not markdown.strip():
            assert {t.type for t in tokens} <= {"paragraph_open", "inline", "paragraph_close"}
            continue
        opened = [t.type for t in tokens if t.type.endswith("_open") and t.type != "list_item_open"]
        assert opened == ([block] if block else []) + ["paragraph_open"] * (block != "heading_open")
        assert 1 == len(inline), markdown
        children = inline[0].children or []
        assert {c.type for c in children} <= {"text"}, markdown
        rendered = "".join(c.content for c in children)
        shown = prefix.lstrip("-# ") + visible(text)
        assert rendered.strip() == shown.strip(), markdown


@settings(max_examples=400, deadline=None)
@given(TEXT)
def test_md_code_is_one_code_span_holding_the_value(text: str) -> None:
    """The code span cannot be closed early or left: it shows exactly the value."""
    children = _inline(f"x {md_code(text)} y")
    if not visible(text):
        assert ["text"] == [c.type for c in children]  # written as "(empty)"
        return
    assert ["text", "code_inline", "text"] == [c.type for c in children], text
    assert visible(text) == children[1].content


@settings(max_examples=200, deadline=None)
@given(TEXT)
def test_md_block_is_one_fence_holding_the_value(text: str) -> None:
    """The fenced block cannot be closed early: its content is the value, line by line."""
    markdown = "- `name`:\n\n" + md_block(text, "    ") + "\n\n## After\n"
    tokens = MD.parse(markdown)
    fences = [t for t in tokens if t.type == "fence"]
    assert 1 == len(fences), markdown
    assert "\n".join(visible(line) for line in text.split("\n")) + "\n" == fences[0].content
    assert ["After"] == [
        tokens[i + 1].content for i, t in enumerate(tokens) if t.type == "heading_open"
    ]


def test_visible_passes_printable_ascii_as_is_and_shows_every_ascii_control() -> None:
    """The printable-ASCII shortcut agrees with the character categories on every ASCII
    character, alone and inside printable text: tab, CR, LF, the other C0 controls and
    DEL are shown, everything else is kept."""
    for code in range(128):
        char = chr(code)
        hidden = unicodedata.category(char) in HIDDEN
        expected = f"<U+{code:04X}>" if hidden else char
        assert visible(char) == expected
        assert visible(f"Cluster {char} Disk") == f"Cluster {expected} Disk"
