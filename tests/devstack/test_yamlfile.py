"""The bounded YAML loader: limits with a line, aliases indexed once, helm's reading of scalars."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from devstack.core.shown import printable, show_value
from devstack.yamlfile import Problem, YamlDoc, load_yaml, parse_yaml
from devstack.yamllimits import MAX_ALIASES, MAX_BYTES, MAX_DEPTH, MAX_EXPANDED_NODES, MAX_NODES


def alias_levels(levels: int, width: int = 9) -> str:
    """The "billion laughs": each level is a list of `width` aliases of the level below."""
    lines = ["l0: &l0 [" + ", ".join(["x"] * width) + "]"]
    for level in range(1, levels + 1):
        lines.append(f"l{level}: &l{level} [" + ", ".join([f"*l{level - 1}"] * width) + "]")
    return "\n".join(lines) + "\n"


def merge_levels(levels: int) -> str:
    """Merge keys that double the mapping at each level."""
    lines = ["m0: &m0 {k0: 1}"]
    for level in range(1, levels + 1):
        lines.append(f"m{level}: &m{level} {{<<: [*m{level - 1}, *m{level - 1}], k{level}: 1}}")
    return "\n".join(lines) + "\n"


def problem(text: str) -> Problem:
    parsed = parse_yaml(text, "f.yaml")
    assert isinstance(parsed, Problem), parsed
    return parsed


def doc(text: str) -> YamlDoc:
    parsed = parse_yaml(text, "f.yaml")
    assert isinstance(parsed, YamlDoc), parsed
    return parsed


def test_an_alias_bomb_is_refused_at_the_line_that_expands_too_far() -> None:
    refused = problem(alias_levels(7))  # 322 bytes, 4.8 million nodes once expanded
    assert refused.line is not None and refused.line <= 7
    assert f"expand to more than {MAX_EXPANDED_NODES} extra nodes" in refused.message


def test_a_merge_key_bomb_is_refused() -> None:
    refused = problem(merge_levels(30))
    assert "merge keys expand" in refused.message and refused.line is not None


def test_aliases_within_the_limit_are_indexed_once_not_per_expansion() -> None:
    parsed = doc(alias_levels(4))  # 6,561 leaves once expanded, 46 nodes in the file
    assert len(parsed.data["l4"]) == 9 and len(parsed.data["l4"][0][0][0]) == 9
    assert len(parsed.value_lines) < 60
    assert parsed.has(("l4", 8, 8, 8, 8)) and parsed.line(("l4", 8, 8, 8, 8)) == 1


@pytest.mark.parametrize(
    "text",
    [
        "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1),
        "- " * (MAX_DEPTH + 1) + "x\n",
        "[" * 600_000,
        "".join("  " * i + f"k{i}:\n" for i in range(MAX_DEPTH + 1)),
    ],
    ids=["flow", "block-list", "600k-brackets", "block-mapping"],
)
def test_nesting_deeper_than_the_limit_is_refused(text: str) -> None:
    assert "nest" in problem(text).message


def test_nesting_made_deep_by_aliases_is_refused() -> None:
    lines = ["a0: &a0 [x]"] + [f"a{i}: &a{i} [*a{i - 1}]" for i in range(1, MAX_DEPTH + 2)]
    assert "once aliases are expanded" in problem("\n".join(lines)).message


@pytest.mark.parametrize("text", ["a: &a [*a]", "a: &a {b: *a}", "a: &a [[1, [*a]]]", "&a {<<: *a}"])
def test_a_recursive_anchor_is_refused(text: str) -> None:
    refused = problem(text)
    assert "recursive" in refused.message or "invalid YAML" in refused.message
    assert refused.line == 1


def test_too_many_values_or_aliases_are_refused() -> None:
    assert f"more than {MAX_NODES} values" in problem("[" + "1," * MAX_NODES + "1]").message
    aliases = "a: &a 1\nb: [" + ", ".join(["*a"] * (MAX_ALIASES + 1)) + "]"
    assert f"more than {MAX_ALIASES} aliases" in problem(aliases).message


def test_dates_stay_text_as_helm_reads_them_and_long_integers_are_an_error() -> None:
    assert doc("a: 2024-13-45\nb: 2024-01-01\nc: 2024-01-01T10:00:00Z").data == {
        "a": "2024-13-45",
        "b": "2024-01-01",
        "c": "2024-01-01T10:00:00Z",
    }
    refused = problem("a: 1\nb: " + "9" * 5000)
    assert refused.line == 2 and "integer of 5000 digits is too long" in refused.message
    assert "too long" in problem("a: 0x" + "f" * 5000).message
    assert doc("a: " + "9" * 4000).data["a"] == int("9" * 4000)


def test_merged_keys_and_aliased_paths_point_at_their_anchor() -> None:
    parsed = doc("base: &b\n  x: 1\n  y:\n    z: 2\nother:\n  <<: *b\n  x: 3\nthird: *b\n")
    assert parsed.data["other"] == {"x": 3, "y": {"z": 2}}
    assert parsed.line(("other", "x")) == 7  # its own key wins over the merged one
    assert parsed.has(("other", "y", "z")) and parsed.line(("other", "y", "z")) == 4
    assert parsed.has(("third", "y")) and parsed.line(("third", "y"), key=True) == 3
    assert not parsed.has(("other", "nope"))
    assert parsed.duplicates == []


def test_files_over_the_size_limit_or_not_regular_are_refused_without_reading(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_text("a: " + "x" * MAX_BYTES)
    assert load_yaml(big, "big.yaml") == Problem(
        "big.yaml", None, f"larger than {MAX_BYTES // 1024} KiB, the most devstack reads"
    )
    fifo = tmp_path / "fifo.yaml"
    os.mkfifo(fifo)  # opening it would wait for a writer forever
    assert load_yaml(fifo, "fifo.yaml") == Problem("fifo.yaml", None, "cannot read: not a regular file")
    assert load_yaml(tmp_path, "dir") == Problem("dir", None, "cannot read: not a regular file")
    assert "cannot read" in str(load_yaml(tmp_path / ("n" * 5000), "long"))


def test_bytes_that_are_not_utf8_name_their_line(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"a: 1\nb: caf\xe9\n")
    assert load_yaml(path, "latin1.yaml") == Problem("latin1.yaml", 2, "not UTF-8 text (byte 0xe9)")


def test_problems_are_printable_and_cut() -> None:
    tag = problem("a: !x" + "%E2%80%AE" * 10 + "x" * 5000 + " 1")  # U+202E, right-to-left override
    line = str(tag)
    assert line.isprintable() and "\\u202e" in line and line.endswith("characters)")
    assert len(line) < 500


def test_show_value_is_short_printable_and_names_big_things() -> None:
    assert show_value("a\x00b\x1b[2J") == '"a\\u0000b\\u001b[2J"'
    assert show_value("x" * 2_000_000).endswith('…" (2000000 characters)')
    assert len(show_value("x" * 2_000_000)) < 100
    assert show_value(10**5000).startswith("an integer of about 500")
    assert show_value(float("nan")) == "nan" and show_value([1]) == "a list"
    assert printable("\u2028ok\x7f") == "\\u2028ok\\x7f"
