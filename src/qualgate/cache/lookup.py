"""The pipeline's door to the result cache: find a replayable answer, store a fresh one.

A lookup computes the key (see `qualgate.cache.inputs` for what it holds), loads the
entry of that key, and checks that every file the run that made it read beyond its
declared inputs (recorded opens and listings, ``ctx.note_inputs``) is still the same.
Only then is the stored answer replayed. `error` answers are never stored, nor one made
while the project's files changed under the gate.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qualgate import __version__, git
from qualgate.cache import signature, tree
from qualgate.cache.inputs import Inputs, declared
from qualgate.cache.record import Recording, recording
from qualgate.cache.store import Store, load_secret
from qualgate.context import GateContext, project_python
from qualgate.policy import SKIP_DIRS
from qualgate.verdict import Project, Status, Verdict, from_dict, to_dict

# Options that change how a run is carried out or published, never its answer.
NOT_KEYED = frozenset({"timeout", "verdict-dir", "cache", "require"})


@dataclass(kw_only=True)
class Session:
    """What several lookups of one invocation share (``all`` keys every gate at once)."""

    root: Path
    store: Store | None
    stats: tree.StatCache = field(default_factory=tree.StatCache)
    snapshot: tree.Snapshot | None = None
    memo: dict[str, str] = field(default_factory=dict)
    # The verdicts' project block, when the caller knows it (``all`` asks git once).
    project: Project | None = None

    @classmethod
    def open(cls, root: Path) -> Session:
        secret = load_secret()
        store = Store(root, secret) if secret is not None else None
        if store is not None and not store.usable():
            store = None
        stats = store.load_stats() if store is not None else tree.StatCache()
        return cls(root=root, store=store, stats=stats)

    def files(self, refresh: bool = False) -> tree.Snapshot:
        if self.snapshot is None or refresh:
            self.snapshot = tree.take(self.root, self.stats)
        return self.snapshot

    def remembered(self, label: str, compute: Any) -> str:
        if label not in self.memo:
            self.memo[label] = compute()
        return self.memo[label]

    def close(self) -> None:
        if self.store is not None:
            self.store.save_stats(self.stats)


@dataclass(kw_only=True)
class Probe:
    """A lookup's result: the replayable verdict, or what storing a fresh one needs."""

    gate: str
    inputs: Inputs | None = None
    key: str | None = None
    # Why this run is not answered from the cache (None when it may be).
    skip: str | None = None
    files: Mapping[str, str] = field(default_factory=dict)
    hit: Verdict | None = None


def answer(
    ctx: GateContext,
    module: object,
    session: Session,
    run: Callable[[], Verdict],
    *,
    cached_only: bool = False,
) -> tuple[Verdict, bool] | None:
    """The stored answer (and True), else ``run()``'s (and False), stored for next time.

    With ``cached_only``, None instead of running. A fault of the cache itself never
    stops a gate: the gate runs as if there were no cache.
    """
    try:
        found: Probe | None = probe(ctx, module, session)
    except Exception:  # noqa: BLE001 - a cache that cannot answer is no cache
        found = None
    if found is not None and found.hit is not None:
        return found.hit, True
    if cached_only:
        return None
    if found is None or found.skip is not None:
        return run(), False  # nothing will be stored: nothing to record
    with recording(str(ctx.root)) as recorded:
        verdict = run()
    with contextlib.suppress(Exception):
        store(ctx, found, verdict, recorded, session)
    return verdict, False


def probe(ctx: GateContext, module: object, session: Session) -> Probe:
    """Key the run and find its answer, if one was stored."""
    inputs = declared(ctx.gate, module, ctx)
    if inputs.skip:
        return Probe(gate=ctx.gate, inputs=inputs, skip=inputs.skip)
    if session.store is None:
        return Probe(gate=ctx.gate, inputs=inputs, skip="no cache secret could be made")
    snapshot = session.files()
    files = snapshot.select(inputs.files, inputs.exclude)
    key = _key(ctx, inputs, files, session, session.store)
    result = Probe(gate=ctx.gate, inputs=inputs, key=key, files=files)
    entry = session.store.load(ctx.gate, key)
    if entry is None:
        return result
    reads = entry.get("reads")
    if not isinstance(reads, dict) or _read_sigs(ctx.root, reads, session) != reads:
        return result
    try:
        result.hit = from_dict(entry["verdict"])
    except (KeyError, TypeError, ValueError):
        return result
    return result


def store(
    ctx: GateContext,
    found: Probe,
    verdict: Verdict,
    recorded: Recording | None,
    session: Session,
) -> bool:
    """Keep a fresh answer, unless it is an error or the files moved under the gate."""
    if found.key is None or session.store is None or verdict.status is Status.ERROR:
        return False
    inputs = found.inputs or Inputs()
    after = session.files(refresh=True).select(inputs.files, inputs.exclude)
    if after != found.files:
        return False  # edited while the gate ran: the answer may describe either state
    names: dict[str, str] = {}
    if recorded is not None:
        names.update({_label(ctx.root, p, "f"): "" for p in recorded.files})
        names.update({_label(ctx.root, p, "d"): "" for p in recorded.folders})
    names.update({_label(ctx.root, p, "f"): "" for p in ctx.noted_inputs()})
    if inputs.reported is not None:
        for path in inputs.reported(verdict):
            full = Path(path) if Path(path).is_absolute() else ctx.root / path
            names[_label(ctx.root, str(full), "f")] = ""
    for label in list(names):
        if label.startswith("f:") and label[2:] in found.files:
            del names[label]  # already in the key
    reads = _read_sigs(ctx.root, names, session)
    session.store.save(
        ctx.gate,
        found.key,
        {"reads": reads, "verdict": to_dict(verdict), "stored_at": time.time()},
    )
    return True


def _label(root: Path, path: str, kind: str) -> str:
    """``f:<rel>``/``d:<rel>`` inside the root, ``F:<abs>`` for a file outside it."""
    p = Path(path)
    try:
        rel = p.relative_to(root).as_posix()
    except ValueError:
        return f"F:{p}"
    return f"{kind}:{rel}"


def _read_sigs(root: Path, labels: Iterable[str], session: Session) -> dict[str, str]:
    out = {}
    snapshot = session.files()
    for label in labels:
        kind, _, name = label.partition(":")
        if kind == "f":
            digest = snapshot.files.get(name)
            if digest is None:
                digest = _digest(root / name, name, session)
            out[label] = digest
        elif kind == "d":
            out[label] = _listing(root / name)
        else:
            out[label] = signature.stat_sig(Path(name))
    return out


def _digest(path: Path, rel: str, session: Session) -> str:
    try:
        info = path.stat()
    except OSError:
        return "absent"
    return session.stats.digest(path, rel, info)


def _listing(folder: Path) -> str:
    try:
        names = sorted(n for n in os.listdir(folder) if n not in SKIP_DIRS and n != tree.OWN_DIR)
    except OSError:
        return "absent"
    return hashlib.sha256("\0".join(names).encode()).hexdigest()


def _plain(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def _base(ctx: GateContext, session: Session) -> str | None:
    base = ctx.base
    if base is None:
        return None
    return session.remembered(f"base:{base}", lambda: git.verify_ref(ctx.root, base))


def _tool(name: str, session: Session) -> str:
    return session.remembered(
        f"tool:{name}", lambda: signature.tool_sig(name, os.environ.get("PATH"))
    )


def _key(
    ctx: GateContext, inputs: Inputs, files: Mapping[str, str], session: Session, keys: Store
) -> str:
    """The HMAC of everything that can change the answer."""
    environ = os.environ
    files_digest = hashlib.sha256(
        "".join(f"{rel}\0{digest}\n" for rel, digest in sorted(files.items())).encode()
    ).hexdigest()
    material: dict[str, Any] = {
        "qualgate": __version__,
        "own": session.remembered("own", signature.own_environment_sig),
        "gate": ctx.gate,
        "root": str(ctx.root),
        "options": {k: _plain(v) for k, v in sorted(ctx.options.items()) if k not in NOT_KEYED},
        "extra_args": list(ctx.extra_args),
        "base": _base(ctx, session),
        "files": files_digest,
        "outside": {p: signature.file_sig(Path(p)) for p in sorted(set(inputs.outside))},
        "env": signature.env_vars(inputs.env, environ),
        "tools": {t: _tool(t, session) for t in sorted(set(inputs.tools))},
        "extra": list(inputs.extra),
    }
    if inputs.python:
        python = project_python(ctx.root, ctx.options.get("python")) or "missing"
        material["python"] = session.remembered(
            f"python:{python}",
            lambda: signature.interpreter_sig(python) if python != "missing" else python,
        )
    text = json.dumps(material, sort_keys=True, default=str)
    return keys.key(text)
