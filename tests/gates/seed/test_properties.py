"""Property tests of the seed file parsers: hostile text never crashes them, every problem
is located inside the file, and what they read is what the standard parsers read."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qualgate.gates.seed import files, jsonpos
from qualgate.gates.seed.rules import RULES

SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

# JSON values, including the ones Python handles badly (big ints, deep nesting).
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
rows = st.lists(st.dictionaries(st.text(min_size=1, max_size=8), values, max_size=4), max_size=6)


def _check_problems(problems: list[files.FileProblem], text: str) -> None:
    last = text.count("\n") + 2
    for problem in problems:
        assert problem.rule in RULES.rules
        assert problem.line is None or 1 <= problem.line <= last, (problem, text)


@SETTINGS
@given(text=st.text(max_size=400), suffix=st.sampled_from([".yaml", ".json", ".csv"]))
def test_any_text_is_read_without_crashing(tmp_path: Path, text: str, suffix: str) -> None:
    path = tmp_path / f"t{suffix}"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    docs, problems = files.read_file(path, f"seeds/t{suffix}", tmp_path)
    _check_problems(problems, text)
    for doc in docs:
        assert doc.path == f"seeds/t{suffix}"
        for index in range(doc.size):
            assert doc.row(index).line >= 1


@SETTINGS
@given(data=st.binary(max_size=300))
def test_any_bytes_are_read_without_crashing(tmp_path: Path, data: bytes) -> None:
    for suffix in (".yaml", ".json", ".csv"):
        path = tmp_path / f"b{suffix}"
        path.write_bytes(data)
        _docs, problems = files.read_file(path, f"seeds/b{suffix}", tmp_path)
        _check_problems(problems, data.decode("utf-8", "replace"))


@SETTINGS
@given(table=st.text(min_size=1, max_size=10), body=rows, indent=st.sampled_from([None, 1, 2]))
def test_json_positions_agree_with_the_standard_parser(
    table: str, body: list[dict[str, object]], indent: int | None
) -> None:
    text = json.dumps({"table": table, "rows": body}, indent=indent)
    data, doc_lines, row_lines = jsonpos.parse(text)
    assert data == json.loads(text)
    lines = text.splitlines()
    assert doc_lines[0] == 1
    for (doc, index), line in row_lines.items():
        assert doc == 0
        assert 1 <= line <= len(lines)
        assert lines[line - 1].lstrip().startswith(("{", "[", "}")) or indent is None
        assert index < len(body)


@SETTINGS
@given(
    records=st.lists(
        st.tuples(st.text(max_size=10), st.text(max_size=10)).filter(
            lambda r: "\x00" not in "".join(r) and "\r" not in "".join(r)
        ),
        max_size=8,
    )
)
def test_csv_reads_back_what_was_written(tmp_path: Path, records: list[tuple[str, str]]) -> None:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["a", "b"])
    writer.writerows(records)
    path = tmp_path / "t.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    docs, problems = files.read_file(path, "seeds/t.csv", tmp_path)
    assert problems == []
    (doc,) = docs
    # An empty cell is NULL (CSV cannot tell "" from nothing).
    got = [tuple(v or "" for v in doc.row(i).values.values()) for i in range(doc.size)]
    assert got == records


@SETTINGS
@given(
    depth=st.integers(min_value=1, max_value=3000), digits=st.integers(min_value=1, max_value=6000)
)
def test_deep_and_huge_json_are_located(depth: int, digits: int) -> None:
    text = '{"table": "t", "rows": [\n' + "[" * depth + "]" * depth + ",\n" + "1" * digits + "]}"
    try:
        jsonpos.parse(text)
    except json.JSONDecodeError as exc:
        assert 1 <= exc.lineno <= 3
