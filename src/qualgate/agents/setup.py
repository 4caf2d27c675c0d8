"""``qualgate init``: set a project up for gated agents.

It writes the gate wrappers under ``tools/``, a ``[tool.qualgate.all]`` table naming the
gates that apply, the hook configuration of each agent asked for, an AGENTS.md block
saying which command proves "done", a GitHub Actions workflow and a ``.gitignore`` line.
It merges into existing files (JSON hook files get qualgate's entries added beside
theirs; AGENTS.md gets a marked block) and never replaces what is there without
``--force``; a second run changes nothing.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qualgate.agents import templates
from qualgate.agents.detect import detect, install_command
from qualgate.agents.hook import AGENTS
from qualgate.errors import GateError
from qualgate.fsutil import ReadRefused, escapes_root, read_text_bounded, write_atomic
from qualgate.gates import GATES

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

MAX_BYTES = 4 * 1024 * 1024


@dataclass(kw_only=True)
class Report:
    """What init did to each file: created, updated, unchanged or kept (not replaced)."""

    gates: list[str] = field(default_factory=list)
    actions: list[tuple[str, str]] = field(default_factory=list)

    def add(self, action: str, path: Path, root: Path) -> None:
        self.actions.append((action, os.path.relpath(path, root)))

    def lines(self) -> list[str]:
        return [f"{action:<9} {path}" for action, path in self.actions]


def _read(path: Path) -> str | None:
    try:
        return read_text_bounded(path, MAX_BYTES)
    except FileNotFoundError:
        return None
    except (OSError, ReadRefused, UnicodeDecodeError) as exc:
        raise GateError(f"cannot read {path.name}: {exc}", "make it a regular UTF-8 file") from exc


def _write(path: Path, text: str, root: Path, report: Report, *, executable: bool = False) -> None:
    old = _read(path)
    if old == text:
        report.add("unchanged", path, root)
        return
    if escapes_root(path, root) or escapes_root(path, _toplevel(root)):
        raise GateError(f"{path} leads outside the project through a link; not written")
    write_atomic(path, text)
    if executable:
        path.chmod(0o755)
    report.add("created" if old is None else "updated", path, root)


def _owned(path: Path, text: str, root: Path, report: Report, force: bool, **kw: bool) -> None:
    """A file qualgate writes whole: created when missing, replaced only with --force."""
    old = _read(path)
    if old is not None and old != text and not force:
        report.add("kept", path, root)
        return
    _write(path, text, root, report, **kw)


def init_project(root: Path, agents: Sequence[str], force: bool = False) -> Report:
    """Set up ``root``; raises GateError (nothing half-written for that file) on a file it
    cannot merge into."""
    if not root.is_dir():
        raise GateError(f"{root} is not a directory")
    unknown = [a for a in agents if a not in AGENTS]
    if unknown:
        raise GateError(f"unknown agent {unknown[0]!r}", f"choose from {', '.join(AGENTS)}")
    report = Report(gates=detect(root))
    top = _toplevel(root)
    rel = "" if top == root else os.path.relpath(root, top)
    for gate in [*report.gates, "all"]:
        target = root / GATES[gate].wrapper
        depth = len(Path(GATES[gate].wrapper).parts) - 1
        _owned(target, templates.wrapper(gate, depth), root, report, force, executable=True)
    if agents:
        hook = root / templates.AGENT_HOOK
        depth = len(Path(templates.AGENT_HOOK).parts) - 1
        _owned(
            hook, templates.wrapper("hook", depth, hook=True), root, report, force, executable=True
        )
    _config(root, report)
    for agent in agents:
        _AGENT_SETUP[agent](root, top, rel, report, force)
    _agents_md(root, report, force)
    workflow = top / ".github" / "workflows" / "qualgate.yml"
    _owned(workflow, templates.workflow(rel or ".", install_command(root)), root, report, force)
    _gitignore(root, report)
    return report


def _toplevel(root: Path) -> Path:
    for folder in (root.resolve(), *root.resolve().parents):
        if (folder / ".git").exists():
            return folder
    return root.resolve()


def _config(root: Path, report: Report) -> None:
    gates = ", ".join(json.dumps(g) for g in report.gates)
    comment = "# Written by `qualgate init`: the gates `qualgate all` runs (tools/ci/all.sh)."
    own = root / "qualgate.toml"
    pyproject = root / "pyproject.toml"
    if own.is_file() or not pyproject.is_file():
        text = _read(own) or ""
        data = _toml(text, own)
        if "all" in data:
            report.add("unchanged", own, root)
            return
        block = f"{comment}\n[all]\ngates = [{gates}]\n"
        _merged_toml(own, text, block, root, report)
        return
    text = _read(pyproject) or ""
    data = _toml(text, pyproject)
    if "all" in data.get("tool", {}).get("qualgate", {}):
        report.add("unchanged", pyproject, root)
        return
    _merged_toml(
        pyproject, text, f"{comment}\n[tool.qualgate.all]\ngates = [{gates}]\n", root, report
    )


def _toml(text: str, path: Path) -> dict[str, Any]:
    try:
        data: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise GateError(
            f"{path.name} is not valid TOML: {exc}", "fix it, then run init again"
        ) from exc
    return data


def _merged_toml(path: Path, text: str, block: str, root: Path, report: Report) -> None:
    merged = (text.rstrip("\n") + "\n\n" if text.strip() else "") + block
    try:
        tomllib.loads(merged)
    except tomllib.TOMLDecodeError as exc:
        raise GateError(
            f"cannot add [tool.qualgate.all] to {path.name} ({exc})",
            "add the table by hand: gates = [...]",
        ) from exc
    _write(path, merged, root, report)


def _ours(entry: Any) -> bool:
    return any(marker in json.dumps(entry) for marker in ("agent-hook.sh", "qualgate hook"))


def _merge_json(
    path: Path,
    root: Path,
    report: Report,
    force: bool,
    entries: list[tuple[str, dict[str, Any]]],
    skeleton: dict[str, Any],
) -> None:
    """Add qualgate's hook ``entries`` (event, entry) under ``"hooks"`` of a JSON file,
    beside whatever is there; --force replaces qualgate's own entries (and a file that is
    not valid JSON)."""
    text = _read(path)
    data: Any = dict(skeleton)
    if text is not None and text.strip():
        try:
            data = json.loads(text)
        except ValueError as exc:
            if not force:
                raise GateError(
                    f"{path.relative_to(root)} is not valid JSON ({exc}); not touched",
                    "fix it, or run init with --force to replace it",
                ) from exc
            data = dict(skeleton)
    if not isinstance(data, dict) or not isinstance(data.setdefault("hooks", {}), dict):
        raise GateError(f"{path.relative_to(root)} has no `hooks` object; not touched")
    for key, value in skeleton.items():
        data.setdefault(key, value)
    hooks: dict[str, Any] = data["hooks"]
    for event, entry in entries:
        listed = hooks.setdefault(event, [])
        if not isinstance(listed, list):
            raise GateError(f"{path.relative_to(root)}: hooks.{event} is not a list; not touched")
        mine = [i for i, item in enumerate(listed) if _ours(item)]
        if mine and not force:
            continue
        for index in reversed(mine):
            del listed[index]
        listed.append(entry)
    new_text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    if text is not None and _same_json(text, new_text):
        report.add("unchanged", path, root)
        return
    _write(path, new_text, root, report)


def _same_json(a: str, b: str) -> bool:
    try:
        return bool(json.loads(a) == json.loads(b))
    except ValueError:
        return False


def _hook_command(rel: str) -> str:
    where = f"{rel}/" if rel else ""
    return f'"$(git rev-parse --show-toplevel)/{where}{templates.AGENT_HOOK}"'


def _claude(root: Path, top: Path, rel: str, report: Report, force: bool) -> None:
    command = f'"$CLAUDE_PROJECT_DIR"/{templates.AGENT_HOOK} claude'
    path = root / ".claude" / "settings.json"
    _merge_json(path, root, report, force, templates.claude_hooks(command), {"hooks": {}})


def _codex(root: Path, top: Path, rel: str, report: Report, force: bool) -> None:
    path = root / ".codex" / "hooks.json"
    entries = templates.codex_hooks(f"{_hook_command(rel)} codex")
    _merge_json(path, root, report, force, entries, {"hooks": {}})


def _cursor(root: Path, top: Path, rel: str, report: Report, force: bool) -> None:
    path = root / ".cursor" / "hooks.json"
    entries = templates.cursor_hooks(f"{templates.AGENT_HOOK} cursor")
    _merge_json(path, root, report, force, entries, {"version": 1, "hooks": {}})


def _copilot(root: Path, top: Path, rel: str, report: Report, force: bool) -> None:
    path = top / ".github" / "hooks" / "qualgate.json"
    entries = templates.copilot_hooks(f"{templates.AGENT_HOOK} copilot", rel or ".")
    _merge_json(path, root, report, force, entries, {"version": 1, "hooks": {}})


_AGENT_SETUP: dict[str, Callable[[Path, Path, str, Report, bool], None]] = {
    "claude": _claude,
    "codex": _codex,
    "cursor": _cursor,
    "copilot": _copilot,
}


def _agents_md(root: Path, report: Report, force: bool) -> None:
    path = root / "AGENTS.md"
    block = templates.agents_block(report.gates)
    text = _read(path)
    if text is None:
        _write(path, block, root, report)
        return
    begin, end = text.find(templates.BLOCK_BEGIN), text.find(templates.BLOCK_END)
    if begin < 0 or end < begin:
        _write(path, text.rstrip("\n") + "\n\n" + block, root, report)
        return
    current = text[begin : end + len(templates.BLOCK_END)] + "\n"
    if current == block or not force:
        report.add("unchanged" if current == block else "kept", path, root)
        return
    after = text[end + len(templates.BLOCK_END) :].lstrip("\n")
    _write(path, text[:begin] + block + ("\n" + after if after else ""), root, report)


def _gitignore(root: Path, report: Report) -> None:
    path = root / ".gitignore"
    text = _read(path) or ""
    if any(
        line.strip() in (".qualgate", ".qualgate/", "/.qualgate/") for line in text.splitlines()
    ):
        report.add("unchanged", path, root)
        return
    prefix = text if not text or text.endswith("\n") else text + "\n"
    _write(
        path, prefix + "# qualgate's verdicts and agent-session state\n.qualgate/\n", root, report
    )
