"""Reading the project's files: regular files only, with a cap (a link to /dev/zero, a FIFO
or a huge file raises `qualgate.fsutil.ReadRefused`), as `qualgate.fsutil.read_bytes_bounded`
rules, read straight from the descriptor.

That function's buffered read with a cap costs about 25 µs a file, more than scanning a small
artifact (10,000 Markdown files: 0.25 s against 0.06 s here; 5,000 YAML files likewise). The
gate can return to it once it reads this way.
"""

from __future__ import annotations

import os
import stat

from qualgate.fsutil import ReadRefused


def read_regular(path: str | os.PathLike[str], cap: int) -> bytes:
    """The bytes of the regular file ``path``, at most ``cap`` of them."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ReadRefused(f"{path}: not a regular file")
        if info.st_size > cap:
            raise ReadRefused(f"{path}: {info.st_size} bytes, more than the {cap} read")
        chunks = [os.read(fd, info.st_size + 1)]
        total = len(chunks[0])
        while total > info.st_size:  # it grew since fstat: read on, up to the cap
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > cap:
                raise ReadRefused(f"{path}: more than the {cap} bytes read")
    finally:
        os.close(fd)
    return b"".join(chunks) if len(chunks) > 1 else chunks[0]
