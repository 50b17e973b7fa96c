"""Hash literals and type literals read from the tree once per parsed script still
evaluate anew on every run: keys, values, duplicate checks and casts per evaluation."""

from __future__ import annotations

from .helpers import run


def test_hash_literal_in_a_loop_evaluates_keys_and_values_each_time() -> None:
    script = (
        "$out = foreach ($i in 1..3) { $h = @{ Fixed = $i; ('k' + $i) = $i * 10 }; "
        "\"$($h.Fixed) $($h.Keys.Count) $($h['k' + $i])\" }\n$out"
    )
    assert run(script).output == ["1 2 10", "2 2 20", "3 2 30"]


def test_duplicate_computed_key_is_found_on_the_evaluation_that_makes_it() -> None:
    script = (
        "$seen = foreach ($k in 'b', 'a') {\n"
        "  try { $h = @{ a = 1; $k = 2 }; $h.Count } catch { $_.FullyQualifiedErrorId }\n"
        "}\n$seen"
    )
    result = run(script)
    assert result.failed is None, result.failed
    assert result.output[0] == 2
    assert str(result.output[1]).startswith("DuplicateKeyInHashLiteral")


def test_bare_keys_keep_their_spelling_and_order() -> None:
    script = "$h = [ordered]@{ Zeta = 1; alpha = 2; 'Quoted Key' = 3 }\n$h.Keys -join ','"
    for _ in range(2):
        assert run(script).output == ["Zeta,alpha,Quoted Key"]


def test_cast_type_literal_with_blanks_in_a_loop() -> None:
    script = "foreach ($v in '1', '2') { [ int ]$v + 1 }"
    assert run(script).output == [2, 3]
