"""Property tests of the parsers lint-format owns: hostile tool output never crashes them,
and what the tools print round-trips (flake8's template, mypy's text, unified diffs)."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from qualgate.gates.lint_format import diff, flake8, mypytext, pylint, pyright, target, toolchain
from qualgate.gates.lint_format import mypy as mypy_check
from qualgate.gates.lint_format import ruff as ruff_check

FAST = settings(max_examples=150, deadline=None)
text = st.text(max_size=300)
# Paths as tools print them: no NUL or newline (a file name cannot hold them usefully).
paths = st.text(
    alphabet=st.characters(blacklist_characters="\x00\n\r", blacklist_categories=("Cs",)),
    min_size=1,
    max_size=40,
)


def _rel(path: str) -> str:
    return path


@FAST
@given(
    row=st.integers(0, 10**6),
    col=st.integers(0, 10**4),
    code=st.text(max_size=8),
    path=paths,
    message=st.text(max_size=200),
)
def test_flake8_template_round_trips(
    row: int, col: int, code: str, path: str, message: str
) -> None:
    """Whatever a path or message holds (quotes, colons, newlines), the report reads back."""
    line = flake8.TEMPLATE % {"row": row, "col": col, "code": code, "path": path, "text": message}
    assert "\n" not in line
    assert flake8.parse_line(line) == (row, col, code, path, message)


@FAST
@given(text)
def test_flake8_parse_never_crashes(output: str) -> None:
    findings, _ = flake8.parse(output, _rel)
    for f in findings:
        assert f.line is None or f.line > 0


@FAST
@given(
    path=st.text(
        st.characters(blacklist_characters=":\n\r\x00", blacklist_categories=("Cs",)),
        min_size=1,
        max_size=30,
    ),
    line=st.integers(1, 10**6),
    col=st.integers(1, 10**4),
    severity=st.sampled_from(["error", "note", "warning"]),
    message=st.text(
        st.characters(blacklist_characters="\n\r", blacklist_categories=("Cs",)),
        min_size=1,
        max_size=100,
    ).filter(lambda m: not m.endswith(" ")),
    code=st.one_of(st.none(), st.from_regex(r"[a-z][a-z0-9-]{0,20}", fullmatch=True)),
)
def test_mypy_text_line_round_trips(
    path: str, line: int, col: int, severity: str, message: str, code: str | None
) -> None:
    raw = f"{path}:{line}:{col}: {severity}: {message}" + (f"  [{code}]" if code else "")
    item = mypytext.parse_line(raw)
    assert item is not None
    assert (item["file"], item["line"], item["column"], item["severity"]) == (
        path,
        line,
        col - 1,
        severity,
    )
    if code:
        assert (item["message"], item["code"]) == (message, code)


@FAST
@given(text)
def test_mypy_parsers_never_crash(output: str) -> None:
    for json_output in (True, False):
        findings, _ = mypy_check.parse(output, _rel, json_output=json_output)
        for f in findings:
            assert f.line is None or f.line > 0
            assert f.column is None or f.column > 0


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=10),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)


@FAST
@given(json_values)
def test_json_readers_reject_or_read_any_document(value: object) -> None:
    """pylint, pyright and ruff JSON readers raise ValueError-family errors or read it."""
    document = json.dumps(value)
    for read in (
        lambda: pylint.parse(document, _rel, failed=True),
        lambda: pyright.parse(document, _rel),
        lambda: ruff_check.parse_check_json(document, _rel, "ruff-check"),
    ):
        try:
            findings = read()
        except (ValueError, TypeError, KeyError, AttributeError):
            continue
        for f in findings:
            assert f.line is None or f.line > 0


@FAST
@given(text)
def test_diff_parser_never_crashes_and_lines_are_positive(output: str) -> None:
    for one in diff.parse_diff(output):
        assert one.first_line >= 1 and all(n >= 1 for n in one.lines)


@FAST
@given(st.text(max_size=40))
def test_python_bounds_are_python_3(spec: str) -> None:
    bound = target.lower_bound(spec)
    assert bound is None or bound[0] == 3


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=400))
def test_toolchain_detection_never_crashes(body: str) -> None:
    import tempfile
    from pathlib import Path

    from qualgate.gates.lint_format.projectfiles import ProjectFiles

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for name in ("pyproject.toml", "setup.cfg", ".pre-commit-config.yaml", "requirements.txt"):
            (root / name).write_text(body, encoding="utf-8")
        chain = toolchain.detect(ProjectFiles(root))
        assert set(chain.checks) <= set(toolchain.CHECKS)
