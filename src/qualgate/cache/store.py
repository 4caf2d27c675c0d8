"""Cache entries on disk, authenticated so a repository cannot plant an answer.

Entries live in ``<root>/.qualgate/cache/<gate>/<key>.json``, next to the verdicts. The
key and every entry are HMACs under a secret of the user's own
(``$XDG_CACHE_HOME/qualgate/result-cache.key``, made on first use, mode 0600), never
inside the project: a cache committed to a repository, or copied from another machine,
matches no key and fails its check, so it can only cost a real run, never replace one.
Without a usable secret (a read-only home) nothing is cached.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from qualgate.cache.tree import StatCache
from qualgate.fsutil import escapes_root, read_bytes_bounded, write_atomic

FORMAT = 1
CACHE_DIR = Path(".qualgate") / "cache"
KEEP_PER_GATE = 8
_MAX_ENTRY = 64 * 1024 * 1024
_IGNORE = (
    "# Created by qualgate automatically: verdicts and the result cache belong to this\n"
    "# checkout. The baseline is meant to be committed.\n"
    "*\n"
    "!baseline.json\n"
)


def secret_file() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "qualgate" / "result-cache.key"


def load_secret() -> bytes | None:
    """The user's cache secret, made on first use; None when it cannot be had."""
    path = secret_file()
    for _ in range(2):
        try:
            data = read_bytes_bounded(path, 4096).strip()
            if len(data) >= 32:
                return data
        except FileNotFoundError:
            pass
        except OSError:
            return None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            continue  # another process made it first: read theirs
        except OSError:
            return None
        import secrets  # only the first run on a machine makes the secret

        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(secrets.token_hex(32) + "\n")
    return None


def write_quick(path: Path, text: str) -> None:
    """Atomic like `fsutil.write_atomic`, without its fsync: an entry lost in a crash
    costs one real run, while an fsync behind a busy database's can cost more than the
    cached answer itself."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def mac(secret: bytes, payload: Any) -> str:
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hmac.new(secret, text.encode("ascii"), hashlib.sha256).hexdigest()


def ensure_ignored(root: Path) -> None:
    """``.qualgate/.gitignore``, as pytest leaves in ``.pytest_cache``: git never shows
    qualgate's own files (except the baseline, which is meant to be committed)."""
    folder = root / ".qualgate"
    target = folder / ".gitignore"
    if target.exists() or escapes_root(target, root):
        return
    with contextlib.suppress(OSError):
        write_atomic(target, _IGNORE)


class Store:
    """The cache folder of one project, under one secret."""

    def __init__(self, root: Path, secret: bytes) -> None:
        self.root = root
        self.folder = root / CACHE_DIR
        self.secret = secret

    def key(self, material: str) -> str:
        """The entry name for key material: an HMAC, so it says nothing of the material."""
        return hmac.new(
            self.secret, material.encode("utf-8", "surrogateescape"), hashlib.sha256
        ).hexdigest()[:48]

    def usable(self) -> bool:
        return not escapes_root(self.folder, self.root)

    def _path(self, gate: str, key: str) -> Path:
        return self.folder / gate / f"{key}.json"

    def load(self, gate: str, key: str) -> dict[str, Any] | None:
        """The entry's body when it exists and its MAC holds."""
        path = self._path(gate, key)
        try:
            document = json.loads(read_bytes_bounded(path, _MAX_ENTRY))
            body = document["body"]
            good = hmac.compare_digest(str(document["mac"]), mac(self.secret, body))
        except (OSError, ValueError, KeyError, TypeError):
            return None
        if not good or body.get("format") != FORMAT or body.get("key") != key:
            return None
        result: dict[str, Any] = body
        return result

    def save(self, gate: str, key: str, body: dict[str, Any]) -> None:
        if not self.usable() or escapes_root(self._path(gate, key), self.root):
            return
        body = {**body, "format": FORMAT, "key": key, "gate": gate}
        text = json.dumps({"mac": mac(self.secret, body), "body": body}, ensure_ascii=True)
        ensure_ignored(self.root)
        with contextlib.suppress(OSError):
            write_quick(self._path(gate, key), text)
            self._prune(gate)

    def _prune(self, gate: str) -> None:
        entries = sorted(
            (self.folder / gate).glob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True
        )
        for old in entries[KEEP_PER_GATE:]:
            with contextlib.suppress(OSError):
                old.unlink()

    # The stat cache: file digests by stat signature, shared by every gate of the project.
    def load_stats(self) -> StatCache:
        try:
            document = json.loads(read_bytes_bounded(self.folder / "files.json", _MAX_ENTRY))
            body = document["body"]
            if not hmac.compare_digest(str(document["mac"]), mac(self.secret, body)):
                return StatCache()
            entries = {
                rel: ((int(s[0]), int(s[1]), int(s[2]), int(s[3])), str(s[4]))
                for rel, s in body["entries"].items()
            }
        except (OSError, ValueError, KeyError, TypeError, IndexError):
            return StatCache()
        return StatCache(entries=entries)

    def save_stats(self, stats: StatCache) -> None:
        if not stats.changed or not self.usable():
            return
        body = {"entries": {rel: [*key, digest] for rel, (key, digest) in stats.entries.items()}}
        ensure_ignored(self.root)
        with contextlib.suppress(OSError):
            write_quick(
                self.folder / "files.json",
                json.dumps({"mac": mac(self.secret, body), "body": body}, ensure_ascii=True),
            )
        stats.changed = False
