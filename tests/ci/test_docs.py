"""docs/ci.md's copy-paste setups are valid: schemas, zizmor, pre-commit's own validator."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support import REPO

DOC = REPO / "docs" / "ci.md"
_BLOCK = re.compile(r"```yaml\n(.*?)```", re.S)


def blocks() -> list[str]:
    return _BLOCK.findall(DOC.read_text(encoding="utf-8"))


def kind(text: str) -> str:
    document: Any = yaml.safe_load(text)
    if isinstance(document, dict) and "jobs" in document:
        return "github"
    if isinstance(document, dict) and "repos" in document:
        return "pre-commit"
    return "gitlab"


def _dev_tool(name: str) -> str:
    found = shutil.which(name, path=str(Path(sys.executable).parent))
    if found is None:
        pytest.skip(f"{name} is not installed (dev extra)")
    return found


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_the_doc_has_each_setup() -> None:
    kinds = [kind(b) for b in blocks()]
    assert kinds.count("github") == 3  # plain, fork-safe, sharded
    assert kinds.count("gitlab") == 1
    assert kinds.count("pre-commit") == 1


@pytest.mark.parametrize("index", range(len(blocks())))
def test_each_block_is_valid_for_its_consumer(index: int, tmp_path: Path) -> None:
    text = blocks()[index]
    checker = _dev_tool("check-jsonschema")
    which = kind(text)
    if which == "pre-commit":
        path = _write(tmp_path, ".pre-commit-config.yaml", text)
        argv = [_dev_tool("pre-commit"), "validate-config", str(path)]
    else:
        schema = "vendor.github-workflows" if which == "github" else "vendor.gitlab-ci"
        path = _write(tmp_path, "workflow.yml", text)
        argv = [checker, "--builtin-schema", schema, str(path)]
    done = subprocess.run(argv, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("index", [i for i, b in enumerate(blocks()) if kind(b) == "github"])
def test_github_workflows_pass_zizmor_and_keep_expressions_out_of_scripts(
    index: int, tmp_path: Path
) -> None:
    text = blocks()[index]
    workflow: Any = yaml.safe_load(text)
    for job in workflow["jobs"].values():
        for step in job["steps"]:
            assert "${{" not in step.get("run", ""), step
    path = _write(tmp_path, ".github/workflows/quality.yml", text)
    # Every third-party action is pinned to a commit; qualgate's own reference is the one the
    # reader replaces (no release to pin yet), so it alone may be a ref.
    config = _write(
        tmp_path,
        "zizmor.yml",
        "rules:\n  unpinned-uses:\n    config:\n      policies:\n        qualgate/*: ref-pin\n",
    )
    done = subprocess.run(
        [_dev_tool("zizmor"), "--offline", "--config", str(config), "--format", "plain", str(path)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_documented_inputs_and_outputs_are_the_actions() -> None:
    action: Any = yaml.safe_load((REPO / "action.yml").read_text(encoding="utf-8"))
    doc = DOC.read_text(encoding="utf-8")
    documented_inputs = set(re.findall(r"^\| `([a-z-]+)` \| [^|]*\| ", doc, re.M))
    assert set(action["inputs"]) <= documented_inputs
    for output in action["outputs"]:
        assert f"| `{output}` |" in doc
