"""Property tests (hypothesis) on every dependency-file parser: whatever the bytes, a parser
answers with located dependencies and problems, never an exception; the linear rewrites agree
with the patterns they replace; lines are where the tools put them."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qualgate.gates.dependency_scan import sources
from qualgate.gates.dependency_scan.sources._lines import LineFinder, toml_package_lines
from qualgate.gates.dependency_scan.sources.requirements import logical_lines, strip_comment

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

SETTINGS = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# Text shaped like dependency files, with the characters that break parsers.
PIECES = st.sampled_from(
    [
        "six",
        "==",
        "1.0",
        ">=2",
        " ",
        "\t",
        "#",
        "\\",
        "\n",
        "-r ",
        "-c ",
        "-e ",
        "--hash=sha256:ab",
        "./x",
        "../y.txt",
        "/etc/passwd",
        "${TOKEN}",
        "git+https://h/x.git#egg=x",
        "[extra]",
        ";",
        'python_version<"3"',
        "@",
        "\x00",
        "\ud800",
        "é",
        "9" * 50,
        "[",
        "]",
        "{",
        "}",
        '"',
        "'",
        "=",
        ",",
        ":",
    ]
)
TEXT = st.lists(PIECES, max_size=40).map("".join)
OLD_COMMENT = re.compile(r"(^|\s+)#.*$")


@SETTINGS
@given(st.text(alphabet=" \t#a\\\u00a0\u2003", max_size=30))
def test_strip_comment_agrees_with_the_regex_it_replaces(raw: str) -> None:
    assert strip_comment(raw) == OLD_COMMENT.sub("", raw)


@SETTINGS
@given(TEXT)
def test_logical_lines_are_ordered_and_in_range(text: str) -> None:
    count = len(text.splitlines())
    numbers = [n for n, _ in logical_lines(text)]
    assert numbers == sorted(set(numbers))
    assert all(1 <= n <= max(count, 1) for n in numbers)


@pytest.mark.parametrize(
    "name",
    [
        "requirements.txt",
        "poetry.lock",
        "uv.lock",
        "pdm.lock",
        "pylock.toml",
        "Pipfile.lock",
        "package-lock.json",
        "pyproject.toml",
    ],
)
@SETTINGS
@given(text=TEXT)
def test_any_text_in_any_dependency_file_is_located_never_raised(
    tmp_path: Path, name: str, text: str
) -> None:
    root = tmp_path
    path = root / name
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    inputs = sources.read_files([path], lambda p: p.name, root.resolve())
    count = max(1, len(text.splitlines()) + 1)
    for item in (*inputs.problems, *inputs.dependencies):
        assert item.line is None or 1 <= item.line <= count, item
    for problem in inputs.problems:
        problem.message.encode("utf-8")  # no lone surrogate reaches a message
        if problem.rule == "parse-error" and name == "requirements.txt":
            # A line that does not parse is located, never quoted.
            line = text.splitlines()[problem.line - 1] if problem.line else ""
            if len(line.strip()) >= 8 and not line.strip().startswith("-"):
                assert line.strip() not in problem.message


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=20,
)


@pytest.mark.parametrize("name", ["package-lock.json", "Pipfile.lock"])
@SETTINGS
@given(data=JSON_VALUES, indent=st.sampled_from([None, 2]))
def test_any_json_in_a_json_lock_is_located_never_raised(
    tmp_path: Path, name: str, data: object, indent: int | None
) -> None:
    if isinstance(data, dict) and name == "package-lock.json":
        data = {"lockfileVersion": 3, **data}
    path = tmp_path / name
    path.write_text(json.dumps(data, indent=indent), encoding="utf-8")
    inputs = sources.read_files([path], lambda p: p.name, tmp_path.resolve())
    for problem in inputs.problems:
        assert problem.rule in {"parse-error", "file-unreadable"}


NAMES = st.text(alphabet='abc-_.é"\\\u2028', min_size=1, max_size=8)


@SETTINGS
@given(st.lists(NAMES, min_size=1, max_size=8, unique=True), st.booleans())
def test_find_key_finds_every_package_at_its_line(names: list[str], ascii_only: bool) -> None:
    doc = {"packages": {f"node_modules/{n}": {"version": "1.0.0", "n": n} for n in names}}
    text = json.dumps(doc, indent=2, ensure_ascii=ascii_only)
    finder = LineFinder(text)
    _, offset = finder.find_key("packages")
    lines = text.split("\n")
    for name in names:
        key = f"node_modules/{name}"
        line, after = finder.find_key(key, offset, "{")
        if line is None:  # written escaped (ensure_ascii): unknown, never wrong
            continue
        offset = after
        assert lines[line - 1].strip().startswith(json.dumps(key, ensure_ascii=ascii_only))


@SETTINGS
@given(
    st.lists(
        st.tuples(
            st.text(alphabet="abc-", min_size=1, max_size=5),
            st.sampled_from(["", "\n", "# c\n", 'version = "1"\n', "  \n"]),
            st.sampled_from(["", "\n", "# name = 'no'\n", "[package.source]\nname = 1\n"]),
        ),
        max_size=6,
    )
)
def test_toml_package_lines_point_at_each_name(entries: list[tuple[str, str, str]]) -> None:
    text = "version = 1\n\n"
    for name, before, after in entries:
        text += f'[[package]]\n{before}name = "{name}"\n{after}\n'
    data = tomllib.loads(text)
    lines = toml_package_lines(text)
    assert len(lines) == len(data.get("package", []))
    split = text.split("\n")
    for line, entry in zip(lines, data.get("package", []), strict=True):
        assert line is not None
        assert split[line - 1] == f'name = "{entry["name"]}"'
