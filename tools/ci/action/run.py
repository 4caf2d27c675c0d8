"""The qualgate action's run step, run with the action's own qualgate (its venv python).

It reads the action's inputs from the environment (``QG_*``: the step passes them through
``env:``, never into the shell) and the runner's ``GITHUB_*`` variables, then:

1. picks the gates and the base: the ``base`` input, else on a pull request (or merge
   queue) the merge base with the target branch, found with git in the checkout; a checkout
   too shallow to hold it is an ``error`` verdict that says how to fetch it;
2. runs ``qualgate all --format github`` (annotations on stdout, the job summary through
   the github renderer's publish hook) with the combined verdict as a JSON report;
3. renders one SARIF file per gate from that gate's own verdict file (its own category,
   ``qualgate/<gate>/``), leaving out gates that could not check: their run would close
   their open alerts as if fixed;
4. decides whether code scanning can take the upload (not on a pull request from a fork,
   whose token is read-only: a note says so) and writes the step outputs ``status``,
   ``verdict``, ``sarif-dir`` and ``upload``.

It exits with the verdict's exit code (0 pass/skipped, 1 fail, 2 error); the upload step
runs either way.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from qualgate import __version__
from qualgate.gates import GATES
from qualgate.render import github as github_format
from qualgate.render import render
from qualgate.verdict import Project, Status, Tool, Verdict, from_dict, to_json

PULL_REQUEST_EVENTS = ("pull_request", "pull_request_target")
GIT_TIMEOUT = 60


class ActionError(Exception):
    """An input or checkout the action cannot work with: an ``error`` verdict."""

    def __init__(self, reason: str, hint: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.hint = hint


def parse_gates(text: str) -> tuple[str, ...]:
    """``all`` (empty: qualgate's default list) or known gate names, in the given order."""
    names = tuple(dict.fromkeys(text.replace(",", " ").split()))
    if not names or names == ("all",):
        return ()
    known = [g for g in GATES if g != "all"]
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ActionError(
            f"unknown gate in the `gates` input: {', '.join(unknown)}",
            f"use `all` or some of: {', '.join(known)}",
        )
    return names


def event_payload(environ: Mapping[str, str]) -> dict[str, Any]:
    path = environ.get("GITHUB_EVENT_PATH")
    if not path:
        return {}
    try:
        payload = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return payload if isinstance(payload, dict) else {}


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", "-C", str(root), *args],
        capture_output=True,
        text=True,
        timeout=GIT_TIMEOUT,
        check=False,
    )


def merge_base(root: Path, sha: str, label: str) -> str:
    """The merge base of ``sha`` (the target branch) and HEAD, or a clear `ActionError`."""
    done = _git(root, "merge-base", sha, "HEAD")
    if done.returncode == 0 and done.stdout.strip():
        return done.stdout.strip()
    shallow = _git(root, "rev-parse", "--is-shallow-repository").stdout.strip() == "true"
    why = "the checkout is too shallow" if shallow else "its commits are not in the checkout"
    raise ActionError(
        f"cannot find the merge base with {label} ({sha[:12]}): {why}",
        "fetch the history with `fetch-depth: 0` on actions/checkout (2 is enough for the "
        "default pull request merge commit), or set the action's `base` input",
    )


def resolve_base(environ: Mapping[str, str], payload: Mapping[str, Any], root: Path) -> str | None:
    """The ref to judge changes against (None: the whole project)."""
    given = environ.get("QG_BASE", "").strip()
    if given.lower() == "none":
        return None
    if given:
        return given
    event = environ.get("GITHUB_EVENT_NAME", "")
    if event in PULL_REQUEST_EVENTS:
        base = (payload.get("pull_request") or {}).get("base") or {}
        sha, label = base.get("sha"), f"the target branch {base.get('ref') or '?'}"
    elif event == "merge_group":
        group = payload.get("merge_group") or {}
        sha, label = group.get("base_sha"), f"the merge queue's base {group.get('base_ref') or '?'}"
    else:
        return None
    if not isinstance(sha, str) or not sha:
        raise ActionError(
            f"the {event} event payload names no base commit",
            "set the action's `base` input",
        )
    return merge_base(root, sha, label)


def read_only_reason(environ: Mapping[str, str], payload: Mapping[str, Any]) -> str | None:
    """Why this run's token cannot upload to code scanning, if it cannot."""
    if environ.get("GITHUB_EVENT_NAME") != "pull_request":
        return None
    pull = payload.get("pull_request") or {}
    head = ((pull.get("head") or {}).get("repo") or {}).get("full_name")
    base = ((pull.get("base") or {}).get("repo") or {}).get("full_name")
    base = base or environ.get("GITHUB_REPOSITORY")
    if head and head == base:
        return None
    return "this pull request comes from a fork, whose token is read-only"


def _parse_time(text: str) -> dt.datetime | None:
    for fmt in ("%Y-%m-%dT%H:%M:%S.%fZ", "%Y-%m-%dT%H:%M:%SZ"):
        try:
            return dt.datetime.strptime(text, fmt)
        except ValueError:
            continue
    return None


def verdict_dirs(gates: list[str], root: Path) -> dict[str, Path]:
    """Where each gate wrote its verdict file (its `verdict-dir`, which config may move)."""
    default = {g: root / ".qualgate" / "verdicts" for g in gates}
    argv = [sys.executable, "-m", "qualgate", "config", "--format", "json", str(root)]
    for gate in gates:
        argv += ["--gate", gate]
    done = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=120)
    try:
        shown = json.loads(done.stdout)["gates"]
    except (ValueError, KeyError, TypeError):
        return default
    for gate in gates:
        value = ((shown.get(gate) or {}).get("verdict-dir") or {}).get("value")
        if isinstance(value, str) and value:
            default[gate] = Path(value)
    return default


def write_sarif(
    combined: Mapping[str, Any], root: Path, sarif_dir: Path, started: dt.datetime
) -> tuple[list[str], list[str]]:
    """One SARIF file per gate that could check; the gates written and notes on the rest."""
    checks = [c for c in combined.get("checks", ()) if c.get("name") in GATES]
    dirs = verdict_dirs([c["name"] for c in checks], root)
    written: list[str] = []
    notes: list[str] = []
    for check in checks:
        gate = check["name"]
        if check.get("status") == Status.ERROR.value:
            notes.append(
                f"`{gate}` could not check, so its SARIF is not uploaded (its open "
                "alerts stay open rather than being closed as fixed)"
            )
            continue
        path = dirs[gate] / f"{gate}.json"
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
            when = _parse_time(str(document.get("started_at", "")))
        except (OSError, ValueError, AttributeError):
            document, when = {}, None
        if when is None or when < started or document.get("status") != check.get("status"):
            # A gate `all` did not run because none of its inputs changed since the base has
            # no verdict of this run: no SARIF (an empty run would read as "all fixed").
            if check.get("status") != Status.SKIPPED.value:
                notes.append(f"`{gate}`: no verdict file of this run at {path}; no SARIF")
            continue
        sarif_dir.mkdir(parents=True, exist_ok=True)
        (sarif_dir / f"{gate}.sarif").write_text(
            render("sarif", from_dict(document)), encoding="utf-8"
        )
        written.append(gate)
    return written, notes


def set_outputs(environ: Mapping[str, str], outputs: Mapping[str, str]) -> None:
    path = environ.get("GITHUB_OUTPUT")
    if not path:
        return
    with open(path, "a", encoding="utf-8") as handle:
        for key, value in outputs.items():
            handle.write(f"{key}={' '.join(value.splitlines())}\n")


def add_notes(environ: Mapping[str, str], notes: list[str]) -> None:
    """Each note as an annotation and, together, under the job summary."""
    for note in notes:
        line = github_format.command("notice", note.replace("`", ""), {"title": "qualgate"})
        sys.stdout.write(line + "\n")
    summary = environ.get("GITHUB_STEP_SUMMARY")
    if notes and summary:
        with open(summary, "a", encoding="utf-8") as handle:
            handle.write("\n> [!NOTE]\n" + "".join(f"> {n}\n>\n" for n in notes)[:-2])


def _error(reason: str, hint: str, root: Path, started: str, t0: float) -> Verdict:
    """The verdict of a run the action could not start (schema v1, like qualgate's own)."""
    head = _git(root, "rev-parse", "HEAD") if root.is_dir() else None
    return Verdict(
        gate="all",
        status=Status.ERROR,
        summary=reason,
        next_steps=(hint,),
        reproduce="qualgate all",
        tool=Tool(version=__version__),
        started_at=started,
        duration_ms=int((time.monotonic() - t0) * 1000),
        project=Project(
            root=str(root),
            commit=head.stdout.strip() if head is not None and head.returncode == 0 else None,
        ),
    )


def main(environ: Mapping[str, str] = os.environ) -> int:
    t0 = time.monotonic()
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    started_text = now.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    started = now.replace(microsecond=0)  # verdict times may have whole seconds only
    out_dir = Path(environ.get("RUNNER_TEMP") or tempfile.gettempdir()) / "qualgate-action"
    shutil.rmtree(out_dir, ignore_errors=True)
    out_dir.mkdir(parents=True)
    verdict_path = out_dir / "verdict.json"
    sarif_dir = out_dir / "sarif"
    shown_root = environ.get("QG_PATH", "").strip() or "."
    root = Path(shown_root)
    payload = event_payload(environ)
    outputs = {"verdict": str(verdict_path), "sarif-dir": "", "upload": "false"}
    try:
        if not root.is_dir():
            raise ActionError(f"the `path` input {shown_root} is not a folder", "fix `path`")
        gates = parse_gates(environ.get("QG_GATES", "all"))
        base = resolve_base(environ, payload, root)
        extra = shlex.split(environ.get("QG_ARGS", ""))
    except (ActionError, ValueError) as exc:
        reason = exc.reason if isinstance(exc, ActionError) else f"the `args` input: {exc}"
        hint = exc.hint if isinstance(exc, ActionError) else "quote it as a shell would"
        verdict = _error(reason, hint, root if root.is_dir() else Path("."), started_text, t0)
        verdict_path.write_text(to_json(verdict), encoding="utf-8")
        sys.stdout.write(render("github", verdict))
        github_format.publish(verdict, environ)
        set_outputs(environ, {**outputs, "status": verdict.status.value})
        return verdict.exit_code
    argv = [sys.executable, "-m", "qualgate", "all", shown_root, "--format", "github"]
    argv += ["--report", f"json:{verdict_path}"]
    if gates:
        argv += ["--gates", ",".join(gates)]
    if base:
        argv += ["--base", base]
    argv += extra
    sys.stdout.flush()
    code = subprocess.run(argv, check=False).returncode
    try:
        combined = json.loads(verdict_path.read_text(encoding="utf-8"))
        status = Status(combined["status"])
    except (OSError, ValueError, KeyError):
        verdict = _error(
            f"qualgate exited with {code} without a verdict",
            "see the log above (a usage error in the `args` input?)",
            root,
            started_text,
            t0,
        )
        verdict_path.write_text(to_json(verdict), encoding="utf-8")
        sys.stdout.write(render("github", verdict))
        github_format.publish(verdict, environ)
        set_outputs(environ, {**outputs, "status": verdict.status.value})
        return verdict.exit_code
    written, notes = write_sarif(combined, root, sarif_dir, started)
    if written:
        outputs["sarif-dir"] = str(sarif_dir)
    wanted = environ.get("QG_UPLOAD_SARIF", "true").strip().lower() not in ("false", "0", "no")
    blocked = read_only_reason(environ, payload)
    if wanted and written and blocked:
        notes.insert(
            0,
            f"SARIF upload skipped: {blocked}; the annotations and this summary show every finding",
        )
    outputs["upload"] = "true" if wanted and written and not blocked else "false"
    add_notes(environ, notes)
    set_outputs(environ, {**outputs, "status": status.value})
    return status.exit_code


if __name__ == "__main__":
    sys.exit(main())
