"""What a gate opened and listed inside the project while it ran in-process.

Recorded through an audit hook (``sys.addaudithook``: every ``open``, ``os.listdir`` and
``os.scandir`` of the process, whoever calls it), so the cache learns about a file a gate
read without declaring it, and about a folder it searched (a file added there later
changes the folder's listing). Tools the gate runs as subprocesses are not seen: their
reads are what a gate declares in ``INPUTS``.

One recorder at a time per process: gates run one at a time in a process (``all`` runs
parallel gates in forked processes).
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any


@dataclass(kw_only=True)
class Recording:
    root: str
    files: set[str] = field(default_factory=set)
    folders: set[str] = field(default_factory=set)


# Folders whose content is tools' own state, never a user's input.
_NOT_INPUTS = frozenset(
    {".qualgate", "__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".hypothesis"}
)

_lock = threading.Lock()
_active: list[Recording] = []
_installed = False


def _hook(event: str, args: tuple[Any, ...]) -> None:
    if not _active or event not in ("open", "os.listdir", "os.scandir"):
        return
    path = args[0] if args else None
    if isinstance(path, bytes):
        path = os.fsdecode(path)
    elif isinstance(path, os.PathLike):
        path = os.fspath(path)
    if not isinstance(path, str):
        return  # a file descriptor
    recording = _active[-1]
    full = os.path.abspath(path)
    if not (full == recording.root or full.startswith(recording.root + os.sep)):
        return
    if _NOT_INPUTS.intersection(full[len(recording.root) :].split(os.sep)):
        return
    if event == "open":
        # ("open", path, mode, flags): mode is None for os.open; flags an int for both.
        mode = args[1] if len(args) > 1 else None
        flags = args[2] if len(args) > 2 else None
        if isinstance(mode, str) and any(m in mode for m in "wax+"):
            return  # what it writes is an output
        if isinstance(flags, int) and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT):
            return
        recording.files.add(full)
    else:
        recording.folders.add(full)


@contextlib.contextmanager
def recording(root: str) -> Iterator[Recording]:
    """Record the in-root files opened for reading and folders listed inside the block."""
    global _installed
    with _lock:
        if not _installed:
            sys.addaudithook(_hook)
            _installed = True
    rec = Recording(root=os.path.abspath(root))
    _active.append(rec)
    try:
        yield rec
    finally:
        _active.remove(rec)
