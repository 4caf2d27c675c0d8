"""List the distributions installed in this interpreter, as JSON on stdout.

Runs alone in the project's interpreter (Python 3.8+) with ``-S -E``: no ``site``, so
``.pth`` files, which can run code, are not processed. Imports only the standard library,
never an installed package. Read by `qualgate.gates.dependency_scan.sources.installed`.
"""

from __future__ import annotations

import json
import os
import sys
import sysconfig
from importlib import metadata
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from email.message import Message


def site_paths() -> list[str]:
    """The interpreter's site-packages folders (and the base's, when the venv includes it)."""
    # Without `site`, a virtual environment is not detected: find its pyvenv.cfg ourselves.
    prefixes = [sys.prefix]
    exe_dir = os.path.dirname(os.path.abspath(sys.executable))
    for cand in (os.path.dirname(exe_dir), exe_dir):
        cfg = os.path.join(cand, "pyvenv.cfg")
        if os.path.isfile(cfg):
            with open(cfg, encoding="utf-8") as handle:
                text = handle.read().lower().replace(" ", "")
            shared = "include-system-site-packages=true" in text
            prefixes = [cand] + ([sys.prefix] if shared else [])
            break
    paths: list[str] = []
    for prefix in prefixes:
        found = sysconfig.get_paths(vars={"base": prefix, "platbase": prefix})
        for key in ("purelib", "platlib"):
            p = found.get(key)
            if p and p not in paths and os.path.isdir(p):
                paths.append(p)
    return paths


def distributions(paths: list[str]) -> list[dict[str, Any]]:
    """One entry per distribution name (the first found wins, as on ``sys.path``)."""
    seen: set[str] = set()
    out: list[dict[str, Any]] = []
    for dist in metadata.distributions(path=paths):
        # An email Message at run time; the typed protocol leaves out .get.
        meta = cast("Message", dist.metadata)
        name = meta.get("Name")
        if not name:
            continue
        key = name.lower().replace("_", "-").replace(".", "-")
        if key in seen:
            continue
        seen.add(key)
        base = getattr(dist, "_path", None)
        line = None
        text = dist.read_text("METADATA") or dist.read_text("PKG-INFO") or ""
        for number, row in enumerate(text.splitlines(), start=1):
            if row.startswith("Version:"):
                line = number
                break
            if not row.strip():
                break
        direct = dist.read_text("direct_url.json")
        out.append(
            {
                "name": name,
                "version": meta.get("Version"),
                "license": meta.get("License"),
                "license_expression": meta.get("License-Expression"),
                "classifiers": [
                    c for c in (meta.get_all("Classifier") or []) if c.startswith("License ::")
                ],
                "metadata": str(base / "METADATA") if base else None,
                "line": line,
                "direct_url": json.loads(direct) if direct else None,
            }
        )
    return out


if __name__ == "__main__":
    json.dump(distributions(site_paths()), sys.stdout)
