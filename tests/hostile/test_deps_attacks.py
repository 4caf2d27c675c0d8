"""Attacks on dependency-scan: each test builds the hostile repository and proves the attack
fails. Secrets planted in the environment or beside the repository appear in no output format
and no file qualgate writes; a listening socket sees no connection; canary files prove that no
program of the repository ran; every verdict is a located finding, never an internal error."""

from __future__ import annotations

import json
import os
import stat
import time
from pathlib import Path

import pytest

from qualgate.render import RENDERERS
from tests.gates.dependency_scan import records
from tests.hostile.conftest import SECRET, Layout, Listener, no_secret_anywhere
from tests.support import Run, git_init, run_qualgate, write_files

GATE = "dependency-scan"


def scan_everywhere(
    layout: Layout, *args: str, env: dict[str, str] | None = None
) -> tuple[Run, list[str]]:
    """Run the gate once with every renderer as a report; (run, every text it produced)."""
    reports = layout.root.parent / "reports"
    reports.mkdir(exist_ok=True)
    db = records.write_db(layout.root.parent / "osv-db")
    argv = [
        GATE,
        str(layout.root),
        "--vuln-db",
        str(db),
        "--cache-dir",
        str(layout.root.parent / "cache"),
        "--no-cache",
        *args,
    ]
    for fmt in sorted(RENDERERS):
        argv += ["--report", f"{fmt}:{reports / ('out.' + fmt)}"]
    run = run_qualgate(*argv, env=env)
    texts = [run.stdout, run.stderr]
    texts += [p.read_text(encoding="utf-8", errors="replace") for p in reports.iterdir()]
    return run, texts


def only_findings(run: Run) -> list[tuple[str, str | None, int | None]]:
    return [(f["rule"], f.get("path"), f.get("line")) for f in run.findings]


def assert_no_internal_error(run: Run) -> None:
    assert run.verdict is not None, run.stdout
    assert "internal error" not in run.verdict["summary"], run.verdict["summary"]


# -- secrets out of the runner -------------------------------------------------------------


def test_include_of_proc_self_environ_is_not_followed(layout: Layout) -> None:
    write_files(layout.root, {"requirements.txt": "six==1.16.0\n-r /proc/self/environ\n"})
    run, texts = scan_everywhere(layout, env={"CI_TOKEN": SECRET})
    assert only_findings(run) == [("include-unreadable", "requirements.txt", 2)]
    assert "leads outside the repository" in run.findings[0]["message"]
    no_secret_anywhere(SECRET, *texts, root=layout.root)


@pytest.mark.parametrize("target", ["../outside/creds", "../outside/creds.txt"])
def test_include_outside_the_repository_is_not_followed(layout: Layout, target: str) -> None:
    for name in ("creds", "creds.txt"):
        (layout.outside / name).write_text(f"{SECRET}\ntoken = {SECRET}\n", encoding="utf-8")
    write_files(layout.root, {"requirements.txt": f"six==1.16.0\n-c {target}\n"})
    run, texts = scan_everywhere(layout)
    assert only_findings(run) == [("include-unreadable", "requirements.txt", 2)]
    no_secret_anywhere(SECRET, *texts, root=layout.root)


@pytest.mark.parametrize(
    ("name", "why"),
    [
        (".env", "dotfile"),
        (".git/config", "version-control folder"),
        ("deploy/token", "not named like a requirements file"),
    ],
)
def test_include_of_a_secret_inside_the_checkout_is_not_followed(
    layout: Layout, name: str, why: str
) -> None:
    # CI writes secrets into the checkout (.env; actions/checkout's credentials in .git/config).
    write_files(
        layout.root,
        {name: f"[http]\nextraheader = AUTHORIZATION: basic {SECRET}\n{SECRET}\n"},
    )
    write_files(layout.root, {"requirements.txt": f"six==1.16.0\n-r {name}\n"})
    run, texts = scan_everywhere(layout)
    assert only_findings(run) == [("include-unreadable", "requirements.txt", 2)]
    assert why in run.findings[0]["message"]
    no_secret_anywhere(SECRET, *texts, root=layout.root)


def test_a_requirements_file_linked_out_of_the_repository_is_not_read(layout: Layout) -> None:
    (layout.outside / "creds.txt").write_text(f"{SECRET}\n", encoding="utf-8")
    (layout.root / "requirements.txt").symlink_to(layout.outside / "creds.txt")
    run, texts = scan_everywhere(layout)
    assert only_findings(run) == [("file-unreadable", "requirements.txt", None)]
    assert run.code == 1
    no_secret_anywhere(SECRET, *texts, root=layout.root)


def test_environment_variables_in_requirements_are_never_expanded(layout: Layout) -> None:
    write_files(
        layout.root,
        {
            "requirements.txt": "six==${SIX}\n"
            "tool @ git+https://x-access-token:${CI_TOKEN}@github.com/o/tool.git\n"
            "-r ${CI_TOKEN}.txt\n"
        },
    )
    run, texts = scan_everywhere(layout, env={"CI_TOKEN": SECRET, "SIX": SECRET})
    assert_no_internal_error(run)
    rules = only_findings(run)
    assert ("parse-error", "requirements.txt", 1) in rules
    assert ("include-unreadable", "requirements.txt", 3) in rules
    assert any("${CI_TOKEN}" in f["message"] for f in run.findings)  # shown as written
    no_secret_anywhere(SECRET, *texts, root=layout.root)


def test_an_invalid_requirement_line_is_never_quoted(layout: Layout) -> None:
    write_files(layout.root, {"requirements.txt": f"six==1.16.0\npassword = {SECRET}\n"})
    run, texts = scan_everywhere(layout)
    assert only_findings(run) == [("parse-error", "requirements.txt", 2)]
    no_secret_anywhere(SECRET, *texts, root=layout.root)


# -- code from the checkout, the network -----------------------------------------------------


def _canary_python(layout: Layout) -> Path:
    """A committed `.venv/bin/python` that would leave a canary outside if it ever ran."""
    canary = layout.outside / "ran"
    python = layout.root / ".venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text(f"#!/bin/sh\ntouch {canary}\necho '[]'\n", encoding="utf-8")
    python.chmod(python.stat().st_mode | stat.S_IXUSR)
    return canary


@pytest.mark.parametrize(
    "setting",
    ["installed = true", 'python = ".venv/bin/python"', 'cache-dir = "cache"'],
)
def test_repository_config_cannot_make_the_gate_run_or_read_its_choice(
    layout: Layout, setting: str
) -> None:
    canary = _canary_python(layout)
    write_files(
        layout.root,
        {
            "requirements.txt": "six==1.16.0\n",
            "pyproject.toml": f"[tool.qualgate.dependency-scan]\n{setting}\n",
        },
    )
    run = run_qualgate(GATE, str(layout.root))
    assert run.code == 2
    assert run.verdict is not None
    assert "cannot be set in the repository's configuration" in run.verdict["summary"]
    assert not canary.exists()


def test_a_committed_interpreter_is_not_run_even_with_installed_on_the_command_line(
    layout: Layout,
) -> None:
    canary = _canary_python(layout)
    git_init(layout.root)
    run = run_qualgate(GATE, str(layout.root), "--installed", "--offline")
    assert run.code == 2
    assert run.verdict is not None
    assert "commits its own environment" in run.verdict["summary"]
    assert "--python" in run.verdict["next_steps"][0]
    assert not canary.exists()


def test_repository_config_cannot_point_the_gate_at_a_server(
    layout: Layout, listener: Listener
) -> None:
    write_files(
        layout.root,
        {
            "requirements.txt": "six==1.16.0\n",
            "pyproject.toml": f'[tool.qualgate.dependency-scan]\nosv-url = "{listener.url}"\n',
        },
    )
    run = run_qualgate(GATE, str(layout.root), "--network-timeout", "1")
    assert run.code == 2
    assert run.verdict is not None
    assert "cannot be set in the repository's configuration" in run.verdict["summary"]
    time.sleep(0.3)
    assert listener.connections == []


def test_a_remote_include_is_not_fetched(layout: Layout, listener: Listener) -> None:
    write_files(layout.root, {"requirements.txt": f"six==1.16.0\n-r {listener.url}/r.txt\n"})
    run, _texts = scan_everywhere(layout)
    assert only_findings(run) == [("include-unreadable", "requirements.txt", 2)]
    time.sleep(0.3)
    assert listener.connections == []


# -- resource exhaustion ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        " " * 200_000,
        "six" + " " * 200_000 + "==1.0 #",
        "x" + " " * 200_000 + "y",
        "git+https://h/" + "a-1" * 70_000 + ".whl",
        "-r" + " " * 200_000,
    ],
    ids=["spaces", "spaces-comment", "spaces-inside", "archive-name", "include-spaces"],
)
def test_long_requirement_lines_are_read_in_linear_time(layout: Layout, line: str) -> None:
    write_files(layout.root, {"requirements.txt": f"six==1.16.0\n{line}\n"})
    start = time.monotonic()
    run, _texts = scan_everywhere(layout)
    assert time.monotonic() - start < 10
    assert_no_internal_error(run)


@pytest.mark.parametrize("name", ["requirements.txt", "uv.lock", "package-lock.json"])
def test_dependency_files_linked_to_a_device_are_not_read(layout: Layout, name: str) -> None:
    (layout.root / name).symlink_to("/dev/zero")
    start = time.monotonic()
    run, _texts = scan_everywhere(layout, "--timeout", "30")
    assert time.monotonic() - start < 10
    assert_no_internal_error(run)
    assert only_findings(run) == [("file-unreadable", name, None)]


def test_a_fifo_named_like_a_requirements_file_does_not_hang(layout: Layout) -> None:
    os.mkfifo(layout.root / "requirements.txt")
    start = time.monotonic()
    run, _texts = scan_everywhere(layout, "--timeout", "30")
    assert time.monotonic() - start < 10
    assert only_findings(run) == [("file-unreadable", "requirements.txt", None)]


def test_an_offline_database_in_the_repository_cannot_link_to_a_device(layout: Layout) -> None:
    db = records.write_db(layout.root / "osv")
    (db / "zero.json").symlink_to("/dev/zero")
    (db / "secret.json").symlink_to(layout.outside / "secret.json")
    (layout.outside / "secret.json").write_text(f'{{"id": "{SECRET}"}}', encoding="utf-8")
    write_files(
        layout.root,
        {
            "requirements.txt": "pyyaml==5.3\n",
            "pyproject.toml": '[tool.qualgate.dependency-scan]\nvuln-db = "osv"\n',
        },
    )
    start = time.monotonic()
    run = run_qualgate(
        GATE, str(layout.root), "--cache-dir", str(layout.outside.parent / "c"), "--timeout", "30"
    )
    assert time.monotonic() - start < 20
    assert run.code == 1  # the real records are read, the links are not
    assert {f["rule"] for f in run.findings} == {"vulnerable-dependency"}
    no_secret_anywhere(SECRET, run.stdout, run.stderr, root=layout.root)


# -- crashes instead of verdicts ---------------------------------------------------------------

HUGE = "9" * 5000
DEEP_JSON = "[" * 100_000 + "]" * 100_000
DEEP_TOML = "[" * 5000 + "]" * 5000
MONSTERS: list[tuple[str, str, int | None]] = [
    ("package-lock.json", f'{{"lockfileVersion": 3,\n"packages": {{"x": {HUGE}}}}}', 2),
    ("package-lock.json", '{"lockfileVersion": 3,\n"packages": ' + DEEP_JSON + "}", 2),
    ("package-lock.json", '{"lockfileVersion": 3, "packages": {"node_modules/\x00": {}}}', 1),
    ("Pipfile.lock", f'{{"default": {{}},\n"x": {HUGE}}}', 2),
    ("Pipfile.lock", DEEP_JSON, 1),
    ("poetry.lock", f'[[package]]\nname = "x"\nversion = {HUGE}\n', 3),
    ("uv.lock", f"version = 1\nx = {DEEP_TOML}\n", 2),
    ("pdm.lock", '[[package]]\nname = "x\x00"\n', 2),
    ("pylock.toml", f"lock-version = '1.0'\n\nx = {HUGE}\n", 3),
    ("requirements.txt", "six==1.16.0\n-r a\x00b.txt\n-e ./x\x00y\n./p\x00q\n", 2),
]


@pytest.mark.parametrize(
    ("name", "text", "line"),
    MONSTERS,
    ids=[
        "npm-huge-int",
        "npm-deep",
        "npm-nul",
        "pipfile-huge-int",
        "pipfile-deep",
        "poetry-huge-int",
        "uv-deep",
        "pdm-nul",
        "pylock-huge-int",
        "requirements-nul-paths",
    ],
)
def test_monstrous_lock_files_are_located_findings(
    layout: Layout, name: str, text: str, line: int | None
) -> None:
    (layout.root / name).write_text(text, encoding="utf-8")
    run, texts = scan_everywhere(layout)
    assert_no_internal_error(run)
    assert run.code in (1, 2)
    located = [f for f in run.findings if f.get("path") == name]
    assert located, run.verdict
    assert located[0]["line"] == line, located
    for text_out in texts:
        assert "\x00" not in text_out


def test_a_lone_surrogate_in_a_package_lock_name_is_rendered_everywhere(layout: Layout) -> None:
    lock = {
        "lockfileVersion": 3,
        "packages": {
            "": {"name": "app"},
            "node_modules/\ud800evil": {"version": "1.0.0", "license": "MIT"},
            "node_modules/\udfffgit": {"version": "git+ssh://h/x.git", "license": "MIT"},
        },
    }
    text = json.dumps(lock, indent=2)  # ensure_ascii: the surrogate is written as \ud800
    assert "\\ud800" in text
    (layout.root / "package-lock.json").write_text(text, encoding="utf-8")
    sbom = layout.root / "sbom.json"
    run, texts = scan_everywhere(layout, "--sbom", str(sbom))
    assert_no_internal_error(run)
    names = {c["name"] for c in json.loads(sbom.read_text(encoding="utf-8"))["components"]}
    assert names == {"\ufffdevil", "\ufffdgit"}
    for out in texts:
        out.encode("utf-8")  # every rendering is writable text
    assert [f["rule"] for f in run.findings] == ["unscannable-dependency"]
    assert run.findings[0]["message"].startswith("\ufffdgit comes from")


def test_sbom_is_not_written_through_a_link_out_of_the_project(layout: Layout) -> None:
    (layout.root / "reports").symlink_to(layout.outside)
    write_files(layout.root, {"requirements.txt": "six==1.16.0\n"})
    run, _texts = scan_everywhere(layout, "--sbom", str(layout.root / "reports" / "sbom.json"))
    assert run.code == 2
    assert layout.outside_untouched()


def test_every_attack_at_once_is_one_valid_located_verdict(layout: Layout) -> None:
    # One repository holding every attack at once still yields one valid, located verdict.
    (layout.outside / "creds.txt").write_text(f"{SECRET}\n", encoding="utf-8")
    write_files(
        layout.root,
        {
            "requirements.txt": "six==${CI_TOKEN}\n-r /proc/self/environ\n-r ../outside/creds.txt\n"
            + " " * 200_000
            + "\n",
            "package-lock.json": f'{{"lockfileVersion": 3, "packages": {{"x": {HUGE}}}}}',
        },
    )
    run, texts = scan_everywhere(layout, env={"CI_TOKEN": SECRET})
    assert_no_internal_error(run)
    assert run.code == 1
    assert {f["rule"] for f in run.findings} == {"parse-error", "include-unreadable"}
    no_secret_anywhere(SECRET, *texts, root=layout.root)


def test_blank_lines_in_pyproject_do_not_make_locating_quadratic(layout: Layout) -> None:
    blank = "\n" * 200_000
    write_files(
        layout.root,
        {
            "pyproject.toml": f"[tool.poetry.dependencies]\n{blank}six = '1.0'\n{blank}"
            '[project]\nname = "x"\ndependencies = ["a>=1"]\n'
        },
    )
    start = time.monotonic()
    run, _texts = scan_everywhere(layout)
    assert time.monotonic() - start < 10
    assert_no_internal_error(run)
    assert ("unpinned-dependency", "pyproject.toml", 400_005) in only_findings(run)
