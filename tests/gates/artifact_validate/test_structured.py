"""artifact-validate on structured files, verdict files, type overrides and config errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.support import Run, run_qualgate, write_files

GATE = "artifact-validate"

SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["service"],
    "additionalProperties": False,
    "properties": {
        "service": {
            "type": "object",
            "required": ["name", "port"],
            "properties": {
                "name": {"type": "string"},
                "port": {"type": "integer", "maximum": 65535},
                "tags": {"type": "array", "items": {"type": "string"}},
            },
        },
        "servers": {
            "type": "array",
            "items": {"type": "object", "properties": {"host": {"type": "string"}}},
        },
    },
}


def configure(root: Path, entries: list[dict[str, str]], extra: str = "") -> None:
    lines = ", ".join(f'{{glob = "{e["glob"]}", schema = "{e["schema"]}"}}' for e in entries)
    write_files(
        root,
        {
            "pyproject.toml": f"[tool.qualgate.artifact-validate]\nschemas = [{lines}]\n{extra}",
            "schemas/settings.json": json.dumps(SCHEMA, indent=2),
        },
    )


def run(root: Path, *args: str) -> Run:
    return run_qualgate(GATE, str(root), "--no-verdict-files", *args)


def located(result: Run) -> list[tuple[str, str, int]]:
    return sorted((f["rule"], f["path"], f["line"]) for f in result.findings)


def test_valid_yaml_json_toml_pass(tmp_path: Path) -> None:
    configure(tmp_path, [{"glob": "config/*", "schema": "schemas/settings.json"}])
    write_files(
        tmp_path,
        {
            "config/a.yaml": "service:\n  name: a\n  port: 80\n",
            "config/b.json": '{"service": {"name": "b", "port": 81}}',
            "config/c.toml": '[service]\nname = "c"\nport = 82\n',
        },
    )
    result = run(tmp_path)
    assert result.code == 0, result.stdout
    assert result.verdict is not None
    assert result.verdict["metrics"]["structured_files"] == 3
    check = next(c for c in result.verdict["checks"] if c["name"] == "structured")
    assert check["status"] == "pass"


def test_parse_errors_are_located(tmp_path: Path) -> None:
    configure(tmp_path, [{"glob": "config/**/*.*", "schema": "schemas/settings.json"}])
    write_files(
        tmp_path,
        {
            "config/a.yaml": "service:\n  name: a\n  port: [80\n",
            "config/b.json": '{\n  "service": {\n    "name": "b",\n  }\n}\n',
            "config/deep/c.toml": '[service]\nname = "c"\nport = = 82\n',
        },
    )
    result = run(tmp_path)
    assert result.code == 1
    got = {(f["path"], f["line"]) for f in result.findings if f["rule"] == "file-syntax"}
    assert got == {("config/a.yaml", 4), ("config/b.json", 4), ("config/deep/c.toml", 3)}
    toml = next(f for f in result.findings if f["path"].endswith(".toml"))
    assert toml["column"] == 8
    assert "(at line" not in toml["message"]


def test_schema_errors_are_located_at_the_key(tmp_path: Path) -> None:
    configure(tmp_path, [{"glob": "config/*", "schema": "schemas/settings.json"}])
    write_files(
        tmp_path,
        {
            "config/a.yaml": (
                "service:\n  name: a\n  port: 99999\n  tags:\n    - x\n    - 3\nextra: 1\n"
            ),
            "config/b.json": (
                '{\n  "service": {\n    "name": 5,\n    "port": 1\n  },\n'
                '  "servers": [{"host": "a"}, {"host": 7}]\n}\n'
            ),
            "config/c.toml": (
                '[service]\nname = "c"\n\n[[servers]]\nhost = "a"\n\n[[servers]]\nhost = 9\n'
            ),
        },
    )
    result = run(tmp_path)
    got = sorted(
        (f["path"], f["line"], f["data"]["pointer"])
        for f in result.findings
        if f["rule"] == "file-schema"
    )
    assert got == [
        ("config/a.yaml", 3, "/service/port"),
        ("config/a.yaml", 6, "/service/tags/1"),
        ("config/a.yaml", 7, "/"),  # the additional key itself
        ("config/b.json", 3, "/service/name"),
        ("config/b.json", 6, "/servers/1/host"),
        ("config/c.toml", 1, "/service"),  # port is missing: the table's header
        ("config/c.toml", 8, "/servers/1/host"),
    ]


def test_toml_and_yaml_dates_compare_as_strings(tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {
            "pyproject.toml": (
                '[tool.qualgate.artifact-validate]\nschemas = [{glob = "d/*", schema = "s.json"}]\n'
            ),
            "s.json": json.dumps(
                {"properties": {"when": {"type": "string", "pattern": "^2024-01-02"}}}
            ),
            "d/a.toml": "when = 2024-01-02\n",
            "d/b.yaml": "when: 2024-01-02\n",
            "d/c.toml": "when = 2023-01-02T10:00:00Z\n",
        },
    )
    assert located(run(tmp_path)) == [("file-schema", "d/c.toml", 1)]


def test_invalid_yaml_date_is_located(tmp_path: Path) -> None:
    configure(tmp_path, [{"glob": "c.yaml", "schema": "schemas/settings.json"}])
    write_files(tmp_path, {"c.yaml": "service:\n  name: a\n  since: 2024-02-30\n"})
    result = run(tmp_path)
    assert [(f["rule"], f["line"], f["column"]) for f in result.findings] == [
        ("file-syntax", 3, 10)
    ]


def test_multi_document_yaml_validates_each_document(tmp_path: Path) -> None:
    configure(tmp_path, [{"glob": "config/*.yaml", "schema": "schemas/settings.json"}])
    write_files(
        tmp_path,
        {"config/a.yaml": "service:\n  name: a\n  port: 1\n---\nservice:\n  name: b\n  port: x\n"},
    )
    result = run(tmp_path)
    [finding] = result.findings
    assert (finding["line"], finding["data"]["document"]) == (7, 1)


def test_yaml_schema_and_relative_ref(tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {
            "pyproject.toml": (
                "[tool.qualgate.artifact-validate]\n"
                'schemas = [{glob = "x.json", schema = "s/main.yaml"}]\n'
            ),
            "s/main.yaml": "type: object\nproperties:\n  port:\n    $ref: port.json\n",
            "s/port.json": '{"type": "integer"}',
            "x.json": '{"port": "80"}',
        },
    )
    result = run(tmp_path)
    assert [(f["rule"], f["line"]) for f in result.findings] == [("file-schema", 1)]


def test_glob_matching_nothing_fails(tmp_path: Path) -> None:
    configure(tmp_path, [{"glob": "config/*.yaml", "schema": "schemas/settings.json"}])
    result = run(tmp_path)
    assert result.code == 1
    assert [f["rule"] for f in result.findings] == ["glob-no-match"]


def test_unsupported_extension_and_not_utf8(tmp_path: Path) -> None:
    configure(tmp_path, [{"glob": "config/*", "schema": "schemas/settings.json"}])
    write_files(tmp_path, {"config/a.ini": "[x]\n"})
    (tmp_path / "config" / "b.json").write_bytes(b'{"a":\n"\xff"}')
    assert located(run(tmp_path)) == [
        ("file-type", "config/a.ini", 1),
        ("unreadable", "config/b.json", 2),
    ]


def test_globs_skip_virtualenvs_unless_named(tmp_path: Path) -> None:
    configure(tmp_path, [{"glob": "**/*.json", "schema": "schemas/settings.json"}])
    write_files(
        tmp_path,
        {
            ".venv/lib/x.json": "not json",
            "node_modules/p/package.json": "not json",
            "app/ok.json": '{"service": {"name": "a", "port": 1}}',
        },
    )
    result = run(tmp_path)
    # schemas/settings.json matches too and is not a settings document: "service" is
    # missing (the root object, line 1) and "$schema" is not allowed (its key, line 2).
    assert located(result) == [
        ("file-schema", "schemas/settings.json", 1),
        ("file-schema", "schemas/settings.json", 2),
    ]


@pytest.mark.parametrize(
    ("schema_text", "reason"),
    [
        (None, "does not exist"),
        ("{not json", "is not valid JSON"),
        ('{"type": "nonsense"}', "not a valid JSON Schema"),
        ("[1]", "must be a JSON object"),
    ],
)
def test_unusable_schema_is_an_error(tmp_path: Path, schema_text: str | None, reason: str) -> None:
    configure(tmp_path, [{"glob": "a.json", "schema": "bad.json"}])
    write_files(tmp_path, {"a.json": "{}"})
    if schema_text is not None:
        write_files(tmp_path, {"bad.json": schema_text})
    result = run(tmp_path)
    assert result.code == 2
    assert result.verdict is not None
    assert reason in result.verdict["summary"]


def test_unresolvable_ref_is_an_error(tmp_path: Path) -> None:
    configure(tmp_path, [{"glob": "a.json", "schema": "s.json"}])
    write_files(tmp_path, {"a.json": "{}", "s.json": '{"$ref": "missing.json"}'})
    result = run(tmp_path)
    assert result.code == 2


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('schemas = "x"', "expects a list"),
        ('schemas = [{glob = "x"}]', "exactly the keys glob and schema"),
        ("types = 3", "expects a table of types"),
        ('types = {rfc = {colour = "red"}}', "unknown key 'colour'"),
        ("types = {rfc = {headings = [1]}}", "list of non-empty strings"),
        ('types = {"bad name" = {}}', "not a type name"),
        ("types = {rfc = 3}", "expects a table with keys"),
        ("types = {rfc = {schema = 3}}", "non-empty string"),
    ],
)
def test_bad_config_values_exit_2(tmp_path: Path, toml: str, message: str) -> None:
    write_files(tmp_path, {"pyproject.toml": f"[tool.qualgate.artifact-validate]\n{toml}\n"})
    result = run(tmp_path)
    assert result.code == 2
    assert result.verdict is not None
    assert message in result.verdict["summary"]


RFC_NO_MOTIVATION = """---
title: x
status: draft
authors: [a]
date: 2024-01-01
---
# Summary
"""


def test_override_builtin_headings_keeps_builtin_schema(tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {
            "pyproject.toml": (
                '[tool.qualgate.artifact-validate]\ntypes = {rfc = {headings = ["Summary"]}}\n'
            ),
            "artifacts/rfc/a.md": RFC_NO_MOTIVATION,
            "artifacts/rfc/b.md": RFC_NO_MOTIVATION.replace("draft", "nope"),
        },
    )
    result = run(tmp_path)
    assert located(result) == [("front-matter-schema", "artifacts/rfc/b.md", 3)]


def test_project_type_with_own_schema_and_folders(tmp_path: Path) -> None:
    schema: dict[str, Any] = {
        "type": "object",
        "required": ["owner"],
        "additionalProperties": False,
        "properties": {"owner": {"type": "string"}, "type": {}},
    }
    write_files(
        tmp_path,
        {
            "pyproject.toml": (
                "[tool.qualgate.artifact-validate]\n"
                'types = {runbook = {schema = "schemas/runbook.json", headings = ["Steps"], '
                'folders = ["ops"]}}\n'
            ),
            "schemas/runbook.json": json.dumps(schema),
            "artifacts/ops/restart.md": "---\nowner: sre\n---\n## Steps\n",
            "artifacts/ops/bad.md": "---\nowner: sre\ncolour: red\n---\n## Steps\n",
            "artifacts/x/typed.md": "---\ntype: runbook\n---\n# Nope\n",
        },
    )
    result = run(tmp_path)
    assert located(result) == [
        ("front-matter-schema", "artifacts/ops/bad.md", 3),
        ("front-matter-schema", "artifacts/x/typed.md", 1),
        ("missing-heading", "artifacts/x/typed.md", 1),
    ]
    bad = next(f for f in result.findings if f["path"] == "artifacts/ops/bad.md")
    assert "colour" in bad["message"]


def test_project_type_claims_a_builtin_folder(tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {
            "qualgate.toml": (
                '[artifact-validate]\ntypes = {decision = {headings = ["Why"], '
                'folders = ["decisions"]}}\n'
            ),
            "artifacts/decisions/a.md": "---\ntitle: n\n---\n# Why\n",
        },
    )
    result = run(tmp_path)
    assert result.code == 0, result.stdout
    assert result.verdict is not None
    assert result.verdict["metrics"]["artifacts_by_type"] == {"decision": 1}


def test_project_type_without_schema_checks_headings(tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {
            "qualgate.toml": '[artifact-validate]\ntypes = {note = {headings = ["Body"]}}\n',
            "artifacts/notes/a.md": "---\ntitle: n\n---\n# Body\n",
            "artifacts/notes/b.md": "---\ntitle: n\n---\n# Other\n",
        },
    )
    assert located(run(tmp_path)) == [("missing-heading", "artifacts/notes/b.md", 1)]


# ---------------------------------------------------------------------------
# Verdict files


def test_qualgate_folder_never_changes_what_is_checked(tmp_path: Path) -> None:
    # Issue 17: "10 files checked", then "12"; skipped on a fresh checkout, pass after
    # other gates ran. qualgate's own folder is not an artifact.
    task = "---\nid: 1\ntitle: t\nstatus: done\n---\n## Acceptance Criteria\n"
    write_files(
        tmp_path,
        {
            "artifacts/tasks/t.md": task,
            "config/app.json": '{"port": 1}',
            "schemas/app.json": '{"type": "object"}',
            "pyproject.toml": "[tool.qualgate.artifact-validate]\n"
            'schemas = [{glob = "config/**/*.json", schema = "schemas/app.json"}, '
            '{glob = "**/*.json", schema = "schemas/app.json"}]\n',
        },
    )
    fresh = run_qualgate(GATE, str(tmp_path), "--no-cache")
    assert fresh.code == 0, fresh.verdict
    write_files(
        tmp_path,
        {
            ".qualgate/verdicts/run-tests.json": '{"gate": "run-tests"}',
            ".qualgate/verdicts/notes.md": "no front matter\n",
            ".qualgate/x.json": "[1",
        },
    )
    again = run_qualgate(GATE, str(tmp_path), "--no-cache")
    assert again.verdict is not None and fresh.verdict is not None
    assert again.verdict["metrics"]["files_checked"] == fresh.verdict["metrics"]["files_checked"]
    assert again.verdict["summary"] == fresh.verdict["summary"]
    assert again.verdict["status"] == fresh.verdict["status"] == "pass"
    assert not [f for f in again.findings if ".qualgate" in (f.get("path") or "")]


def test_an_empty_checkout_is_skipped_whatever_ran_before(tmp_path: Path) -> None:
    first = run_qualgate(GATE, str(tmp_path), "--no-cache")
    second = run_qualgate(GATE, str(tmp_path), "--no-cache")
    assert first.verdict is not None and second.verdict is not None
    assert first.verdict["status"] == second.verdict["status"] == "skipped"


def test_verdict_files_are_validated_when_asked(tmp_path: Path) -> None:
    task = "---\nid: 1\ntitle: t\nstatus: done\n---\n## Acceptance Criteria\n"
    write_files(tmp_path, {"artifacts/tasks/t.md": task})
    first = run_qualgate(GATE, str(tmp_path), "--verdict-files", "--no-cache")
    assert first.code == 0
    second = run_qualgate(GATE, str(tmp_path), "--verdict-files", "--no-cache")
    assert second.code == 0
    assert second.verdict is not None
    assert second.verdict["metrics"]["verdict_files"] == 1
    assert second.verdict["metrics"]["files_checked"] == 1  # the artifact only
    check = next(c for c in second.verdict["checks"] if c["name"] == "verdict-files")
    assert check["status"] == "pass"


def test_corrupted_verdict_files_are_findings(tmp_path: Path) -> None:
    verdicts = tmp_path / ".qualgate" / "verdicts"
    good = run_qualgate(GATE, str(tmp_path), "--verdict-files", "--no-cache")
    assert good.verdict is not None and good.verdict["status"] == "skipped"
    document = json.loads((verdicts / f"{GATE}.json").read_text())
    document["status"] = "maybe"
    (verdicts / "bad.json").write_text(json.dumps(document, indent=2))
    (verdicts / "broken.json").write_text('{\n  "gate": "x",\n  oops\n}\n')
    result = run_qualgate(GATE, str(tmp_path), "--verdict-files", "--no-cache")
    assert result.code == 1
    got = sorted((f["rule"], f["path"], f["line"]) for f in result.findings)
    status_line = 1 + json.dumps(document, indent=2).splitlines().index('  "status": "maybe",')
    assert got == [
        ("verdict-schema", ".qualgate/verdicts/bad.json", status_line),
        ("verdict-syntax", ".qualgate/verdicts/broken.json", 3),
    ]
    # The gate's own verdict file was rewritten after the run: the snapshot was judged.
    own = json.loads((verdicts / f"{GATE}.json").read_text())
    assert own["status"] == "fail"


def test_verdict_files_are_off_by_default(tmp_path: Path) -> None:
    write_files(tmp_path, {".qualgate/verdicts/x.json": "not json"})
    result = run_qualgate(GATE, str(tmp_path))
    assert result.verdict is not None
    assert result.verdict["status"] == "skipped"
    assert "verdict-files = true" in result.verdict["summary"]


def test_a_link_target_created_outside_the_artifacts_is_seen_by_the_next_run(
    tmp_path: Path,
) -> None:
    # The result cache is on: a target the gate looked for and did not find decides the
    # answer as much as the artifacts do.
    task = "---\nid: 1\ntitle: t\nstatus: done\n---\n## Acceptance Criteria\n[d](../../docs/a.md)\n"
    write_files(tmp_path, {"artifacts/tasks/t.md": task})
    first = run_qualgate(GATE, str(tmp_path))
    assert [f["rule"] for f in first.findings] == ["broken-link"]
    write_files(tmp_path, {"docs/a.md": "# A\n"})
    second = run_qualgate(GATE, str(tmp_path))
    assert second.verdict is not None and not second.verdict.get("cached")
    assert second.code == 0, second.findings
