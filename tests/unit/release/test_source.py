"""Reading spec files: data as JSON sees it, a line for every field (merge keys and aliases
included), folders expanded, and every unreadable file a problem naming it, never an exception."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from slotwise.release import source
from slotwise.release.source import parse_text, read_sources

TEXT = """\
defaults: &app
  serviceConnection: contoso
  resourceGroup: rg
definitions:
  - name: a
    app:
      <<: *app
      name: func-a
  - name: b
    app: *app
"""


def test_every_field_has_its_line_merge_keys_and_aliases_included() -> None:
    file, problem = parse_text(TEXT, "s.yaml")
    assert problem is None
    assert file.data["definitions"][0]["app"] == {
        "serviceConnection": "contoso",
        "resourceGroup": "rg",
        "name": "func-a",
    }
    lines = file.lines
    assert lines[("definitions", 0, "name")] == 5
    assert lines[("definitions", 0, "app", "name")] == 8
    assert lines[("definitions", 0, "app", "serviceConnection")] == 2  # merged: where it is written
    assert lines[("definitions", 1)] == 9
    assert lines[("definitions", 1, "app")] == 10  # an alias: where it is used
    assert lines[("definitions", 1, "app", "resourceGroup")] == 3
    assert file.line(("definitions", 0, "app", "slot")) == 6  # missing: its mapping's line
    assert file.line(("nowhere", 3)) == 1


def test_merged_keys_given_explicitly_keep_their_own_line() -> None:
    text = "base: &b\n  x: 1\n  y: {z: 2}\nuse:\n  <<: *b\n  y: {w: 3}\n"
    file, problem = parse_text(text, "s.yaml")
    assert problem is None
    assert file.data["use"] == {"y": {"w": 3}, "x": 1}
    assert file.lines[("use", "y")] == 6
    assert ("use", "y", "z") not in file.lines  # the anchor's y was not taken


def test_json_has_lines_too_and_json_words_for_json_mistakes() -> None:
    text = '{\n\t"name": "a",\n\t"stages": [\n\t\t{"name": "S"}\n\t]\n}\n'
    file, problem = parse_text(text, "s.json", json_syntax=True)
    assert problem is None
    assert file.data == {"name": "a", "stages": [{"name": "S"}]}
    assert file.lines[("stages", 0, "name")] == 4
    _, problem = parse_text('{"a": 1, "a": 2}', "s.json", json_syntax=True)
    assert problem is not None
    assert "appears twice" in problem.message
    _, problem = parse_text('{"a": NaN}', "s.json", json_syntax=True)
    assert problem is not None
    assert "NaN is not a number a spec can hold" in problem.message


def test_yaml_values_json_cannot_hold_are_text_or_refused() -> None:
    file, problem = parse_text("when: 2024-01-02\n1: one\ntrue: yes\n", "s.yaml")
    assert problem is None
    assert file.data == {"when": "2024-01-02", "1": "one", "true": True}
    _, problem = parse_text("n: .inf\n", "s.yaml")
    assert problem is not None
    assert (problem.line, problem.field) == (1, "n")


def test_a_small_file_that_expands_hugely_is_refused() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}]" for i in range(1, 9)]
    _, problem = parse_text("\n".join(lines) + "\n", "bomb.yaml")
    assert problem is not None
    assert f"more than {source.MAX_VALUES:,} values" in problem.message


def test_deep_nesting_is_refused() -> None:
    _, problem = parse_text("a: " + "[" * 60 + "]" * 60 + "\n", "deep.yaml")
    assert problem is not None
    assert f"nested more than {source.MAX_DEPTH} levels deep" in problem.message


def test_folders_are_expanded_sorted_and_recursively(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    for name in ("b/two.yml", "one.yaml", "three.json", "notes.txt"):
        (tmp_path / name).write_text("{}" if name.endswith(".json") else "a: 1\n", encoding="utf-8")
    (tmp_path / "empty").mkdir()
    (tmp_path / "latin1.yaml").write_bytes("n: caf\xe9\n".encode("latin-1"))
    files, problems = read_sources(
        [tmp_path, tmp_path / "one.yaml", tmp_path / "missing.yaml", tmp_path / "empty"]
    )
    assert [Path(f.name).relative_to(tmp_path).as_posix() for f in files] == [
        "b/two.yml",
        "one.yaml",
        "three.json",
    ]
    found = {(Path(p.file).name, p.message.split(":")[0]) for p in problems}
    assert found == {
        ("empty", "the folder has no spec files (*.yaml, *.yml, *.json)"),
        ("latin1.yaml", "cannot read the file"),
        ("missing.yaml", "no such file or folder"),
    }


@settings(max_examples=300)
@given(st.text(alphabet=st.sampled_from(list("ab:- \n[]{}&*<!'\"#|>,.0\t")), max_size=80))
def test_any_text_is_data_or_one_problem(text: str) -> None:
    file, problem = parse_text(text, "fuzz.yaml")
    if problem is None:
        json.dumps(file.data)  # JSON can hold it
        assert all(line >= 1 for line in file.lines.values())
    else:
        assert 1 <= problem.line <= text.count("\n") + 2
        assert problem.file == "fuzz.yaml"
