"""The markdown PR comment, checked on the HTML a CommonMark+GFM-tables parser makes of it."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from qualgate.render import markdown
from qualgate.verdict import Finding, Severity, Status
from tests.render import samples

markdown_it = pytest.importorskip("markdown_it")

ALLOWED_TAGS = {
    "h3", "p", "table", "thead", "tbody", "tr", "th", "td", "code", "br", "strong",
    "ul", "li", "details", "summary", "a", "blockquote",
}  # fmt: skip


class _Html(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.comments: list[str] = []
        self.rows: list[list[str]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "tr":
            self.rows.append([])
        if tag in {"td", "th"}:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in {"td", "th"} and self._cell is not None:
            self.rows[-1].append("".join(self._cell))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)

    def handle_comment(self, data: str) -> None:
        self.comments.append(data)


def html_of(text: str) -> _Html:
    md = markdown_it.MarkdownIt("commonmark").enable("table")
    parser = _Html()
    parser.feed(md.render(text))
    return parser


@pytest.mark.parametrize("sample", sorted(samples.SAMPLES))
def test_every_sample_renders_to_safe_html(sample: str) -> None:
    verdict = samples.SAMPLES[sample]()
    text = markdown.render(verdict)
    assert text.splitlines()[0] == f"<!-- qualgate:{verdict.gate} -->"
    assert markdown.render(verdict) == text  # stable: re-runs edit the same comment
    html = html_of(text)
    assert {tag for tag, _ in html.tags} <= ALLOWED_TAGS
    assert html.comments == [f" qualgate:{verdict.gate} "]
    for tag, attrs in html.tags:
        if tag == "a":
            assert (attrs.get("href") or "").startswith("https://")


def test_hostile_text_stays_text() -> None:
    html = html_of(markdown.render(samples.hostile()))
    tables: list[list[list[str]]] = []
    for row in html.rows:
        if row and row[0] in {"Check", "Threshold", "Severity", "Metric"}:
            tables.append([])
        tables[-1].append(row)
    # Every row of every table has its header's number of cells: no `|` escaped a cell.
    assert [len({len(r) for r in t}) for t in tables] == [1, 1, 1, 1]
    check_row, threshold_row = tables[0][1], tables[1][1]
    assert check_row[0].startswith("schema|check, <1>100% sure: a,b <x> & | tick *bold* [l](u)")
    # The mention is shown, but a word joiner keeps GitHub from notifying anyone.
    assert "\\x1b[31m\\x00 @\u2060here" in check_row[0]
    assert check_row[4] == "va`l 1:2,3"
    assert threshold_row == ["a|b <c>", "3", "≥ 1 and ≤ 2", "❌ failed"]
    findings = tables[2]
    assert findings[1][1] == "docs/my file #1 100%,a:b|c<d>&`.md:2:3"
    assert findings[1][2] == "R:1,2|<&>"
    assert findings[2][1] == "(project)"
    assert findings[2][3].startswith("</details><!-- 100% sure")
    assert findings[2][3].endswith("https\u2060://example.com/rules/no path (x)")
    assert findings[3][3] == "```# heading- item"
    # Only our own <details> exists.
    assert [tag for tag, _ in html.tags].count("details") == 1


def test_failing_comment_structure() -> None:
    text = markdown.render(samples.failing())
    assert text.startswith(
        "<!-- qualgate:lint-format -->\n### ❌ qualgate lint-format: fail\n\n"
        "120 findings in 30 files\n"
    )
    assert "**Findings** (first 50 of 120, blocking first)" in text
    assert (
        "…and 70 more findings: see the JSON verdict (`.qualgate/verdicts/lint-format.json`)"
        in text
    )
    assert (
        "| 🔴 error | `src/app/m0.py:1:8` | [F401](https://docs.astral.sh/ruff/rules/unused-import)"
        " | `os` imported but unused \\(0\\) |"
    ) in text
    assert "| coverage.total | 83.2 | ≥ 85 | ❌ failed |" in text
    assert "| format<br>2 files unformatted | ❌ fail | 0 | 20 ms |  |" in text
    assert "- run `tools/ci/lint-format.sh --fix` to apply 20 safe fixes" in text
    assert "- Judged against base: `origin/main`" in text
    assert "- Commit: `abc` (uncommitted changes)" in text
    html = html_of(text)
    finding_rows = [r for r in html.rows if r and r[0].startswith(("🔴", "🟡", "🔵"))]
    assert len(finding_rows) == markdown.MAX_FINDINGS


def test_status_icons_and_tool_column() -> None:
    assert "### ✅ qualgate lint-format: pass" in markdown.render(samples.passing())
    assert "| ruff-check | ✅ pass | 0 | 90 ms | `ruff 0.17.5` |" in markdown.render(
        samples.passing()
    )
    assert "### 🛑 qualgate migration-check: error" in markdown.render(samples.error())
    assert "### ⏭️ qualgate openapi-lint: skipped" in markdown.render(samples.skipped())
    existing = markdown.render(samples.existing_only())
    assert "| 🔵 note (existing) | `src/app/legacy.py:3` |" in existing


def test_help_text_that_is_not_a_url_follows_the_message() -> None:
    finding = Finding(rule="R", severity=Severity.WARNING, message="m", help="do *this*")
    text = markdown.render(samples.minimal().replace(findings=(finding,)))
    assert "| 🟡 warning | (project) | `R` | m<br>do \\*this\\* |" in text


def test_render_limited_honours_small_budgets() -> None:
    verdict = samples.failing().replace(summary="s" * 10_000)
    for budget in (markdown.MIN_BUDGET, 2_000, 12_000, 40_000):
        text = markdown.render_limited(verdict, budget)
        assert len(text.encode()) <= budget
        assert text.startswith("<!-- qualgate:lint-format -->")
    full = markdown.render_limited(samples.passing(), 1_000_000)
    assert full == markdown.render(samples.passing())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("`a`", "`a`"),
        ("a|b", "a\\|b"),
        ("x `y|z` w", "x `y\\|z` w"),
        ("```", "\\`\\`\\`"),
        ("lone ` tick", "lone \\` tick"),
        ("<b>&amp;</b>", "\\<b\\>\\&amp;\\</b\\>"),
        ("[x](javascript:alert(1))", "\\[x\\]\\(javascript:alert\\(1\\)\\)"),
        ("a\n\nb", "a<br>b"),
        ("", " "),
    ],
)
def test_escape(text: str, expected: str) -> None:
    assert markdown.escape(text) == expected


def test_code_spans() -> None:
    assert markdown.code("a`b") == "``a`b``"
    assert markdown.code("`x") == "`` `x ``"
    assert markdown.code("a|b") == "`a\\|b`"
    assert markdown.code("a|b", table=False) == "`a|b`"


def test_status_fail_without_findings_has_no_findings_section() -> None:
    text = markdown.render(samples.threshold_only())
    assert "**Findings**" not in text
    assert "| coverage.total | n/a | ≥ 80 | ❌ failed |" in text
    assert samples.threshold_only().status is Status.FAIL
