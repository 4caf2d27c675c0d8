"""The configuration guard: thresholds and rules weaker than at the base.

The base configuration is read from git at the base revision; the current one from the
working tree. Each tool's effective configuration (see `configread`) is compared key by
key with a few rules on the key's name: a ``*min*``/``fail_under`` that went down, a
``*max*``/``line-length`` that went up, an ``ignore``/``exclude``/``omit`` list that grew, a
``select``/``checks``/``gates``/``testpaths`` list that shrank, a ``strict``-like switch
turned off, narrowing flags added to pytest's ``addopts``.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Callable
from typing import Any

from qualgate.gates.integrity.change import Change
from qualgate.gates.integrity.configread import CONFIG_FILES, ToolConfig, effective, tools
from qualgate.gates.integrity.rules import RULES
from qualgate.verdict import Finding

_SHRINK = ("select", "checks", "gates", "testpaths", "source", "include", "enable", "python_files")
_GROW = ("ignore", "exclude", "omit", "skip", "deselect", "disable", "norecursedirs")
_STRICT = (
    "strict",
    "require",
    "xfail_strict",
    "check_untyped_defs",
    "no_implicit_optional",
    "branch",
)
_STRICT_PREFIX = ("warn_", "disallow_", "strict_")
# pytest addopts that run fewer tests; the first group takes a value.
_NARROW_VALUE = ("-k", "-m", "--deselect", "--ignore", "--ignore-glob", "-p")
_NARROW_FLAG = (
    "-x",
    "--exitfirst",
    "--lf",
    "--last-failed",
    "--sw",
    "--stepwise",
    "--co",
    "--collect-only",
    "--maxfail",
)


def _name(key: tuple[str, ...]) -> str:
    return key[-1].lower().replace("-", "_")


def _tokens(name: str) -> list[str]:
    return name.split("_")


def _is_min(name: str) -> bool:
    return any(t in ("min", "minimum") for t in _tokens(name)) or name in (
        "fail_under",
        "threshold",
    )


def _is_max(name: str) -> bool:
    return "max" in _tokens(name) or name in ("line_length", "max_complexity")


def _segments(key: tuple[str, ...]) -> list[str]:
    return [k.lower().replace("-", "_") for k in key]


def _any_in(key: tuple[str, ...], words: tuple[str, ...]) -> bool:
    return any(w in seg for seg in _segments(key) for w in words)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def _as_list(value: Any) -> list[str] | None:
    if value is None:
        return []
    if isinstance(value, list):
        return [v if isinstance(v, str) else json.dumps(v, sort_keys=True) for v in value]
    if isinstance(value, str):
        return [value]
    return None


_PYPROJECT_TABLE = {
    "qualgate": ("tool", "qualgate"),
    "ruff": ("tool", "ruff"),
    "mypy": ("tool", "mypy"),
    "pytest": ("tool", "pytest", "ini_options"),
    "coverage": ("tool", "coverage"),
}


def _show(key: tuple[str, ...], cfg: ToolConfig) -> str:
    full = (*_PYPROJECT_TABLE[cfg.tool], *key) if cfg.file == "pyproject.toml" else key
    return f"{cfg.file} `{'.'.join(full)}`"


def _judge(tool: str, key: tuple[str, ...], old: Any, new: Any) -> tuple[str, str] | None:
    """(rule, what happened) when the change from ``old`` to ``new`` weakens a check."""
    name = _name(key)
    if tool == "pytest" and name == "addopts":
        return _addopts(str(old or ""), str(new or ""))
    if tool == "qualgate" and key[-1] == "allow":
        return None  # allowances are reported as notes by the integrity gate itself
    a, b = _number(old), _number(new)
    if a is not None and (_is_min(name) or _is_max(name)):
        if b is None and new is None and _is_min(name):
            return "lowered-threshold", f"removed (was {old:g})"
        if b is not None and ((_is_min(name) and b < a) or (_is_max(name) and b > a)):
            return "lowered-threshold", f"went from {old:g} to {new:g}"
        return None
    if isinstance(old, bool) or isinstance(new, bool):
        strict = name in _STRICT or name.startswith(_STRICT_PREFIX)
        if strict and old is True and new is not True:
            return "disabled-rule", "turned off" if new is False else "removed (it was true)"
        if "ignore" in name and old is not True and new is True:
            return "disabled-rule", "turned on"
        return None
    if name == "follow_imports" and new in ("skip", "silent") and old != new:
        return "disabled-rule", f"is now {new!r}"
    before, after = _as_list(old), _as_list(new)
    if before is None or after is None:
        return None
    added = [v for v in after if v not in before]
    removed = [v for v in before if v not in after]
    if _any_in(key, _GROW) and added:
        if isinstance(new, str) and isinstance(old, str):
            return _grow_rule(tool, name), f"changed from {old!r} to {new!r}"
        return _grow_rule(tool, name), "gained " + _items(added)
    if key[-1] == "overrides" and any(_loosens(v) for v in added):
        return "disabled-rule", "gained " + _items([v for v in added if _loosens(v)])
    shrinkable = name in _SHRINK or _any_in(key[-1:], ("select",))
    if shrinkable and removed:
        rule = _grow_rule(tool, name)  # the same rule: fewer tests, less measured, fewer checks
        return rule, "lost " + _items(removed)
    return None


def _grow_rule(tool: str, _name: str) -> str:
    if tool == "coverage":
        return "coverage-omit"
    if tool == "pytest":
        return "narrowed-tests"
    return "disabled-rule"


def _loosens(entry: str) -> bool:
    return bool(
        re.search(r'"(ignore_errors|ignore_missing_imports)": true|disable_error_code', entry)
    )


def _items(values: list[str]) -> str:
    shown = ", ".join(f"`{v}`" for v in values[:8])
    return shown + (f" and {len(values) - 8} more" if len(values) > 8 else "")


def _narrowing(addopts: str) -> list[str]:
    try:
        words = shlex.split(addopts)
    except ValueError:
        words = addopts.split()
    found: list[str] = []
    for i, word in enumerate(words):
        flag, _, inline = word.partition("=")
        if flag in _NARROW_VALUE:
            value = inline or (words[i + 1] if i + 1 < len(words) else "")
            if flag != "-p" or value.startswith("no:"):
                found.append(f"{flag} {value}".strip())
        elif flag in _NARROW_FLAG:
            found.append(word)
    return found


def _fail_under(addopts: str) -> float | None:
    match = re.search(r"--cov-fail-under[= ](\d+(?:\.\d+)?)", addopts)
    return float(match.group(1)) if match else None


def _addopts(old: str, new: str) -> tuple[str, str] | None:
    before = _narrowing(old)
    added = [w for w in _narrowing(new) if w not in before]
    if added:
        return "narrowed-tests", "gained " + _items(added)
    a, b = _fail_under(old), _fail_under(new)
    if a is not None and (b is None or b < a):
        return (
            "lowered-threshold",
            f"--cov-fail-under went from {a:g} to {'nothing' if b is None else f'{b:g}'}",
        )
    return None


def _line(text: str | None, key: str) -> int | None:
    if not text:
        return None
    pattern = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*[=:]")
    for number, line in enumerate(text.splitlines(), 1):
        if pattern.match(line):
            return number
    return None


def config_guards(change: Change) -> list[Finding]:
    """Findings for every tool whose configuration is weaker now than at the base."""
    touched = {f.path for f in change.files} | {f.old for f in change.files if f.old}
    if not touched & CONFIG_FILES:
        return []
    findings: list[Finding] = []
    for tool in tools():
        then = effective(tool, change.base_text)
        now = effective(tool, change.current_text)
        if then.file not in touched and now.file not in touched:
            continue
        findings += _compare(change, then, now)
    return findings


def _compare(change: Change, then: ToolConfig, now: ToolConfig) -> list[Finding]:
    findings: list[Finding] = []
    shown = now if now.file else then
    read: Callable[[str], str | None] = change.current_text if now.file else change.base_text
    text = read(shown.file) if shown.file else None
    if then.keys and not now.keys:
        return [
            RULES.finding(
                "disabled-rule",
                f"the {then.tool} configuration of {then.file} is gone"
                + (f" ({now.file} shadows it)" if now.file and now.file != then.file else ""),
                path=now.file or then.file,
                check="config",
            )
        ]
    for key in sorted(set(then.keys) | set(now.keys)):
        verdict = _judge(then.tool, key, then.keys.get(key), now.keys.get(key))
        if verdict is None:
            continue
        rule, what = verdict
        findings.append(
            RULES.finding(
                rule,
                f"{_show(key, shown)} {what}",
                path=shown.file,
                line=_line(text, key[-1]),
                check="config",
            )
        )
    return findings
