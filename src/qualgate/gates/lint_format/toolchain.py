"""Which lint, format and type tools the project itself uses, and which versions it pins.

Evidence, strongest first: the tool's own configuration (``[tool.black]``, ``.flake8``,
``[flake8]`` in ``setup.cfg``/``tox.ini``, ``mypy.ini``, ``pyrightconfig.json``...), a
pre-commit hook, a declared dependency (optional-dependencies, dependency groups,
poetry/pdm groups, ``requirements*.txt``), or the command in a task file (Makefile,
tox ``commands``, noxfile, CI workflows, ``scripts/*.sh``, poe/hatch/pdm scripts).
Every tool with evidence runs; ruff + ruff format + mypy only when there is none.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from packaging.requirements import InvalidRequirement, Requirement

from qualgate import yamlsafe

from . import invocations
from .projectfiles import ProjectFiles, dig

# Check names, in the order the verdict lists them.
CHECKS = ("ruff", "format", "flake8", "pylint", "black", "isort", "mypy", "pyright")
DEFAULT = ("ruff", "format", "mypy")
# The distribution that provides each check.
DIST = {
    "ruff": "ruff",
    "format": "ruff",
    "flake8": "flake8",
    "pylint": "pylint",
    "black": "black",
    "isort": "isort",
    "mypy": "mypy",
    "pyright": "pyright",
}
_DIST_CHECKS = {name: (name,) for name in ("ruff", "flake8", "pylint", "black", "isort", "mypy")}
_DIST_CHECKS.update(pyright=("pyright",), basedpyright=("pyright",))
# pre-commit hook ids -> checks (hooks of a `repo: local` count too).
_HOOKS = {name: name for name in ("ruff", "black", "isort", "flake8", "pylint", "mypy", "pyright")}
_HOOKS.update({"ruff-check": "ruff", "ruff-format": "format", "black-jupyter": "black"})
_HOOKS["basedpyright"] = "pyright"
_HOOK_DIST = {**{check: check for check in _HOOKS.values()}, "format": "ruff"}
_TASK_FILES = (
    "Makefile",
    "makefile",
    "GNUmakefile",
    "justfile",
    "Justfile",
    "noxfile.py",
    ".gitlab-ci.yml",
    "azure-pipelines.yml",
    ".circleci/config.yml",
)
_WORKFLOW = re.compile(r"\.ya?ml$")
# Shell scripts: `scripts/lint.sh`, or `scripts/lint` with no suffix at all.
_SCRIPT = re.compile(r"^[^.]+$|\.sh$")
# flake8 plugins whose names do not start with flake8-.
_FLAKE8_PLUGINS = frozenset({"wemake-python-styleguide", "darglint", "dlint", "pandas-vet"})
_CONFIG_FILES = (
    (".isort.cfg", "isort"),
    (".flake8", "flake8"),
    (".pylintrc", "pylint"),
    ("pylintrc", "pylint"),
    ("mypy.ini", "mypy"),
    (".mypy.ini", "mypy"),
    ("pyrightconfig.json", "pyright"),
)
_TOOL_TABLES = (*((n, n) for n in ("black", "isort", "flake8", "pylint", "mypy", "pyright")),)
_TOOL_TABLES += (("basedpyright", "pyright"),)
_COMMAND = re.compile(
    r"(?<![\w.-])(?P<tool>ruff(?P<fmt>\s+format)?|black|isort|flake8|pylint|mypy|"
    r"basedpyright|pyright)(?![\w-])"
)
_REQUIREMENT_FILE = re.compile(r"^(?:[\w.-]*requirements[\w.-]*|[\w.-]*reqs?[\w.-]*)\.(?:txt|in)$")


@dataclass(frozen=True, kw_only=True, slots=True)
class Pin:
    """A version the project declares for a tool: ``black==23.1.0`` in requirements-dev.txt."""

    dist: str
    spec: str
    exact: str | None
    path: str
    line: int | None = None


@dataclass(kw_only=True)
class Toolchain:
    """The checks to run by default, and why."""

    evidence: dict[str, list[str]] = field(default_factory=dict)
    pins: dict[str, Pin] = field(default_factory=dict)
    # flake8 / pylint plugin distributions the project declares.
    plugins: set[str] = field(default_factory=set)
    basedpyright: bool = False
    # How the project's own task files run each check (its targets), when they say.
    invocations: dict[str, invocations.Invocation] = field(default_factory=dict)

    @property
    def detected(self) -> bool:
        return bool(self.evidence)

    @property
    def checks(self) -> tuple[str, ...]:
        if not self.evidence:
            return DEFAULT
        return tuple(c for c in CHECKS if c in self.evidence)

    def add(self, check: str, where: str) -> None:
        seen = self.evidence.setdefault(check, [])
        if where not in seen:
            seen.append(where)

    def pin(self, pin: Pin) -> None:
        current = self.pins.get(pin.dist)
        if current is None or (current.exact is None and pin.exact is not None):
            self.pins[pin.dist] = pin


def detect(files: ProjectFiles) -> Toolchain:
    """The project's toolchain from its files (nothing is run)."""
    chain = Toolchain()
    _configs(files, chain)
    _dependencies(files, chain)
    _pre_commit(files, chain)
    _tasks(files, chain)
    return chain


def _configs(files: ProjectFiles, chain: Toolchain) -> None:
    if files.tool("ruff") is not None:
        chain.add("ruff", "pyproject.toml [tool.ruff]")
        if dig(files.tool("ruff"), "format") is not None:
            chain.add("format", "pyproject.toml [tool.ruff.format]")
    for name in ("ruff.toml", ".ruff.toml"):
        if files.exists(name):
            chain.add("ruff", name)
            if "format" in files.toml(name):
                chain.add("format", f"{name} [format]")
    for tool, check in _TOOL_TABLES:
        if files.tool(tool) is not None:
            chain.add(check, f"pyproject.toml [tool.{tool}]")
            chain.basedpyright |= tool == "basedpyright"
    for name, check in _CONFIG_FILES:
        if files.exists(name):
            chain.add(check, name)
    for ini in ("setup.cfg", "tox.ini"):
        for section in files.ini_sections(ini):
            tool_of = _ini_section_tool(section)
            if tool_of:
                chain.add(tool_of, f"{ini} [{section}]")


def _ini_section_tool(section: str) -> str | None:
    if section in ("flake8", "isort", "tool:isort"):
        return "flake8" if section == "flake8" else "isort"
    if section == "mypy" or section.startswith("mypy-"):
        return "mypy"
    if section.startswith(("pylint.", "pylint")) and section != "pylint-plugins":
        return "pylint"
    return None


def _dist_of(name: str) -> str:
    return name.strip().lower().replace("_", "-").replace(".", "-")


def _note_requirement(chain: Toolchain, text: str, where: str, line: int | None) -> None:
    try:
        req = Requirement(text)
    except InvalidRequirement:
        return
    dist = _dist_of(req.name)
    if dist.startswith(("flake8-", "pep8-naming", "pylint-")) or dist in _FLAKE8_PLUGINS:
        chain.plugins.add(dist)
        chain.add("flake8" if not dist.startswith("pylint-") else "pylint", f"{where} ({dist})")
        return
    for check in _DIST_CHECKS.get(dist, ()):
        chain.add(check, f"{where} ({dist})")
        chain.basedpyright |= dist == "basedpyright"
        spec = str(req.specifier)
        exact = next((s.version for s in req.specifier if s.operator in ("==", "===")), None)
        chain.pin(Pin(dist=dist, spec=spec, exact=exact, path=where, line=line))


def _line_of(text: str | None, needle: str) -> int | None:
    if text is None:
        return None
    pattern = re.compile(rf"(?<![\w-]){re.escape(needle)}(?![\w-])", re.IGNORECASE)
    for number, line in enumerate(text.splitlines(), start=1):
        if pattern.search(line):
            return number
    return None


def _poetry_spec(value: object) -> str | None:
    """A poetry constraint as a PEP 440 specifier: ``"22.3.0"`` -> ``==22.3.0``,
    ``"^0.971"`` -> ``>=0.971,<0.972``, ``"~1.2"`` -> ``>=1.2,<1.3``."""
    if isinstance(value, dict):
        value = value.get("version")
    if not isinstance(value, str):
        return None
    value = value.strip()
    if value in ("", "*"):
        return ""
    if value[0].isdigit():
        return f"=={value}"
    if value.startswith(("^", "~")) and not value.startswith("~="):
        caret = value.startswith("^")
        text = value.lstrip("^~").strip()
        parts = [int(p) for p in re.findall(r"\d+", text)[:3]]
        if not parts:
            return None
        if caret:
            # The first non-zero part is fixed (^0.971 admits 0.971.x only).
            keep = next((i for i, p in enumerate(parts) if p != 0), len(parts) - 1)
        else:
            keep = min(1, len(parts) - 1)
        upper = [*parts[:keep], parts[keep] + 1]
        return f">={text},<{'.'.join(map(str, upper))}"
    return value


def _dependencies(files: ProjectFiles, chain: Toolchain) -> None:
    data = files.pyproject()
    text = files.text("pyproject.toml")
    lists: list[object] = []
    for group in (dig(data, "project", "optional-dependencies") or {}).values():
        lists.append(group)
    for group in (dig(data, "dependency-groups") or {}).values():
        lists.append(group)
    for group in (dig(data, "tool", "pdm", "dev-dependencies") or {}).values():
        lists.append(group)
    # Not [project] dependencies: a runtime dependency on black is no sign of linting.
    lists.append(dig(data, "tool", "uv", "dev-dependencies"))
    for group in lists:
        for item in group if isinstance(group, list) else ():
            if isinstance(item, str):
                name = re.split(r"[\s<>=!~;\[(]", item.strip(), maxsplit=1)[0]
                _note_requirement(chain, item, "pyproject.toml", _line_of(text, name))
    poetry = dig(data, "tool", "poetry") or {}
    tables = [poetry.get("dev-dependencies")]
    tables += [dig(g, "dependencies") for g in (poetry.get("group") or {}).values()]
    for table in tables:
        for name, value in (table or {}).items() if isinstance(table, dict) else ():
            spec = _poetry_spec(value)
            if spec is not None and name != "python":
                _note_requirement(chain, f"{name}{spec}", "pyproject.toml", _line_of(text, name))
    for rel in _requirement_files(files):
        body = files.text(rel) or ""
        for number, raw in enumerate(body.splitlines(), start=1):
            line = raw.split(" #", 1)[0].strip()
            if line and not line.startswith(("#", "-")):
                _note_requirement(chain, line, rel, number)


def _requirement_files(files: ProjectFiles) -> list[str]:
    found = [n for n in files.listdir() if _REQUIREMENT_FILE.match(n)]
    for folder in ("requirements", "reqs"):
        found += [f"{folder}/{n}" for n in files.listdir(folder) if n.endswith((".txt", ".in"))]
    return found[:50]


def _pre_commit(files: ProjectFiles, chain: Toolchain) -> None:
    name = ".pre-commit-config.yaml"
    text = files.text(name)
    if text is None:
        return
    try:
        data = yamlsafe.safe_load(text)
    except Exception:  # noqa: BLE001 - a broken hook file is pre-commit's to report
        return
    repos = data.get("repos") if isinstance(data, dict) else None
    for repo in repos if isinstance(repos, list) else ():
        if not isinstance(repo, dict):
            continue
        rev = str(repo.get("rev") or "").strip()
        hooks = repo.get("hooks")
        for hook in hooks if isinstance(hooks, list) else ():
            if not isinstance(hook, dict):
                continue
            check = _HOOKS.get(str(hook.get("id", "")))
            if check is None:
                continue
            chain.add(check, f"{name} (hook {hook.get('id')})")
            chain.basedpyright |= hook.get("id") == "basedpyright"
            version = rev.removeprefix("v")
            if repo.get("repo") not in ("local", "meta") and version[:1].isdigit():
                dist = _HOOK_DIST[check]
                line = _line_of(text, rev)
                chain.pin(Pin(dist=dist, spec=f"=={version}", exact=version, path=name, line=line))
            extra = hook.get("additional_dependencies")
            for dep in extra if isinstance(extra, list) else ():
                if isinstance(dep, str) and _dist_of(re.split(r"[<>=!~\[ ]", dep)[0]).startswith(
                    ("flake8-", "pep8-naming", "pylint-")
                ):
                    chain.plugins.add(_dist_of(re.split(r"[<>=!~\[ ]", dep)[0]))


def _task_texts(files: ProjectFiles) -> Iterable[tuple[str, str]]:
    for name in _TASK_FILES:
        text = files.text(name)
        if text is not None:
            yield name, text
    for folder, wanted in ((".github/workflows", _WORKFLOW), ("scripts", _SCRIPT)):
        for entry in files.listdir(folder)[:50]:
            if wanted.search(entry):
                text = files.text(f"{folder}/{entry}")
                if text is not None:
                    yield f"{folder}/{entry}", text
    tox = files.ini("tox.ini")
    if tox is not None:
        for section in tox.sections():
            if section.startswith("testenv"):
                yield f"tox.ini [{section}]", tox.get(section, "commands", fallback="")
    data = files.pyproject()
    for path in (
        ("tool", "poe", "tasks"),
        ("tool", "pdm", "scripts"),
        ("tool", "taskipy", "tasks"),
    ):
        value = dig(data, *path)
        if value:
            yield f"pyproject.toml [{'.'.join(path)}]", repr(value)
    for env_name, env in (dig(data, "tool", "hatch", "envs") or {}).items():
        scripts = dig(env, "scripts")
        if scripts:
            yield f"pyproject.toml [tool.hatch.envs.{env_name}.scripts]", repr(scripts)


def _tasks(files: ProjectFiles, chain: Toolchain) -> None:
    for where, text in _task_texts(files):
        for match in _COMMAND.finditer(text):
            before = text[max(0, match.start() - 12) : match.start()]
            if "profile" in before:
                continue  # isort's `--profile black` names a style, not a tool run
            tool = match["tool"].split()[0]
            check = "format" if match["fmt"] else ("pyright" if "pyright" in tool else tool)
            chain.add(check, where)
            chain.basedpyright |= tool == "basedpyright"
            found = invocations.parse(check, text[match.end() :], where, files.root)
            current = chain.invocations.get(check)
            # The first run the project gives; a check run beats a format script's fix run.
            if found is not None and (current is None or (found.checking and not current.checking)):
                chain.invocations[check] = found
