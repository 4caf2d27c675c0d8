"""action.yml, run step by step as the Actions runner would, on a real project and git checkout.

Each scenario simulates one event (a pull request from the same repository, one from a fork,
a push, a shallow checkout) with its ``GITHUB_*`` environment and payload, runs the
composite action's steps (``uses:`` steps are handled by the test: setup-python gives an
interpreter, upload-sarif records what it was given), and asserts the outputs, the job
summary, the annotations and the SARIF files.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from tests.ci.actionrun import ActionRun, run_action, runner_env
from tests.support import FIXTURES, REPO, assert_valid_verdict, git, git_init, write_files

ACTION = REPO / "action.yml"
SARIF_SCHEMA = json.loads(
    (FIXTURES / "render" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8")
)
OSV = FIXTURES / "deps" / "mixed-npm" / "osv" / "urllib3"
REPOSITORY = "acme/app"

BASE_FILES = {
    "pyproject.toml": (
        '[project]\nname = "app"\nversion = "1"\n\n'
        '[tool.qualgate.lint-format]\nchecks = ["ruff"]\n\n'
        '[tool.qualgate.dependency-scan]\noffline = true\nvuln-db = "osv"\n'
    ),
    "app.py": "import os\n\n\ndef main() -> int:\n    return 0\n",
    "requirements.txt": "urllib3==1.26.17\n",
}
# The pull request: a new unused import on a new line, and a vulnerable pin.
PR_FILES = {
    "feature.py": "import sys\n\n\ndef feature() -> int:\n    return 1\n",
    "requirements.txt": "urllib3==1.26.16\n",
}


@dataclass
class Upload:
    calls: list[dict[str, str]] = field(default_factory=list)
    fail: bool = False

    def __call__(self, given: Mapping[str, str]) -> Mapping[str, str]:
        self.calls.append(dict(given))
        if self.fail:
            raise RuntimeError("Advanced Security must be enabled for this repository")
        return {"sarif-id": "42"}


def _setup_python(given: Mapping[str, str]) -> Mapping[str, str]:
    assert given["update-environment"] == "false"  # the job's own Python stays first on PATH
    return {"python-path": sys.executable, "python-version": given["python-version"]}


def make_checkout(tmp_path: Path) -> tuple[Path, str, str]:
    """A repository whose HEAD is a pull request's merge commit: (checkout, base, head)."""
    origin = write_files(tmp_path / "origin", BASE_FILES)
    shutil.copytree(OSV, origin / "osv" / "urllib3")
    git_init(origin)
    base = git(origin, "rev-parse", "HEAD").strip()
    git(origin, "checkout", "-q", "-b", "feature")
    write_files(origin, PR_FILES)
    git(origin, "add", "-A")
    git(origin, "commit", "-q", "-m", "feature")
    head = git(origin, "rev-parse", "HEAD").strip()
    git(origin, "checkout", "-q", "main")
    # What actions/checkout checks out for a pull request: refs/pull/N/merge.
    git(origin, "merge", "-q", "--no-ff", "feature", "-m", "Merge feature into main")
    return origin, base, head


def pull_request_payload(base: str, head: str, head_repo: str = REPOSITORY) -> dict[str, Any]:
    return {
        "action": "synchronize",
        "number": 7,
        "pull_request": {
            "number": 7,
            "base": {"ref": "main", "sha": base, "repo": {"full_name": REPOSITORY}},
            "head": {"ref": "feature", "sha": head, "repo": {"full_name": head_repo}},
        },
        "repository": {"full_name": REPOSITORY},
    }


def act(
    tmp_path: Path,
    checkout: Path,
    event: str,
    payload: Mapping[str, Any],
    inputs: Mapping[str, str] | None = None,
    upload: Upload | None = None,
    overrides: Mapping[str, Mapping[str, str]] | None = None,
) -> tuple[ActionRun, Upload]:
    payload_file = tmp_path / "event.json"
    payload_file.write_text(json.dumps(payload), encoding="utf-8")
    env = runner_env(tmp_path, event, payload_file, REPOSITORY)
    upload = upload or Upload()
    run = run_action(
        ACTION,
        inputs={"gates": "lint-format, dependency-scan", **(inputs or {})},
        workspace=checkout,
        env=env,
        github={"event_name": event, "repository": REPOSITORY, "workspace": str(checkout)},
        uses={
            "actions/setup-python": _setup_python,
            "github/codeql-action/upload-sarif": upload,
        },
        # The real install step has its own (slow) test; here, the action's qualgate is ours.
        overrides={"install": {"python": sys.executable}} if overrides is None else overrides,
    )
    return run, upload


def sarif_runs(folder: Path) -> dict[str, dict[str, Any]]:
    """Each SARIF file, validated; by the gate its single run reports on."""
    validator = jsonschema.Draft4Validator(SARIF_SCHEMA)
    runs = {}
    for path in sorted(folder.glob("*.sarif")):
        document = json.loads(path.read_text(encoding="utf-8"))
        assert not list(validator.iter_errors(document)), path
        (run,) = document["runs"]
        runs[path.stem] = run
    return runs


def verdict_of(run: ActionRun) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(Path(run.outputs["verdict"]).read_text(encoding="utf-8"))
    assert_valid_verdict(document)
    return document


def test_pull_request_judges_the_change_and_uploads_one_sarif_run_per_gate(
    tmp_path: Path,
) -> None:
    checkout, base, head = make_checkout(tmp_path)
    run, upload = act(tmp_path, checkout, "pull_request", pull_request_payload(base, head))

    assert run.failed  # the gate failed, so does the step: the job is red
    assert run.steps["run"].returncode == 1, run.steps["run"].stderr
    assert run.outputs["status"] == "fail"
    verdict = verdict_of(run)
    assert verdict["gate"] == "all" and verdict["status"] == "fail"
    # Judged against the merge base: the old unused import is existing, the new one blocks.
    assert verdict["project"]["base"] == base
    blocking = sorted((f["rule"], f["path"]) for f in verdict["findings"] if not f.get("existing"))
    assert blocking == [("F401", "feature.py"), ("vulnerable-dependency", "requirements.txt")]
    assert any(f["path"] == "app.py" and f.get("existing") for f in verdict["findings"])

    # Annotations in the log, and the job summary.
    log = run.steps["run"].stdout
    assert "::error file=feature.py,line=1," in log
    assert "::error file=requirements.txt,line=1," in log
    assert "qualgate all: fail" in log
    assert "<!-- qualgate:all -->" in run.summary
    assert "❌" in run.summary

    # One SARIF run per gate, each its own category; the upload got the folder.
    folder = Path(run.outputs["sarif"])
    runs = sarif_runs(folder)
    assert sorted(runs) == ["dependency-scan", "lint-format"]
    for gate, sarif_run in runs.items():
        assert sarif_run["automationDetails"]["id"] == f"qualgate/{gate}/"
    rules = {r["id"]: r for r in runs["dependency-scan"]["tool"]["driver"]["rules"]}
    advisory = rules["vulnerable-dependency/GHSA-v845-jxx5-vc9f"]
    assert "security" in advisory["properties"]["tags"]
    assert float(advisory["properties"]["security-severity"]) > 0
    assert [c["sarif_file"] for c in upload.calls] == [str(folder)]
    assert run.steps["upload"].outcome == "success"
    assert not run.steps["__4"].ran  # no upload-failure note


def test_pull_request_from_a_fork_skips_the_upload_with_a_note(tmp_path: Path) -> None:
    checkout, base, head = make_checkout(tmp_path)
    payload = pull_request_payload(base, head, head_repo="someone/app")
    run, upload = act(tmp_path, checkout, "pull_request", payload)

    assert run.outputs["status"] == "fail"
    assert upload.calls == []
    assert not run.steps["upload"].ran
    # Annotations and the summary still carry every finding; the note says why no upload.
    assert "::error file=feature.py,line=1," in run.steps["run"].stdout
    assert "SARIF upload skipped: this pull request comes from a fork" in run.summary
    assert "::notice title=qualgate::SARIF upload skipped" in run.steps["run"].stdout
    assert sorted(sarif_runs(Path(run.outputs["sarif"]))) == ["dependency-scan", "lint-format"]


def test_push_judges_the_whole_project(tmp_path: Path) -> None:
    checkout, _base, _head = make_checkout(tmp_path)
    payload = {"ref": "refs/heads/main", "repository": {"full_name": REPOSITORY}}
    run, upload = act(tmp_path, checkout, "push", payload)

    verdict = verdict_of(run)
    assert verdict["project"]["base"] is None
    assert not any(f.get("existing") for f in verdict["findings"])
    paths = {f["path"] for f in verdict["findings"] if f["rule"] == "F401"}
    assert paths == {"app.py", "feature.py"}
    assert run.outputs["status"] == "fail"
    assert len(upload.calls) == 1


def test_a_checkout_too_shallow_for_the_merge_base_is_an_error_saying_how_to_fetch(
    tmp_path: Path,
) -> None:
    origin, base, head = make_checkout(tmp_path)
    shallow = tmp_path / "shallow"
    subprocess.run(
        ["git", "clone", "-q", "--depth", "1", f"file://{origin}", str(shallow)], check=True
    )
    run, upload = act(tmp_path, shallow, "pull_request", pull_request_payload(base, head))

    assert run.outputs["status"] == "error"
    assert run.steps["run"].returncode == 2
    verdict = verdict_of(run)
    assert verdict["summary"] == (
        f"cannot find the merge base with the target branch main ({base[:12]}): "
        "the checkout is too shallow"
    )
    assert "fetch-depth: 0" in verdict["next_steps"][0]
    assert "::error title=qualgate all::cannot find the merge base" in run.steps["run"].stdout
    assert "too shallow" in run.summary
    assert upload.calls == [] and run.outputs["sarif"] == ""


def test_an_explicit_base_and_none(tmp_path: Path) -> None:
    checkout, base, head = make_checkout(tmp_path)
    payload = pull_request_payload(base, head)
    run, _ = act(tmp_path, checkout, "pull_request", payload, inputs={"base": "none"})
    assert verdict_of(run)["project"]["base"] is None
    (tmp_path / "step-summary.md").write_text("", encoding="utf-8")
    run, _ = act(tmp_path, checkout, "pull_request", payload, inputs={"base": "HEAD~1"})
    assert verdict_of(run)["project"]["base"] == "HEAD~1"


def test_a_gate_that_could_not_check_is_left_out_of_the_upload(tmp_path: Path) -> None:
    checkout, _base, _head = make_checkout(tmp_path)
    shutil.rmtree(checkout / "osv")  # offline without its database: dependency-scan errors
    payload = {"ref": "refs/heads/main", "repository": {"full_name": REPOSITORY}}
    run, upload = act(tmp_path, checkout, "push", payload)

    # (Whether `all` ranks an error above a failure is the composite's call.)
    status = verdict_of(run)["status"]
    assert run.outputs["status"] == status in ("fail", "error")
    assert run.steps["run"].returncode == {"fail": 1, "error": 2}[status]
    gates = {c["name"]: c["status"] for c in verdict_of(run)["checks"]}
    assert gates == {"lint-format": "fail", "dependency-scan": "error"}
    assert sorted(sarif_runs(Path(run.outputs["sarif"]))) == ["lint-format"]
    assert len(upload.calls) == 1
    assert "`dependency-scan` could not check, so its SARIF is not uploaded" in run.summary


def test_a_failed_upload_is_reported_and_does_not_hide_the_verdict(tmp_path: Path) -> None:
    checkout, _base, _head = make_checkout(tmp_path)
    payload = {"ref": "refs/heads/main", "repository": {"full_name": REPOSITORY}}
    run, _ = act(tmp_path, checkout, "push", payload, upload=Upload(fail=True))
    assert run.steps["upload"].outcome == "failure"
    assert run.steps["upload"].conclusion == "success"  # continue-on-error
    assert run.steps["__4"].ran
    assert "::warning title=qualgate SARIF upload::" in run.steps["__4"].stdout
    assert "The SARIF upload to code scanning failed" in run.summary
    assert run.outputs["status"] == "fail"


def test_bad_inputs_are_error_verdicts(tmp_path: Path) -> None:
    checkout, _base, _head = make_checkout(tmp_path)
    payload = {"ref": "refs/heads/main", "repository": {"full_name": REPOSITORY}}
    run, upload = act(tmp_path, checkout, "push", payload, inputs={"gates": "lint-format nope"})
    assert run.outputs["status"] == "error"
    assert verdict_of(run)["summary"] == "unknown gate in the `gates` input: nope"
    assert upload.calls == []
    run, _ = act(tmp_path, checkout, "push", payload, inputs={"args": "--no-such-option"})
    assert run.outputs["status"] == "error"
    assert verdict_of(run)["summary"] == "qualgate exited with 2 without a verdict"
    run, _ = act(tmp_path, checkout, "push", payload, inputs={"args": "'unclosed"})
    assert verdict_of(run)["summary"].startswith("the `args` input:")


def test_hostile_inputs_never_reach_a_shell(tmp_path: Path) -> None:
    checkout, _base, _head = make_checkout(tmp_path)
    payload = {"ref": "refs/heads/main", "repository": {"full_name": REPOSITORY}}
    marker = tmp_path / "pwned"
    hostile = f"lint-format; touch {marker} $(touch {marker}) `touch {marker}`"
    run, _ = act(tmp_path, checkout, "push", payload, inputs={"gates": hostile, "args": hostile})
    assert not marker.exists()
    assert run.outputs["status"] == "error"


# ---------------------------------------------------------------------------
# The action file itself.

_RUN_LINE = re.compile(r"^(?P<indent>\s*)(?:-\s+)?run:\s*(?P<rest>.*)$")


def test_no_expression_inside_a_run_block() -> None:
    """Inputs reach the shell only through env: (no `${{ inputs` in any run: block)."""
    text = ACTION.read_text(encoding="utf-8")
    lines = text.splitlines()
    in_run, indent, checked = False, 0, 0
    for line in lines:
        match = _RUN_LINE.match(line)
        if match:
            in_run, indent = True, len(match.group("indent"))
            body = match.group("rest")
        elif in_run and (not line.strip() or len(line) - len(line.lstrip()) > indent):
            body = line
        else:
            in_run = False
            continue
        checked += 1
        assert "${{" not in body, line
    assert checked >= 4
    # The same from the parsed YAML, for every run step.
    steps = yaml.safe_load(text)["runs"]["steps"]
    runs = [s["run"] for s in steps if "run" in s]
    assert runs and all("${{" not in r for r in runs)
    # Every input is read somewhere (through env: or with:), none is dead.
    used = json.dumps([s.get("env", {}) | s.get("with", {}) | {"if": s.get("if")} for s in steps])
    for name in yaml.safe_load(text)["inputs"]:
        assert f"inputs.{name}" in used, name


def test_the_action_matches_the_published_schema() -> None:
    checker = shutil.which("check-jsonschema", path=str(Path(sys.executable).parent))
    if checker is None:
        pytest.skip("check-jsonschema is not installed (dev extra)")
    done = subprocess.run(
        [checker, "--builtin-schema", "vendor.github-actions", str(ACTION)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_zizmor_finds_nothing_in_the_action() -> None:
    zizmor = shutil.which("zizmor", path=str(Path(sys.executable).parent))
    if zizmor is None:
        pytest.skip("zizmor is not installed (dev extra)")
    done = subprocess.run(
        [zizmor, "--offline", "--format", "plain", "--persona", "pedantic", str(ACTION)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_helper_scripts_are_posix_sh() -> None:
    for script in sorted((REPO / "tools" / "ci" / "action").glob("*.sh")):
        done = subprocess.run(["sh", "-n", str(script)], capture_output=True, text=True)
        assert done.returncode == 0, (script, done.stderr)
        checkbashisms = shutil.which("checkbashisms")
        if checkbashisms:
            done = subprocess.run([checkbashisms, str(script)], capture_output=True, text=True)
            assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.slow
def test_the_install_step_builds_an_environment_of_its_own(tmp_path: Path) -> None:
    """The real install step (pip from the action's checkout), then a run with that qualgate."""
    checkout, _base, _head = make_checkout(tmp_path)
    payload = {"ref": "refs/heads/main", "repository": {"full_name": REPOSITORY}}
    # lint-format would need ruff beside the project; dependency-scan needs nothing more.
    run, _ = act(tmp_path, checkout, "push", payload, {"gates": "dependency-scan"}, overrides={})
    install = run.steps["install"]
    assert install.returncode == 0, install.stdout + install.stderr
    python = Path(install.outputs["python"])
    assert python.is_relative_to(tmp_path / "runner-temp")
    assert python != Path(sys.executable)
    assert run.steps["run"].returncode == 1, run.steps["run"].stderr
    assert run.outputs["status"] == "fail"
    assert sorted(sarif_runs(Path(run.outputs["sarif"]))) == ["dependency-scan"]


def test_a_pull_request_that_touches_no_gate_input_passes_quietly(tmp_path: Path) -> None:
    origin = write_files(
        tmp_path / "origin", BASE_FILES | {"app.py": "def main() -> int:\n    return 0\n"}
    )
    shutil.copytree(OSV, origin / "osv" / "urllib3")
    git_init(origin)
    base = git(origin, "rev-parse", "HEAD").strip()
    write_files(origin, {"README.md": "# app\n"})
    git(origin, "add", "-A")
    git(origin, "commit", "-q", "-m", "docs")
    run, upload = act(tmp_path, origin, "pull_request", pull_request_payload(base, base))

    assert run.steps["run"].returncode == 0, run.steps["run"].stdout + run.steps["run"].stderr
    assert run.outputs["status"] in ("pass", "skipped")
    assert "no SARIF" not in run.summary and "::notice" not in run.steps["run"].stdout
    # Gates that ran (pass) upload their empty runs; gates `all` did not run upload nothing.
    uploaded = sorted(sarif_runs(Path(run.outputs["sarif"]))) if run.outputs["sarif"] else []
    gates = {c["name"]: c["status"] for c in verdict_of(run)["checks"]}
    assert uploaded == sorted(g for g, s in gates.items() if s == "pass")
    assert len(upload.calls) == (1 if uploaded else 0)
