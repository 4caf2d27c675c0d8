"""Reading the project's artifacts: `qualgate.fsutil.read_bytes_bounded`, regular files only
and with a cap (a link to /dev/zero, a FIFO or a huge file raises `qualgate.fsutil.ReadRefused`).

Paths may stay strings: the Markdown walk hands over 10,000 of them, and a `Path` for each
would cost about half as much again as the reads.
"""

from __future__ import annotations

from qualgate.fsutil import read_bytes_bounded as read_regular

__all__ = ["read_regular"]
