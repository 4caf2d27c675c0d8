"""A small runner for composite actions, enough to run action.yml's steps in tests.

It does what the GitHub Actions runner does for a composite action: applies the inputs'
defaults, evaluates ``${{ }}`` expressions (the subset action.yml uses: contexts,
literals, ``==``/``!=``/``!``/``&&``/``||``, status functions) in ``if:``, ``env:``,
``with:`` and the outputs, runs each ``run:`` step with its ``shell`` in a fresh process
whose environment holds the step's ``env:`` and the ``GITHUB_*`` files (``GITHUB_OUTPUT``
read back as the step's outputs, ``GITHUB_STEP_SUMMARY``, ``GITHUB_EVENT_PATH``...), and
hands ``uses:`` steps to handlers the test provides (the runner cannot fetch actions).
Steps run while the job succeeds unless their ``if:`` says otherwise; a failed step marked
``continue-on-error`` has outcome ``failure`` and conclusion ``success``.
"""

from __future__ import annotations

import math
import os
import re
import subprocess
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

Handler = Callable[[Mapping[str, str]], Mapping[str, str]]
_EXPR = re.compile(r"\$\{\{(.*?)\}\}", re.S)
_TOKEN = re.compile(
    r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<num>-?\d+(?:\.\d+)?)|(?P<op>==|!=|&&|\|\||[!(),])"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_-]*(?:\.[A-Za-z_*][A-Za-z0-9_-]*)*))"
)


class ExpressionError(ValueError):
    pass


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            raise ExpressionError(f"cannot parse {text!r} at {pos}")
        kind = match.lastgroup or ""
        out.append((kind, match.group(kind)))
        pos = match.end()
        while pos < len(text) and text[pos].isspace():
            pos += 1
    return out


def _number(value: Any) -> float:
    if value is None:
        return 0.0
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        if not value.strip():
            return 0.0
        try:
            return float(value)
        except ValueError:
            return math.nan
    return math.nan


def _equal(a: Any, b: Any) -> bool:
    if isinstance(a, str) and isinstance(b, str):
        return a.casefold() == b.casefold()
    return _number(a) == _number(b)


def truthy(value: Any) -> bool:
    if value is None or value is False or value == "":
        return False
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value != 0 and not math.isnan(value)
    return True


def text_of(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class _Parser:
    def __init__(self, text: str, contexts: Mapping[str, Any], status: Callable[[str], bool]):
        self.tokens = _tokens(text)
        self.pos = 0
        self.contexts = contexts
        self.status = status

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self, value: str | None = None) -> tuple[str, str]:
        token = self.peek()
        if token is None or (value is not None and token[1] != value):
            raise ExpressionError(f"expected {value!r}, got {token!r}")
        self.pos += 1
        return token

    def parse(self) -> Any:
        value = self.or_()
        if self.peek() is not None:
            raise ExpressionError(f"trailing {self.peek()!r}")
        return value

    def or_(self) -> Any:
        value = self.and_()
        while self.peek() == ("op", "||"):
            self.take()
            right = self.and_()
            value = value if truthy(value) else right
        return value

    def and_(self) -> Any:
        value = self.compare()
        while self.peek() == ("op", "&&"):
            self.take()
            right = self.compare()
            value = right if truthy(value) else value
        return value

    def compare(self) -> Any:
        left = self.unary()
        token = self.peek()
        if token in (("op", "=="), ("op", "!=")):
            self.take()
            right = self.unary()
            same = _equal(left, right)
            return same if token == ("op", "==") else not same
        return left

    def unary(self) -> Any:
        if self.peek() == ("op", "!"):
            self.take()
            return not truthy(self.unary())
        return self.primary()

    def primary(self) -> Any:
        kind, value = self.take()
        if kind == "str":
            return value[1:-1].replace("''", "'")
        if kind == "num":
            return float(value)
        if kind == "op" and value == "(":
            inner = self.or_()
            self.take(")")
            return inner
        if kind != "name":
            raise ExpressionError(f"unexpected {value!r}")
        if value in ("true", "false"):
            return value == "true"
        if value == "null":
            return None
        if self.peek() == ("op", "("):
            self.take()
            self.take(")")
            return self.status(value)
        node: Any = self.contexts
        for part in value.split("."):
            node = node.get(part) if isinstance(node, Mapping) else None
        return node


@dataclass
class StepResult:
    id: str
    ran: bool
    outcome: str = "skipped"  # success | failure | skipped
    conclusion: str = "skipped"
    outputs: dict[str, str] = field(default_factory=dict)
    stdout: str = ""
    stderr: str = ""
    returncode: int | None = None
    with_: dict[str, str] = field(default_factory=dict)


@dataclass
class ActionRun:
    steps: dict[str, StepResult]
    outputs: dict[str, str]
    failed: bool
    summary: str

    @property
    def log(self) -> str:
        return "".join(s.stdout for s in self.steps.values())


def read_output_file(path: Path) -> dict[str, str]:
    """``GITHUB_OUTPUT``: ``name=value`` lines and ``name<<DELIMITER`` blocks."""
    outputs: dict[str, str] = {}
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    i = 0
    while i < len(lines):
        line = lines[i]
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            block: list[str] = []
            i += 1
            while i < len(lines) and lines[i] != delimiter:
                block.append(lines[i])
                i += 1
            outputs[name] = "\n".join(block)
        elif "=" in line:
            name, value = line.split("=", 1)
            outputs[name] = value
        i += 1
    return outputs


def run_action(
    action_file: Path,
    *,
    inputs: Mapping[str, str],
    workspace: Path,
    env: Mapping[str, str],
    github: Mapping[str, Any],
    uses: Mapping[str, Handler],
    overrides: Mapping[str, Mapping[str, str]] | None = None,
) -> ActionRun:
    """Run the composite action in ``action_file`` as the runner would.

    ``env`` is the job's environment (``GITHUB_*``, ``RUNNER_TEMP``, ``PATH``...);
    ``github`` the ``github`` context; ``uses`` maps an action (``owner/name[/path]``,
    without ``@ref``) to a handler of its ``with:`` that returns its outputs or raises;
    ``overrides`` gives a step (by id) outputs instead of running it.
    """
    action = yaml.safe_load(action_file.read_text(encoding="utf-8"))
    declared = action.get("inputs") or {}
    unknown = set(inputs) - set(declared)
    if unknown:
        raise ValueError(f"undeclared inputs: {sorted(unknown)}")
    values = {name: str(spec.get("default", "")) for name, spec in declared.items()}
    values.update(inputs)
    results: dict[str, StepResult] = {}
    failed = False
    summary = Path(env["GITHUB_STEP_SUMMARY"])

    def status(name: str) -> bool:
        if name == "always":
            return True
        if name == "cancelled":
            return False
        if name == "success":
            return not failed
        if name == "failure":
            return failed
        raise ExpressionError(f"unknown function {name}()")

    def contexts() -> dict[str, Any]:
        return {
            "inputs": values,
            "steps": {
                k: {"outputs": v.outputs, "outcome": v.outcome, "conclusion": v.conclusion}
                for k, v in results.items()
            },
            "github": {**github, "action_path": str(action_file.parent)},
            "runner": {"temp": env.get("RUNNER_TEMP", ""), "os": "Linux"},
            "env": dict(env),
        }

    def evaluate(expression: str) -> Any:
        return _Parser(expression, contexts(), status).parse()

    def interpolate(text: Any) -> str:
        raw = text_of(text)  # YAML's `false` is the string "false" to an action
        whole = _EXPR.fullmatch(raw.strip())
        if whole:
            return text_of(evaluate(whole.group(1)))
        return _EXPR.sub(lambda m: text_of(evaluate(m.group(1))), raw)

    for index, step in enumerate(action["runs"]["steps"]):
        step_id = step.get("id") or f"__{index}"
        result = StepResult(id=step_id, ran=False)
        results[step_id] = result
        condition = str(step.get("if", "success()")).strip()
        if condition.startswith("${{") and condition.endswith("}}"):
            condition = condition[3:-2]
        if not any(f in condition for f in ("always()", "cancelled()", "failure()", "success()")):
            condition = f"success() && ({condition})"
        if not truthy(evaluate(condition)):
            continue
        result.ran = True
        if overrides and step_id in overrides:
            result.outputs = dict(overrides[step_id])
            result.outcome = result.conclusion = "success"
            continue
        ok = True
        if "uses" in step:
            name = str(step["uses"]).split("@", 1)[0]
            result.with_ = {k: interpolate(v) for k, v in (step.get("with") or {}).items()}
            try:
                result.outputs = dict(uses[name](result.with_))
            except Exception as exc:  # noqa: BLE001 - a failing action is a failed step
                result.stderr = f"{type(exc).__name__}: {exc}"
                ok = False
        else:
            step_env = {k: interpolate(v) for k, v in (step.get("env") or {}).items()}
            with tempfile.TemporaryDirectory() as scratch:
                output_file = Path(scratch) / "output"
                output_file.touch()
                script = Path(scratch) / "step.sh"
                script.write_text(str(step["run"]), encoding="utf-8")
                shell = step.get("shell")
                if shell not in ("sh", "bash"):
                    raise ValueError(f"step {step_id}: shell {shell!r} is not supported here")
                done = subprocess.run(
                    [shell, "-e", str(script)],
                    cwd=workspace,
                    env={
                        **env,
                        **step_env,
                        "GITHUB_OUTPUT": str(output_file),
                        "GITHUB_ACTION_PATH": str(action_file.parent),
                    },
                    capture_output=True,
                    text=True,
                    timeout=900,
                    check=False,
                )
                result.outputs = read_output_file(output_file)
            result.stdout, result.stderr, result.returncode = (
                done.stdout,
                done.stderr,
                done.returncode,
            )
            ok = done.returncode == 0
        result.outcome = "success" if ok else "failure"
        result.conclusion = "success" if ok or step.get("continue-on-error") else "failure"
        if result.conclusion == "failure":
            failed = True
    outputs = {
        name: interpolate(spec.get("value", ""))
        for name, spec in (action.get("outputs") or {}).items()
    }
    text = summary.read_text(encoding="utf-8") if summary.exists() else ""
    return ActionRun(steps=results, outputs=outputs, failed=failed, summary=text)


def runner_env(tmp: Path, event_name: str, payload_file: Path, repository: str) -> dict[str, str]:
    """The job environment a GitHub-hosted runner gives every step (what the action reads)."""
    (tmp / "runner-temp").mkdir(exist_ok=True)
    summary = tmp / "step-summary.md"
    summary.touch()
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "PIP_CACHE_DIR", "PIP_INDEX_URL")
    return {
        **{k: os.environ[k] for k in keep if k in os.environ},
        "CI": "true",
        "GITHUB_ACTIONS": "true",
        "GITHUB_EVENT_NAME": event_name,
        "GITHUB_EVENT_PATH": str(payload_file),
        "GITHUB_REPOSITORY": repository,
        "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_WORKSPACE": str(tmp / "workspace"),
        "RUNNER_TEMP": str(tmp / "runner-temp"),
    }
