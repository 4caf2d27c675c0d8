"""Attacks on artifact-validate: each test builds the hostile repository and proves the attack
fails. Files outside the project are never read (a secret planted there appears in no output
format and no file qualgate writes), no schema reference is fetched (a listening socket sees no
connection), devices are never read, hostile texts are scanned in linear time, and monstrous
files are located findings, never an internal error."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from qualgate.render import RENDERERS
from tests.hostile.conftest import SECRET, Layout, Listener, no_secret_anywhere
from tests.support import Run, run_qualgate, write_files

GATE = "artifact-validate"
TASK = "---\nid: 1\ntitle: t\nstatus: done\n---\n## Acceptance Criteria\n"
# A schema whose errors quote the value they reject ("'ghp_...' is not of type 'integer'").
STRICT = json.dumps({"type": "object", "additionalProperties": {"type": "integer"}})


def check_everywhere(layout: Layout, *args: str) -> tuple[Run, list[str]]:
    """Run the gate once with every renderer as a report; (run, every text it produced)."""
    reports = layout.root.parent / "reports"
    reports.mkdir(exist_ok=True)
    argv = [GATE, str(layout.root), "--no-cache", "--timeout", "60", *args]
    for fmt in sorted(RENDERERS):
        argv += ["--report", f"{fmt}:{reports / ('out.' + fmt)}"]
    run = run_qualgate(*argv)
    texts = [run.stdout, run.stderr]
    texts += [p.read_text(encoding="utf-8", errors="replace") for p in reports.iterdir()]
    return run, texts


def config(schemas: str, extra: str = "") -> str:
    return f"[tool.qualgate.artifact-validate]\nschemas = {schemas}\n{extra}"


def plant(layout: Layout) -> Path:
    """A secret-bearing JSON file beside the project (a runner's credentials)."""
    secret = layout.outside / "secret.json"
    secret.write_text(json.dumps({"token": SECRET}), encoding="utf-8")
    return secret


def rules(run: Run) -> list[tuple[str, str | None]]:
    return [(f["rule"], f.get("path")) for f in run.findings]


def no_internal_error(run: Run) -> None:
    assert run.verdict is not None, run.stdout
    assert "internal error" not in run.verdict["summary"], run.verdict["summary"]


# -- files outside the root --------------------------------------------------------------------


def test_a_glob_through_a_symlinked_folder_reads_nothing_outside(layout: Layout) -> None:
    plant(layout)
    (layout.root / "cfg").symlink_to(layout.outside)
    write_files(
        layout.root,
        {
            "schemas/s.json": STRICT,
            "pyproject.toml": config('[{glob = "cfg/*.json", schema = "schemas/s.json"}]'),
        },
    )
    run, texts = check_everywhere(layout)
    assert run.code == 1
    assert rules(run) == [("path-escapes-root", "cfg")]
    no_secret_anywhere(SECRET, *texts, root=layout.root)


def test_a_symlinked_file_matched_by_a_glob_is_not_read(layout: Layout) -> None:
    secret = plant(layout)
    write_files(
        layout.root,
        {
            "cfg/ok.json": '{"a": 1}',
            "cfg/sub/ok.json": '{"a": 2}',
            "schemas/s.json": STRICT,
            "pyproject.toml": config('[{glob = "cfg/**/*.json", schema = "schemas/s.json"}]'),
        },
    )
    (layout.root / "cfg" / "app.json").symlink_to(secret)
    run, texts = check_everywhere(layout)
    assert run.code == 1
    assert rules(run) == [("path-escapes-root", "cfg/app.json")]
    assert run.verdict is not None and run.verdict["metrics"]["structured_files"] == 2
    no_secret_anywhere(SECRET, *texts, root=layout.root)


@pytest.mark.parametrize("glob", ["../outside/*.json", "/tmp/**/*.json", "cfg/../../outside/*"])
def test_a_glob_that_climbs_out_of_the_root_is_not_searched(layout: Layout, glob: str) -> None:
    plant(layout)
    write_files(
        layout.root,
        {
            "schemas/s.json": STRICT,
            "pyproject.toml": config(f'[{{glob = "{glob}", schema = "schemas/s.json"}}]'),
        },
    )
    run, texts = check_everywhere(layout)
    assert run.code == 1
    assert rules(run) == [("path-escapes-root", None)]
    assert "leaves the project root" in run.findings[0]["message"]
    no_secret_anywhere(SECRET, *texts, root=layout.root)


@pytest.mark.parametrize("form", ["absolute", "relative", "id"])
def test_a_schema_ref_to_a_file_outside_is_a_finding_not_a_read(layout: Layout, form: str) -> None:
    secret = plant(layout)
    schema: dict[str, object] = {
        "type": "object",
        "properties": {"port": {"$ref": secret.as_uri()}},
    }
    if form == "relative":
        schema["properties"] = {"port": {"$ref": "../../outside/secret.json"}}
    if form == "id":  # the base URI moved out of the project, the $ref relative to it
        schema["$id"] = layout.outside.as_uri() + "/"
        schema["properties"] = {"port": {"$ref": "secret.json"}}
    write_files(
        layout.root,
        {
            "cfg/app.json": '{"port": "x"}',
            "schemas/s.json": json.dumps(schema, indent=2),
            "pyproject.toml": config('[{glob = "cfg/*.json", schema = "schemas/s.json"}]'),
        },
    )
    run, texts = check_everywhere(layout)
    assert run.code == 2
    assert rules(run) == [("schema-ref-refused", "schemas/s.json")]
    lines = json.dumps(schema, indent=2).splitlines()
    assert run.findings[0]["line"] == 1 + next(i for i, t in enumerate(lines) if "$ref" in t)
    assert "not resolved" in run.findings[0]["message"]
    no_secret_anywhere(SECRET, *texts, root=layout.root)


def test_a_remote_schema_ref_is_not_fetched(layout: Layout, listener: Listener) -> None:
    schema = {"type": "object", "properties": {"port": {"$ref": f"{listener.url}/port.json"}}}
    write_files(
        layout.root,
        {
            "cfg/app.json": '{"port": 1}',
            "schemas/s.yaml": json.dumps(schema),
            "pyproject.toml": config('[{glob = "cfg/*.json", schema = "schemas/s.yaml"}]'),
        },
    )
    run, _texts = check_everywhere(layout)
    assert run.code == 2
    assert rules(run) == [("schema-ref-refused", "schemas/s.yaml")]
    assert "remote schemas are not fetched" in run.findings[0]["message"]
    time.sleep(0.3)
    assert listener.connections == []


def test_a_schema_file_outside_the_project_is_not_read(layout: Layout) -> None:
    (layout.outside / "s.yaml").write_text(f"type: object\n{SECRET}: [\n", encoding="utf-8")
    write_files(
        layout.root,
        {
            "cfg/app.json": "{}",
            "pyproject.toml": config('[{glob = "cfg/*.json", schema = "../outside/s.yaml"}]'),
        },
    )
    run, texts = check_everywhere(layout)
    assert run.code == 2
    assert run.verdict is not None and "outside the project" in run.verdict["summary"]
    no_secret_anywhere(SECRET, *texts, root=layout.root)


def test_a_markdown_artifact_linked_out_of_the_project_is_not_read(layout: Layout) -> None:
    (layout.outside / "notes.md").write_text(
        f"---\ntype: {SECRET}\nid: {SECRET}\n---\n", encoding="utf-8"
    )
    write_files(layout.root, {"artifacts/tasks/t.md": TASK})
    (layout.root / "artifacts" / "tasks" / "evil.md").symlink_to(layout.outside / "notes.md")
    run, texts = check_everywhere(layout)
    assert run.code == 1
    assert rules(run) == [("path-escapes-root", "artifacts/tasks/evil.md")]
    no_secret_anywhere(SECRET, *texts, root=layout.root)


def test_an_artifacts_folder_linked_out_of_the_project_is_not_read(layout: Layout) -> None:
    (layout.outside / "tasks").mkdir()
    (layout.outside / "tasks" / "t.md").write_text(f"---\ntype: {SECRET}\n---\n")
    (layout.root / "artifacts").symlink_to(layout.outside)
    run, texts = check_everywhere(layout)
    assert run.code == 1
    assert rules(run) == [("path-escapes-root", "artifacts")]
    no_secret_anywhere(SECRET, *texts, root=layout.root)


# -- resource exhaustion ---------------------------------------------------------------------

BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
    f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
    f"*{chr(97 + i)}]\n"
    for i in range(9)
)


def test_alias_bombs_are_refused_in_front_matter_and_structured_files(layout: Layout) -> None:
    write_files(
        layout.root,
        {
            "artifacts/tasks/bomb.md": f"---\n{BOMB}---\n## Acceptance Criteria\n",
            "cfg/bomb.yaml": BOMB,
            "schemas/s.json": '{"type": "object"}',
            "pyproject.toml": config('[{glob = "cfg/*.yaml", schema = "schemas/s.json"}]'),
        },
    )
    start = time.monotonic()
    run, _texts = check_everywhere(layout)
    assert time.monotonic() - start < 10
    assert run.code == 1
    found = {(f["rule"], f["path"]) for f in run.findings}
    assert ("front-matter-syntax", "artifacts/tasks/bomb.md") in found
    assert ("file-syntax", "cfg/bomb.yaml") in found
    assert all("alias bomb" in f["message"] for f in run.findings if "syntax" in f["rule"])


@pytest.mark.parametrize("where", ["artifact", "link-target", "verdict"])
def test_files_linked_to_a_device_are_not_read(layout: Layout, where: str) -> None:
    write_files(layout.root, {"artifacts/tasks/t.md": TASK + "[x](z.md#a)\n"})
    args: list[str] = []
    if where == "artifact":
        (layout.root / "artifacts" / "tasks" / "zero.md").symlink_to("/dev/zero")
    elif where == "link-target":
        os.mkfifo(layout.root / "artifacts" / "tasks" / "z.md.fifo")
        os.rename(
            layout.root / "artifacts" / "tasks" / "z.md.fifo",
            layout.root / "artifacts" / "tasks" / "z.md",
        )
    else:
        (layout.root / ".qualgate" / "verdicts").mkdir(parents=True)
        (layout.root / ".qualgate" / "verdicts" / "x.json").symlink_to("/dev/zero")
        args = ["--verdict-files"]
    start = time.monotonic()
    run, _texts = check_everywhere(layout, *args)
    assert time.monotonic() - start < 10
    no_internal_error(run)
    expected = {
        "artifact": ("path-escapes-root", "artifacts/tasks/zero.md"),
        "link-target": ("unreadable", "artifacts/tasks/z.md"),
        "verdict": ("path-escapes-root", ".qualgate/verdicts/x.json"),
    }
    assert expected[where] in rules(run)


def test_a_fifo_artifact_is_an_unreadable_finding(layout: Layout) -> None:
    write_files(layout.root, {"artifacts/tasks/t.md": TASK})
    os.mkfifo(layout.root / "artifacts" / "tasks" / "pipe.md")
    start = time.monotonic()
    run, _texts = check_everywhere(layout)
    assert time.monotonic() - start < 10
    assert rules(run) == [("unreadable", "artifacts/tasks/pipe.md")]


@pytest.mark.parametrize(
    "body",
    [
        "<a " * 40000,
        '<a name="' * 30000,
        "](x)" * 30000,
        "[x](a (" * 20000,
        "<!--" * 30000,
        "# " + "<a " * 40000,
        "# " + "[a](" * 40000,
        "# a" + " " * 100000 + "b",
        "# a" + " " * 100000 + "#x",
        "[x](" + "a-1" * 70000 + "/b://c)",
    ],
    ids=[
        "a-tags",
        "anchors",
        "link-closers",
        "paren-titles",
        "comments",
        "heading-tags",
        "heading-links",
        "heading-spaces",
        "heading-close",
        "long-target",
    ],
)
def test_hostile_markdown_is_scanned_in_linear_time(layout: Layout, body: str) -> None:
    write_files(layout.root, {"artifacts/tasks/t.md": TASK + body + "\n"})
    start = time.monotonic()
    run, _texts = check_everywhere(layout)
    assert time.monotonic() - start < 10
    no_internal_error(run)


@pytest.mark.parametrize(
    "front",
    [
        "title: x" + " " * 100000 + "y\nid: 1\nstatus: done",
        "tags:\n  - x" + " " * 100000 + "y\nid: 1\nstatus: done",
    ],
    ids=["key-line", "item-line"],
)
def test_fast_yaml_line_patterns_are_linear(layout: Layout, front: str) -> None:
    write_files(
        layout.root, {"artifacts/tasks/t.md": f"---\n{front}\n---\n## Acceptance Criteria\n"}
    )
    start = time.monotonic()
    run, _texts = check_everywhere(layout)
    assert time.monotonic() - start < 10
    no_internal_error(run)


def test_a_glob_with_ten_double_stars_is_matched_in_linear_time(layout: Layout) -> None:
    deep = "/".join(["a"] * 40)
    write_files(
        layout.root,
        {
            f"{deep}/b.json": "{}",
            "schemas/s.json": '{"type": "object"}',
            "pyproject.toml": config(
                '[{glob = "' + "a/**/" * 10 + 'c.json", schema = "schemas/s.json"}]',
                'exclude = ["' + "**/a" * 10 + '/x.md"]\n',
            ),
        },
    )
    write_files(layout.root, {f"artifacts/{deep}/tasks/t.md": TASK})
    start = time.monotonic()
    run, _texts = check_everywhere(layout)
    assert time.monotonic() - start < 10
    no_internal_error(run)
    assert ("glob-no-match", None) in rules(run)


# -- crashes instead of verdicts ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "text", "line"),
    [
        ("cfg/huge.json", '{\n"a": ' + "9" * 5000 + "}", 2),
        ("cfg/deep.json", "[" * 100_000 + "]" * 100_000, 1),
        ("cfg/deep2.json", "[" * 900 + "]" * 900, 1),
        ("cfg/huge.toml", "a = 1\nb = " + "9" * 5000 + "\n", 2),
        ("cfg/deep.toml", "a = " + "[" * 5000 + "]" * 5000 + "\n", 1),
        ("cfg/nul.json", '{"a":\n "\x00"}', 2),
        ("cfg/nul.yaml", "a: 1\nb: \x00\n", 2),
        ("cfg/nul.toml", 'a = "\x00"\n', 1),
        ("cfg/deep.yaml", "a: " + "[" * 5000 + "]" * 5000 + "\n", 1),
        ("cfg/huge.yaml", "a: " + "9" * 5000 + "\n", 1),
    ],
)
def test_monstrous_structured_files_are_located_findings(
    layout: Layout, name: str, text: str, line: int
) -> None:
    write_files(
        layout.root,
        {
            name: text,
            "schemas/s.json": STRICT,
            "pyproject.toml": config('[{glob = "cfg/*", schema = "schemas/s.json"}]'),
        },
    )
    run, _texts = check_everywhere(layout)
    no_internal_error(run)
    assert run.code == 1
    assert [(f["rule"], f["path"], f["line"]) for f in run.findings] == [
        ("file-syntax", name, line)
    ], run.findings


def test_a_nul_byte_in_a_configured_path_is_a_config_error(layout: Layout) -> None:
    write_files(
        layout.root,
        {"pyproject.toml": config('[{glob = "cfg/\\u0000*.json", schema = "s.json"}]')},
    )
    run, _texts = check_everywhere(layout)
    assert run.code == 2
    assert run.verdict is not None and "NUL" in run.verdict["summary"]


@pytest.mark.parametrize(
    "front",
    ["title: x\n\t\nid: 1", "\t", "title: x\x01\nid: 1", "title: a\rb"],
    ids=["tab-line", "tab-only", "control", "carriage-return"],
)
def test_the_fast_front_matter_path_never_passes_invalid_yaml(layout: Layout, front: str) -> None:
    write_files(
        layout.root, {"artifacts/tasks/t.md": f"---\n{front}\n---\n## Acceptance Criteria\n"}
    )
    run, _texts = check_everywhere(layout)
    no_internal_error(run)
    assert run.code == 1
    assert "front-matter-syntax" in [f["rule"] for f in run.findings]


def test_repository_config_cannot_fork_thousands_of_workers() -> None:
    from qualgate.gates.artifact_validate.batch import workers_for

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    assert workers_for(10_000, 10_000) <= 2 * (cores or 1)
    assert workers_for(10_000, 1) == 1


@pytest.mark.parametrize("where", ["structured", "markdown"])
def test_a_deeply_nested_schema_is_an_answer_not_a_crash(layout: Layout, where: str) -> None:
    schema = '{"type": "object", "properties": {"a": ' * 400 + "{}" + "}}" * 400
    write_files(
        layout.root,
        {
            "schemas/deep.json": schema,
            "cfg/app.json": '{"a": {"a": 1}}',
            "artifacts/notes/n.md": "---\ntype: note\na: {a: 1}\n---\n",
            "pyproject.toml": config(
                '[{glob = "cfg/*.json", schema = "schemas/deep.json"}]'
                if where == "structured"
                else "[]",
                'types = {note = {schema = "schemas/deep.json"}}\n' if where == "markdown" else "",
            ),
        },
    )
    run, _texts = check_everywhere(layout)
    no_internal_error(run)
