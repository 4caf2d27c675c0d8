"""File utilities every layer may use: atomic writes and bounded reads of regular files."""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path

# The most any gate reads of one project file; a larger file is a finding, not a hang.
MAX_READ_BYTES = 64 * 1024 * 1024


class ReadRefused(OSError):
    """A file that is not read: not a regular file, or larger than the cap."""


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` so readers see the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def read_bytes_bounded(path: str | os.PathLike[str], limit: int = MAX_READ_BYTES) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes.

    Devices, FIFOs and sockets report a size of 0 and never end (``/dev/zero``), so the
    file type is checked on the opened descriptor and the read itself is capped.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)
    fd = os.open(path, flags)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ReadRefused(f"{path}: not a regular file")
        if info.st_size > limit:
            raise ReadRefused(f"{path}: {info.st_size} bytes, more than the {limit} read")
        # Ask for the size the file has (plus one byte to see it grow), not the cap:
        # a read of n bytes allocates n bytes up front.
        want = min(limit, info.st_size) + 1
        with os.fdopen(fd, "rb", closefd=False) as handle:
            data = handle.read(want)
            while len(data) == want and want <= limit:  # it grew while we read
                more = handle.read(min(limit + 1, want * 2) - len(data))
                if not more:
                    break
                data += more
                want = len(data) + 1
    finally:
        os.close(fd)
    if len(data) > limit:
        raise ReadRefused(f"{path}: more than the {limit} bytes read")
    return data


def read_text_bounded(
    path: str | os.PathLike[str], limit: int = MAX_READ_BYTES, errors: str = "strict"
) -> str:
    """`read_bytes_bounded` decoded as UTF-8."""
    return read_bytes_bounded(path, limit).decode("utf-8", errors=errors)


def escapes_root(path: Path, root: Path) -> bool:
    """Whether ``path`` names a place inside ``root`` that links lead outside it.

    A path the user names outside the project is theirs to choose; a path inside it must
    stay inside once links are followed, or a committed symlink (``.qualgate -> ~``) would
    let a repository choose where qualgate writes.
    """
    lexical = Path(os.path.abspath(path))
    real_root = root.resolve()
    if not (lexical.is_relative_to(root) or lexical.is_relative_to(real_root)):
        return False
    return not lexical.resolve().is_relative_to(real_root)
