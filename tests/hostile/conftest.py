"""Hostile repositories: each test builds one in a temp dir and proves an attack fails.

Shared tools: a canary folder outside the project that must stay untouched, a planted
secret that must appear in no output, and a listening socket that must see no connection.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

# A value shaped like a CI token: it must never reach stdout, a report or a verdict file.
SECRET = "ghp_CanaryToken0123456789abcdefABCDEF"


@dataclass
class Layout:
    root: Path
    outside: Path

    def outside_untouched(self) -> bool:
        return not any(self.outside.iterdir())


@pytest.fixture
def layout(tmp_path: Path) -> Layout:
    """``root`` is the hostile project; ``outside`` a folder beside it that must stay empty."""
    root = tmp_path / "repo"
    outside = tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    return Layout(root=root, outside=outside)


@dataclass
class Listener:
    """A TCP socket on 127.0.0.1 that records every connection made to it."""

    port: int
    connections: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@pytest.fixture
def listener() -> Iterator[Listener]:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.settimeout(0.2)
    found = Listener(port=server.getsockname()[1])
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, addr = server.accept()
            except OSError:
                continue
            found.connections.append(f"{addr[0]}:{addr[1]}")
            conn.close()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield found
    stop.set()
    thread.join(timeout=2)
    server.close()


def no_secret_anywhere(secret: str, *texts: str, root: Path | None = None) -> None:
    """``secret`` is in none of ``texts`` nor any file qualgate wrote under ``root``."""
    for text in texts:
        assert secret not in text
    if root is not None and (root / ".qualgate").exists():
        for path in (root / ".qualgate").rglob("*"):
            if path.is_file():
                assert secret not in path.read_text(encoding="utf-8", errors="replace"), path
