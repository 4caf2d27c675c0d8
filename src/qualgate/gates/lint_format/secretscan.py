"""Secrets by content, for the ``standards`` preset: detect-secrets' detectors.

Kept anywhere (outside tests): keys of a well-known format (AWS, GitHub, GitLab, Slack,
Stripe, Google, OpenAI, PyPI, npm, Twilio, SendGrid, ...), private key blocks, JWTs and
passwords inside URLs (``scheme://user:password@``); values assigned to a secret-like
name (detect-secrets' keyword detector); high-entropy strings only where the line assigns
them to a secret-like name. detect-secrets' own filters apply (templates ``${X}``/``<x>``,
UUIDs, sequential strings, ``# pragma: allowlist secret``), plus placeholders
(``changeme``, ``your-key-here``, ``...EXAMPLE``) and example files (``.env.example``).
No detector ever verifies a key over the network (that filter is never configured).

A finding never carries the secret: only its kind and a masked prefix (``sk_l…, 32 chars``).
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from qualgate import fsutil
from qualgate.verdict import Finding

from .rules import HARDCODED_SECRET, RULES

MAX_FILE_BYTES = 1024 * 1024
_ENTROPY = frozenset({"Base64 High Entropy String", "Hex High Entropy String"})
_SECRET_NAME = re.compile(
    r"(?i)(?:key|token|secret|passw|pwd|credential|auth|api|private|signature|salt)"
)
# `NAME = "..."`, `"name": "..."`, `name: ...`, `NAME=...`: the name a line assigns to.
_ASSIGNED = re.compile(r"""^\s*(?:export\s+)?["']?(?P<name>[\w.-]+)["']?\s*(?::|=|:=)""")
_PLACEHOLDER = re.compile(
    r"(?i)(?:example|placeholder|change[-_ ]?me|your[-_ ]|dummy|sample|redacted|x{6,}|\*{4,}"
    r"|fake|not[-_]?a[-_]?secret|replace[-_]?me)"
)
_EXAMPLE_FILE = re.compile(r"(?i)\.(?:example|sample|template|dist|tmpl|tpl)$|^example\b")
# Files besides Python that commonly carry configuration, and so credentials.
_CONFIG_NAMES = re.compile(
    r"(?i)(?:^\.env(?:\..+)?$|\.(?:ya?ml|json|toml|ini|cfg|conf|properties|env)$|^dockerfile$)"
)
_LOCK_FILE = re.compile(r"(?i)(?:\.lock$|-lock\.json$|^package-lock\.json$|lock\.ya?ml$)")
_PLUGINS = Path(__file__).with_name("secretplugins.py")
# detect-secrets keeps its settings in module globals: one scan at a time.
_LOCK = threading.Lock()


@dataclass(frozen=True, kw_only=True, slots=True)
class Secret:
    path: str
    line: int
    kind: str
    masked: str
    value: str  # kept in memory to mask it elsewhere; never written to a finding


# Kinds with no public format marker in front (sk_l, AKIA, ghp_, eyJh are markers).
_PASSWORDS = frozenset({"Secret Keyword", "Basic Auth Credentials"} | _ENTROPY)


def mask_value(value: str, kind: str = "") -> str:
    """``"sk_live_abcdef..."`` -> ``"sk_l…(32 chars)"``: enough to find it, not to use it.
    A password (keyword, entropy, URL) shows at most its first 2 characters."""
    if kind in _PASSWORDS:
        shown = value[:2] if len(value) >= 16 else ""
    else:
        shown = value[:4] if len(value) >= 12 else ""
    return f"{shown}…({len(value)} chars)"


def is_example_file(path: str) -> bool:
    name = PurePosixPath(path).name
    return bool(_EXAMPLE_FILE.search(name))


def candidate_files(root: Path, python_files: Iterable[str], listed: Iterable[str]) -> list[str]:
    """What the scan reads: the Python files the linter checks, and configuration-like
    files (``.env``, YAML, JSON, TOML, INI...) among ``listed`` (the files git knows)."""
    chosen = {p for p in python_files}
    for rel in listed:
        name = PurePosixPath(rel).name
        if _CONFIG_NAMES.search(name) and not _LOCK_FILE.search(name):
            chosen.add(rel)
    return sorted(p for p in chosen if not is_example_file(p))


def _settings() -> dict[str, object]:
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class

    mapping: dict[str, type] = get_mapping_from_secret_type_to_class()
    names = [plugin.__name__ for plugin in mapping.values()]
    # A public IP address is no credential.
    plugins: list[dict[str, object]] = [{"name": n} for n in names if n != "IPPublicDetector"]
    plugins.append({"name": "GoogleApiKeyDetector", "path": f"file://{_PLUGINS}"})
    return {"plugins_used": plugins}


_TOKEN = re.compile(r"[A-Za-z0-9+/_\-.~=]{12,}")
# Passwords in example connection strings that are nobody's secret.
_DEFAULT_PASSWORDS = frozenset(
    {"password", "pass", "passwd", "secret", "postgres", "root", "admin", "test", "mysql"}
)


def _candidate(line: str) -> bool:
    if "BEGIN" in line or "://" in line:
        return True
    return any(any(c.isdigit() for c in t) for t in _TOKEN.findall(line))


def _keep(kind: str, value: str, line: str, *, python: bool = False) -> bool:
    if _PLACEHOLDER.search(value):
        return False
    if kind == "Secret Keyword" and python:
        return False  # by name in Python: ruff's S105-S107 decide, without the noise
    if kind == "Basic Auth Credentials" and (len(value) < 6 or value.lower() in _DEFAULT_PASSWORDS):
        return False
    if kind in _ENTROPY:
        match = _ASSIGNED.match(line)
        return bool(match and _SECRET_NAME.search(match["name"]))
    return True


def scan(
    root: Path,
    files: Iterable[str],
    *,
    skip: Callable[[str], bool],
    deadline: Callable[[], float],
) -> list[Secret]:
    """The secrets in ``files`` (project-relative), one per line at most.

    Files whose real path leaves the root, non-regular files and files above
    ``MAX_FILE_BYTES`` are not read; ``skip(path)`` drops paths (tests).
    """
    from detect_secrets.core import scan as detector
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
    from detect_secrets.settings import transient_settings

    real_root = Path(os.path.realpath(root))
    found: dict[tuple[str, int], Secret] = {}
    with _LOCK, transient_settings(_settings()):
        # The class map is cached before our plugin file is configured: build it anew.
        get_mapping_from_secret_type_to_class.cache_clear()
        try:
            _scan_into(found, root, real_root, files, skip, deadline, detector)
        finally:
            get_mapping_from_secret_type_to_class.cache_clear()
    return sorted(found.values(), key=lambda s: (s.path, s.line))


def _scan_into(
    found: dict[tuple[str, int], Secret],
    root: Path,
    real_root: Path,
    files: Iterable[str],
    skip: Callable[[str], bool],
    deadline: Callable[[], float],
    detector: Any,
) -> None:
    for rel in files:
        if skip(rel) or deadline() <= 1.0:
            continue
        path = root / rel
        if not Path(os.path.realpath(path)).is_relative_to(real_root):
            continue
        try:
            text = fsutil.read_text_bounded(path, MAX_FILE_BYTES, errors="replace")
        except (OSError, ValueError):
            continue
        lines = text.splitlines()
        python = rel.endswith((".py", ".pyi"))
        if python:
            # detect-secrets costs a few dozen calls per line and plugin: only lines that
            # could hold a key (a long token with a digit, a key block, a URL) go to it.
            candidates = [(n, line) for n, line in enumerate(lines, start=1) if _candidate(line)]
            if not candidates:
                continue
            found_here = detector._process_line_based_plugins(lines=candidates, filename=str(path))
        else:
            # Configuration files go through its transformers too (YAML, INI values).
            found_here = detector.scan_file(str(path))
        for secret in found_here:
            number = secret.line_number
            line = lines[number - 1] if 0 < number <= len(lines) else ""
            value = _whole(secret.secret_value or "", line)
            if not value or not _keep(secret.type, value, line, python=python):
                continue
            current = found.get((rel, number))
            # One finding per line: a named format beats entropy or a keyword.
            if current is None or current.kind in _ENTROPY | {"Secret Keyword"}:
                found[(rel, number)] = Secret(
                    path=rel,
                    line=number,
                    kind=secret.type,
                    masked=mask_value(value, secret.type),
                    value=value,
                )


def _whole(value: str, line: str) -> str:
    """The whole token a detector matched a prefix of (GitHub's reports ``ghp``)."""
    match = re.search(re.escape(value) + r"[\w+/=.-]*", line) if value else None
    return match.group(0) if match else value


def finding(secret: Secret, check: str) -> Finding:
    return RULES.finding(
        HARDCODED_SECRET,
        f"hard-coded secret ({secret.kind}): {secret.masked}",
        path=secret.path,
        line=secret.line,
        check=check,
        data={"kind": secret.kind, "masked": secret.masked},
    )
