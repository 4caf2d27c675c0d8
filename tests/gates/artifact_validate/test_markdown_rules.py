"""artifact-validate on Markdown artifacts: every rule passing and failing, exact lines."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tests.support import Run, git, git_init, run_qualgate, write_files

GATE = "artifact-validate"

RFC = """---
id: RFC-1
title: Faster builds
status: accepted
authors: [alice]
date: 2024-03-01
---
# Summary

Short.

## Motivation

Why.

## Design

How.
"""

ADR = """---
title: Use PostgreSQL
status: accepted
date: 2024-03-02
---
# Use PostgreSQL

## Context and Problem Statement

We need a database.

## Considered Options

* PostgreSQL
* MySQL

## Decision Outcome

PostgreSQL.
"""

TASK = """---
id: T-7
title: Add the index
status: todo
---
# Add the index

## Acceptance criteria

- it is fast
"""


def run(root: Path, *args: str) -> Run:
    return run_qualgate(GATE, str(root), "--no-verdict-files", *args)


def findings(result: Run, rule: str | None = None) -> list[dict[str, Any]]:
    return [f for f in result.findings if rule is None or f["rule"] == rule]


def located(result: Run) -> list[tuple[str, str, int]]:
    return [(f["rule"], f["path"], f["line"]) for f in result.findings]


def test_nothing_to_check_is_skipped_with_the_reason(tmp_path: Path) -> None:
    result = run(tmp_path)
    assert result.code == 0
    assert result.verdict is not None
    assert result.verdict["status"] == "skipped"
    assert "no artifacts/ folder" in result.verdict["summary"]
    assert "no `schemas` configured" in result.verdict["summary"]
    required = run(tmp_path, "--require")
    assert required.code == 1


def test_empty_artifacts_folder_is_skipped(tmp_path: Path) -> None:
    (tmp_path / "artifacts").mkdir()
    write_files(tmp_path, {"artifacts/README.md": "# Index\n"})
    result = run(tmp_path)
    assert result.verdict is not None
    assert result.verdict["status"] == "skipped"
    assert "no Markdown files in artifacts/" in result.verdict["summary"]


def test_artifacts_dir_that_is_a_file_is_an_error(tmp_path: Path) -> None:
    write_files(tmp_path, {"artifacts": "not a folder"})
    result = run(tmp_path)
    assert result.code == 2
    assert result.verdict is not None
    assert "is not a folder" in result.verdict["summary"]


def test_missing_artifacts_dir_named_on_purpose_is_an_error(tmp_path: Path) -> None:
    write_files(
        tmp_path, {"pyproject.toml": '[tool.qualgate.artifact-validate]\nartifacts-dir = "rfcs"\n'}
    )
    result = run(tmp_path)
    assert result.code == 2
    assert result.verdict is not None
    assert "--artifacts-dir rfcs does not exist" in result.verdict["summary"]


def test_valid_rfc_adr_task_pass_typed_by_folder_and_front_matter(tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {
            "artifacts/rfcs/0001-builds.md": RFC,
            "artifacts/decisions/0001-db.md": ADR,
            "artifacts/misc/task-7.md": TASK.replace("id: T-7", "type: task\nid: T-7"),
            "artifacts/README.md": "no front matter: excluded by default\n",
        },
    )
    result = run(tmp_path)
    assert result.code == 0, result.stdout
    assert result.verdict is not None
    assert result.verdict["status"] == "pass"
    assert result.verdict["metrics"]["artifacts_by_type"] == {"adr": 1, "rfc": 1, "task": 1}
    assert result.verdict["metrics"]["artifacts"] == 3


def test_front_matter_missing_and_unclosed(tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {
            "artifacts/rfc/a.md": "# Summary\n",
            "artifacts/rfc/b.md": "---\ntitle: x\n# Summary\n",
        },
    )
    result = run(tmp_path)
    assert result.code == 1
    rules = {(f["rule"], f["path"], f["line"]) for f in result.findings}
    assert ("front-matter-missing", "artifacts/rfc/a.md", 1) in rules
    assert ("front-matter-unclosed", "artifacts/rfc/b.md", 1) in rules


def test_yaml_syntax_error_is_located_in_the_file(tmp_path: Path) -> None:
    text = RFC.replace("authors: [alice]", "authors: [alice\nbroken: here")
    write_files(tmp_path, {"artifacts/rfc/a.md": text})
    result = run(tmp_path)
    [finding] = findings(result, "front-matter-syntax")
    # The flow sequence opened on line 5 is broken by the `:` on line 6.
    assert finding["line"] == 6
    assert finding["path"] == "artifacts/rfc/a.md"


def test_yaml_error_on_first_line_of_front_matter(tmp_path: Path) -> None:
    write_files(tmp_path, {"artifacts/rfc/a.md": "---\ntitle: [x\n---\n# Summary\n"})
    [finding] = findings(run(tmp_path), "front-matter-syntax")
    assert finding["line"] in (2, 3)  # libyaml reports the unclosed flow at its end


def test_front_matter_not_a_mapping(tmp_path: Path) -> None:
    write_files(tmp_path, {"artifacts/rfc/a.md": "---\n- a\n- b\n---\n# Summary\n"})
    result = run(tmp_path)
    [finding] = findings(result, "front-matter-not-mapping")
    assert finding["line"] == 2


def test_invalid_date_value_is_located_not_a_crash(tmp_path: Path) -> None:
    write_files(tmp_path, {"artifacts/rfc/a.md": RFC.replace("2024-03-01", "2024-02-30")})
    result = run(tmp_path)
    assert result.code == 1
    [finding] = findings(result, "front-matter-syntax")
    assert finding["line"] == 6
    assert "'2024-02-30': day is out of range for month" in finding["message"]


def test_schema_errors_point_at_the_offending_key(tmp_path: Path) -> None:
    text = """---
title: Faster builds
status: done
authors:
  - alice
  - 42
date: March
---
# Summary
## Motivation
## Design
"""
    write_files(tmp_path, {"artifacts/rfc/a.md": text})
    result = run(tmp_path)
    assert result.code == 1
    schema = sorted(
        (f["line"], f["data"]["pointer"]) for f in findings(result, "front-matter-schema")
    )
    assert schema == [(3, "/status"), (6, "/authors/1"), (7, "/date")]
    status = next(f for f in result.findings if f["line"] == 3)
    assert "'done' is not one of" in status["message"]
    assert status["column"] == 1


def test_missing_required_key_points_at_the_front_matter_first_line(tmp_path: Path) -> None:
    text = RFC.replace("authors: [alice]\n", "")
    write_files(tmp_path, {"artifacts/rfc/a.md": text})
    [finding] = findings(run(tmp_path), "front-matter-schema")
    assert finding["line"] == 1
    assert "'authors' is a required property" in finding["message"]


def test_empty_front_matter_reports_every_required_key(tmp_path: Path) -> None:
    write_files(tmp_path, {"artifacts/adr/a.md": "---\n---\n## Context and problem statement\n"})
    result = run(tmp_path)
    messages = sorted(f["message"] for f in findings(result, "front-matter-schema"))
    assert len(messages) == 3
    assert all(f["line"] == 1 for f in findings(result, "front-matter-schema"))


def test_adr_superseded_by_status_is_valid(tmp_path: Path) -> None:
    text = ADR.replace("status: accepted", "status: superseded by ADR-0002")
    write_files(tmp_path, {"artifacts/adr/a.md": text})
    assert run(tmp_path).code == 0


def test_unknown_type_points_at_the_type_key(tmp_path: Path) -> None:
    text = "---\ntitle: x\ntype: memo\n---\n# Memo\n"
    write_files(tmp_path, {"artifacts/rfc/a.md": text})
    [finding] = findings(run(tmp_path), "unknown-type")
    assert finding["line"] == 3
    assert "'memo'" in finding["message"]


def test_untyped_artifact(tmp_path: Path) -> None:
    write_files(tmp_path, {"artifacts/notes/a.md": "---\ntitle: x\n---\n# Notes\n"})
    [finding] = findings(run(tmp_path), "untyped-artifact")
    assert (finding["path"], finding["line"]) == ("artifacts/notes/a.md", 1)


def test_nearest_type_folder_wins(tmp_path: Path) -> None:
    write_files(tmp_path, {"artifacts/adr/tasks/t.md": TASK})
    result = run(tmp_path)
    assert result.code == 0, result.stdout
    assert result.verdict is not None
    assert result.verdict["metrics"]["artifacts_by_type"] == {"task": 1}


def test_required_headings_atx_setext_case_insensitive(tmp_path: Path) -> None:
    text = """---
title: x
status: draft
authors: [a]
date: 2024-01-01
---
SUMMARY
=======

## motivation ##

```
## Design
```
"""
    write_files(tmp_path, {"artifacts/rfc/a.md": text})
    result = run(tmp_path)
    [finding] = findings(result, "missing-heading")
    assert finding["data"]["heading"] == "Design"  # the one inside the fence does not count
    assert finding["line"] == 1


def test_links_images_and_anchors(tmp_path: Path) -> None:
    body = """---
title: x
status: draft
authors: [a]
date: 2024-01-01
---
# Summary

Good: [other](other.md), [anchor](#design), [there](other.md#part-two),
[dup](#notes-1), ![diagram](img/d.png), [root-relative](/docs/guide.md),
[folder](img/), [web](https://example.com/x.md), [mail](mailto:a@b.c), [q](other.md?x=1#part-two).

Bad: [gone](missing.md) and ![pic](img/none.png)
[nowhere](#nope) [wrong](other.md#nope)
[out](../../../outside.md)

`[inline](missing-inline.md)` is code.

```md
[fenced](missing-fenced.md)
```

<!-- [commented](missing-comment.md) -->

[ref]: missing-ref.md

## Motivation
## Design
## Notes
## Notes
"""
    other = "# Other\n\n## Part two\n"
    write_files(
        tmp_path,
        {
            "artifacts/rfc/a.md": body,
            "artifacts/rfc/other.md": "---\ntype: task\nid: 1\ntitle: t\nstatus: done\n---\n"
            "## Acceptance Criteria\n" + other,
            "artifacts/rfc/img/d.png": "png",
            "docs/guide.md": "# Guide\n",
        },
    )
    result = run(tmp_path)
    got = sorted((f["rule"], f["line"], f["column"], f["data"]["target"]) for f in result.findings)
    assert got == [
        ("broken-anchor", 14, 1, "#nope"),
        ("broken-anchor", 14, 18, "other.md#nope"),
        ("broken-link", 13, 6, "missing.md"),
        ("broken-link", 13, 29, "img/none.png"),
        ("broken-link", 25, 8, "missing-ref.md"),
        ("link-escapes-root", 15, 1, "../../../outside.md"),
    ]


def test_html_links_and_anchors(tmp_path: Path) -> None:
    text = (
        TASK
        + '\n<a name="custom"></a>\n[c](#custom) <img src="gone.png"> <a href="#custom">x</a>\n'
    )
    write_files(tmp_path, {"artifacts/tasks/t.md": text})
    result = run(tmp_path)
    assert located(result) == [("broken-link", "artifacts/tasks/t.md", 13)]


def test_link_through_a_symlink_out_of_the_root_escapes(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    project = tmp_path / "project"
    write_files(outside, {"secret.md": "# s\n"})
    write_files(project, {"artifacts/tasks/t.md": TASK + "\n[s](link/secret.md)\n"})
    os.symlink(outside, project / "artifacts" / "tasks" / "link")
    result = run(project)
    assert located(result) == [("link-escapes-root", "artifacts/tasks/t.md", 12)]
    assert "symlink" in result.findings[0]["message"]


def test_duplicate_ids_report_both_locations(tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {
            "artifacts/rfc/a.md": RFC,
            "artifacts/tasks/b.md": TASK.replace("id: T-7", "id: RFC-1"),
        },
    )
    result = run(tmp_path)
    dups = findings(result, "duplicate-id")
    assert [(f["path"], f["line"]) for f in dups] == [
        ("artifacts/rfc/a.md", 2),
        ("artifacts/tasks/b.md", 2),
    ]
    assert "artifacts/tasks/b.md:2" in dups[0]["message"]
    assert "artifacts/rfc/a.md:2" in dups[1]["message"]


def test_not_utf8_is_a_finding(tmp_path: Path) -> None:
    path = tmp_path / "artifacts" / "rfc" / "a.md"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"---\ntitle: x\n\xff\n")
    assert located(run(tmp_path)) == [("unreadable", "artifacts/rfc/a.md", 3)]


def test_exclude_and_artifacts_dir_options(tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {
            "docs/design/rfc/0001.md": RFC,
            "docs/design/rfc/template.md": "no front matter\n",
        },
    )
    result = run(tmp_path, "--artifacts-dir", str(tmp_path / "docs/design"))
    assert {(f["rule"], f["path"]) for f in result.findings} == {
        ("front-matter-missing", "docs/design/rfc/template.md"),
        # Typed by its folder, so its headings are still checked.
        ("missing-heading", "docs/design/rfc/template.md"),
    }
    result = run(
        tmp_path, "--artifacts-dir", str(tmp_path / "docs/design"), "--exclude", "rfc/template.md"
    )
    assert result.code == 0


def test_parallel_workers_give_the_same_findings(tmp_path: Path) -> None:
    files = {f"artifacts/rfc/{n}.md": RFC.replace("RFC-1", f"RFC-{n}") for n in range(12)}
    files["artifacts/rfc/5.md"] = RFC.replace("status: accepted", "status: nope")
    files["artifacts/rfc/7.md"] = (
        RFC.replace("RFC-1", "RFC-7") + "\n[x](0.md#summary) [y](11.md#nope)\n"
    )
    write_files(tmp_path, files)
    inline = run(tmp_path, "--jobs", "1")
    forked = run(tmp_path, "--jobs", "3")
    assert located(inline) == located(forked)
    assert located(forked) == [
        ("duplicate-id", "artifacts/rfc/1.md", 2),
        ("duplicate-id", "artifacts/rfc/5.md", 2),
        ("front-matter-schema", "artifacts/rfc/5.md", 4),
        ("broken-anchor", "artifacts/rfc/7.md", 20),
    ]


def test_parallel_worker_gate_error_becomes_an_error_verdict(tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {
            "pyproject.toml": (
                '[tool.qualgate.artifact-validate]\ntypes = {rfc = {schema = "nope.json"}}\n'
            ),
            "artifacts/rfc/a.md": RFC,
            "artifacts/rfc/b.md": RFC,
        },
    )
    result = run(tmp_path, "--jobs", "2")
    assert result.code == 2
    assert result.verdict is not None
    assert "nope.json does not exist" in result.verdict["summary"]


def test_base_marks_old_findings_existing(tmp_path: Path) -> None:
    write_files(tmp_path, {"artifacts/rfc/a.md": RFC.replace("status: accepted", "status: odd")})
    git_init(tmp_path)
    result = run(tmp_path, "--base", "HEAD")
    assert result.code == 0
    assert result.findings and all(f.get("existing") for f in result.findings)
    (tmp_path / "artifacts/rfc/a.md").write_text(RFC.replace("status: accepted", "status: new"))
    git(tmp_path, "add", "-A")
    # "main", not "HEAD" again: context.py caches changed lines per (root, base) in-process.
    result = run(tmp_path, "--base", "main")
    assert result.code == 1
    assert not result.findings[0].get("existing")


@pytest.mark.parametrize("option", ["--list-types"])
def test_list_types(option: str) -> None:
    result = run_qualgate(GATE, option)
    assert result.code == 0
    text = result.stdout
    for expected in (
        "rfc:",
        "adr:",
        "task:",
        "status (draft|proposed|accepted|rejected|superseded)",
        "Context and Problem Statement, Considered Options, Decision Outcome",
        "Acceptance Criteria",
        "Summary, Motivation, Design",
    ):
        assert expected in text


def test_anchors_into_files_outside_the_artifacts(tmp_path: Path) -> None:
    links = (
        "\n[a](../../docs/guide.md#install) [b](../../docs/guide.md#nope) "
        "[c](../../docs#x) [d](dangling.txt) [e](<>) [f](#acceptance-criteria)\n"
    )
    write_files(
        tmp_path,
        {"artifacts/tasks/t.md": TASK + links, "docs/guide.md": "# Guide\n\n## Install\n"},
    )
    os.symlink(tmp_path / "nowhere.txt", tmp_path / "artifacts" / "tasks" / "dangling.txt")
    result = run(tmp_path)
    got = [(f["rule"], f["line"], f.get("column")) for f in result.findings]
    assert got == [("broken-anchor", 12, 34), ("broken-link", 12, 82), ("broken-link", 12, 100)]
    assert result.findings[2]["message"] == "link '<>': empty link target"
