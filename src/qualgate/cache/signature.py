"""Key material for what lies outside the project's files: interpreters and what is
installed in them, tools on ``PATH``, environment variables, files outside the root.

All of it is read without running anything (``mypy --version`` alone costs a quarter of
a second): an environment is keyed by the names of its installed distributions (their
``*.dist-info`` folders carry name and version) and the content of its ``.pth`` files;
a tool by the identity of its executable (path, size, times, inode), which an upgrade
replaces.
"""

from __future__ import annotations

import fnmatch
import hashlib
import os
import re
import shutil
import site
import sys
import sysconfig
from collections.abc import Iterable, Mapping
from pathlib import Path

from qualgate.fsutil import read_bytes_bounded

# Variables that differ between two shells of the same user without changing any answer.
VOLATILE_ENV = (
    "_",
    "PWD",
    "OLDPWD",
    "SHLVL",
    "TERM",
    "TERM_*",
    "COLORTERM",
    "COLUMNS",
    "LINES",
    "SSH_*",
    "DISPLAY",
    "WINDOWID",
    "TMUX",
    "TMUX_*",
    "STY",
    "PS1",
    "PS2",
    "PROMPT_COMMAND",
    "HIST*",
    "LS_COLORS",
    "LSCOLORS",
    "XDG_SESSION_*",
    "XDG_RUNTIME_DIR",
    "DBUS_SESSION_BUS_ADDRESS",
    "GPG_TTY",
    "KITTY_*",
    "ITERM_*",
    "WT_SESSION",
    "VSCODE_*",
    "PYTEST_CURRENT_TEST",
    "QUALGATE_PARENT_PID",
)
_SMALL = 1024 * 1024


_VOLATILE = re.compile("|".join(fnmatch.translate(v) for v in VOLATILE_ENV))


def env_vars(patterns: Iterable[str], environ: Mapping[str, str]) -> dict[str, str]:
    """The variables matching ``patterns`` (``*``: every one that is not volatile)."""
    wanted = tuple(patterns)
    if not wanted:
        return {}
    match = re.compile("|".join(fnmatch.translate(p) for p in wanted)).match
    return {
        name: environ[name] for name in sorted(environ) if match(name) and not _VOLATILE.match(name)
    }


def stat_sig(path: Path | str) -> str:
    try:
        info = os.stat(path)
    except OSError:
        return "absent"
    return f"{info.st_size}:{info.st_mtime_ns}:{info.st_ctime_ns}:{info.st_ino}"


def file_sig(path: Path) -> str:
    """A small file outside the project (a user's tool config): its content digest."""
    try:
        if path.is_dir():
            return "dir:" + _dir_sig(path)
        return "sha256:" + hashlib.sha256(read_bytes_bounded(path, _SMALL)).hexdigest()
    except FileNotFoundError:
        return "absent"
    except OSError:
        return "stat:" + stat_sig(path)


def _dir_sig(folder: Path, limit: int = 20_000) -> str:
    """A folder outside the project: names, sizes and times of what is in it (bounded)."""
    digest = hashlib.sha256()
    count = 0
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames.sort()
        for name in sorted(filenames):
            path = Path(dirpath) / name
            digest.update(f"{path.relative_to(folder)}\0{stat_sig(path)}\n".encode())
            count += 1
            if count > limit:
                return "too-large:" + stat_sig(folder)
    return digest.hexdigest()


def tool_sig(name: str, path_var: str | None) -> str:
    """An executable by name on ``PATH`` (or by path): where it resolves, and its identity."""
    found = name if os.sep in name else shutil.which(name, path=path_var)
    if found is None:
        return "absent"
    real = Path(found).resolve()
    return f"{real}:{stat_sig(real)}"


def _site_dirs(prefix: Path) -> list[Path]:
    found: list[Path] = []
    for pattern in (
        "lib/python3*/site-packages",
        "lib/python3*/dist-packages",
        "lib64/python3*/site-packages",
        "lib/python3/dist-packages",
        "Lib/site-packages",
    ):
        found.extend(sorted(prefix.glob(pattern)))
    return found


def _installed(site_dir: Path) -> str:
    """What is installed in a site-packages folder: distributions, .pth files, finders."""
    parts = []
    try:
        names = sorted(os.listdir(site_dir))
    except OSError:
        return "unreadable"
    for name in names:
        if name.endswith((".dist-info", ".egg-info", ".egg-link")):
            parts.append(name)
        elif name.endswith(".pth") or (name.startswith("__editable__") and name.endswith(".py")):
            parts.append(f"{name}={file_sig(site_dir / name)}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def interpreter_sig(python: str) -> str:
    """An interpreter and everything installed for it.

    Never memoized across runs: a long-lived process (``qualgate mcp``) must see an
    upgrade made between two of its runs.
    """
    exe = Path(python)
    # A venv's interpreter links to its base one: the venv is told by where it sits.
    if os.path.abspath(exe.parent.parent) == os.path.abspath(sys.prefix):
        return "ours"  # `own_environment_sig` is in every key already
    real = exe.resolve()
    parts = [f"{real}:{stat_sig(real)}"]
    prefix = exe.parent.parent  # <venv>/bin/python
    cfg = prefix / "pyvenv.cfg"
    dirs = _site_dirs(prefix)
    if cfg.is_file():
        text = file_sig(cfg)
        parts.append(f"pyvenv.cfg={text}")
        home = _venv_home(cfg)
        if home is not None and _system_site(cfg):
            dirs += _site_dirs(home.parent)
    else:
        dirs += _site_dirs(real.parent.parent)
    parts += [f"{d}={_installed(d)}" for d in dict.fromkeys(dirs)]
    user = Path.home() / ".local" / "lib"
    parts += [f"{d}={_installed(d)}" for d in sorted(user.glob("python3*/site-packages"))]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _venv_home(cfg: Path) -> Path | None:
    try:
        for line in read_bytes_bounded(cfg, _SMALL).decode("utf-8", "replace").splitlines():
            key, _, value = line.partition("=")
            if key.strip() == "home" and value.strip():
                return Path(value.strip())
    except OSError:
        return None
    return None


def _system_site(cfg: Path) -> bool:
    try:
        text = read_bytes_bounded(cfg, _SMALL).decode("utf-8", "replace").lower()
    except OSError:
        return False
    return any(
        line.split("=", 1)[0].strip() == "include-system-site-packages"
        and line.split("=", 1)[1].strip() == "true"
        for line in text.splitlines()
        if "=" in line
    )


def own_environment_sig() -> str:
    """qualgate's own interpreter, what is installed beside it (ruff, mypy, pytest...) and
    qualgate's own code (an editable install changes without a new version number)."""
    parts = [f"{sys.executable}:{stat_sig(Path(sys.executable).resolve())}", sys.version]
    dirs = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    dirs.update(site.getsitepackages())
    user_site = site.getusersitepackages()
    if isinstance(user_site, str):
        dirs.add(user_site)
    parts += [f"{d}={_installed(Path(d))}" for d in sorted(dirs) if Path(d).is_dir()]
    parts.append(f"code={_own_code(dirs)}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _own_code(site_dirs: Iterable[str]) -> str:
    """qualgate's code: installed, the RECORD of its distribution (rewritten by every
    install, even of the same version); from a checkout (editable), its files."""
    package = Path(__file__).resolve().parents[1]
    for site_dir in site_dirs:
        if package.parent == Path(site_dir).resolve():
            records = sorted(package.parent.glob("qualgate-*.dist-info/RECORD"))
            return ";".join(f"{r.parent.name}:{stat_sig(r)}" for r in records) or "no-record"
    return package_sig(package)


def package_sig(package: Path) -> str:
    """The code of a package (qualgate's own, from a checkout): names, sizes and times of
    its files."""
    digest = hashlib.sha256()
    stack = [str(package)]
    start = len(str(package))
    while stack:
        folder = stack.pop()
        with os.scandir(folder) as entries:
            for entry in sorted(entries, key=lambda e: e.name):
                if entry.is_dir(follow_symlinks=False):
                    if entry.name != "__pycache__":
                        stack.append(entry.path)
                elif entry.name.endswith((".py", ".json", ".toml", ".yaml")):
                    info = entry.stat()
                    digest.update(
                        f"{entry.path[start:]}\0{info.st_size}:{info.st_mtime_ns}:"
                        f"{info.st_ctime_ns}\n".encode()
                    )
    return digest.hexdigest()
