"""Cluster cmdlet words are found by an ASCII case-insensitive search, as before.

:func:`_translated_word_starts` is the search it replaced (the text folded with
``str.translate`` first); on any text both find the same starts, non-ASCII letters that
Unicode case folding would match (``ſ``, the Kelvin sign) included.
"""

from __future__ import annotations

from collections.abc import Iterator

from hypothesis import given, settings
from hypothesis import strategies as st

from psrunbook.lint import _cluster_word_starts

_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def _translated_word_starts(text: str) -> Iterator[int]:
    folded = text.translate(_ASCII_LOWER)
    at = folded.find("-cluster")
    while at != -1:
        start = at
        while start > 0 and folded[start - 1].isascii() and folded[start - 1].isalpha():
            start -= 1
        if start < at:
            yield start
        at = folded.find("-cluster", at + 8)


_PIECES = ["-cluster", "-Cluster", "-CLUSTER", "-clu\u017fter", "-\u212aluster", "Get", "g", "-"]
_PIECES += [" ", "\n", "\u00e9", "\u0130", "1", "_", "Group", "-cluster-cluster"]


@settings(max_examples=1000)
@given(st.lists(st.sampled_from(_PIECES), max_size=10).map("".join))
def test_cluster_words_start_where_the_folded_search_found_them(text: str) -> None:
    assert list(_translated_word_starts(text)) == list(_cluster_word_starts(text))


def test_a_word_run_into_the_next_starts_after_the_first_dash() -> None:
    text = "Get-ClusterGroup-Cluster; get-clusterNODE"
    assert list(_translated_word_starts(text)) == list(_cluster_word_starts(text)) == [0, 4, 26]
