"""The distributions installed in the project's interpreter (``--installed``).

A short script, ``inproject/installed_metadata.py``, runs in that interpreter with ``-S -E``
(no ``site``: ``.pth`` files, which can run code, are not processed) and reads
``importlib.metadata`` from the interpreter's site-packages folders; it imports no installed
package. Each distribution is located at its ``METADATA`` file, on the ``Version:`` line.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from qualgate import process
from qualgate.errors import GateError
from qualgate.gates.dependency_scan.model import Dependency, Ecosystem, PinKind
from qualgate.gates.dependency_scan.sources._common import Parsed, Rel

# Runs alone in the project's interpreter.
_SCRIPT = Path(__file__).parent.parent / "inproject" / "installed_metadata.py"

# The license classifiers seen in practice, as SPDX ids.
_CLASSIFIERS = {
    "License :: OSI Approved :: MIT License": "MIT",
    "License :: OSI Approved :: MIT No Attribution License (MIT-0)": "MIT-0",
    "License :: OSI Approved :: BSD License": "BSD-3-Clause",
    "License :: OSI Approved :: Apache Software License": "Apache-2.0",
    "License :: OSI Approved :: ISC License (ISCL)": "ISC",
    "License :: OSI Approved :: Python Software Foundation License": "PSF-2.0",
    "License :: OSI Approved :: Mozilla Public License 2.0 (MPL 2.0)": "MPL-2.0",
    "License :: OSI Approved :: GNU General Public License v2 (GPLv2)": "GPL-2.0-only",
    "License :: OSI Approved :: GNU General Public License v2 or later (GPLv2+)": (
        "GPL-2.0-or-later"
    ),
    "License :: OSI Approved :: GNU General Public License v3 (GPLv3)": "GPL-3.0-only",
    "License :: OSI Approved :: GNU General Public License v3 or later (GPLv3+)": (
        "GPL-3.0-or-later"
    ),
    "License :: OSI Approved :: GNU Lesser General Public License v2 (LGPLv2)": "LGPL-2.0-only",
    "License :: OSI Approved :: GNU Lesser General Public License v2 or later (LGPLv2+)": (
        "LGPL-2.0-or-later"
    ),
    "License :: OSI Approved :: GNU Lesser General Public License v3 (LGPLv3)": "LGPL-3.0-only",
    "License :: OSI Approved :: GNU Lesser General Public License v3 or later (LGPLv3+)": (
        "LGPL-3.0-or-later"
    ),
    "License :: OSI Approved :: GNU Affero General Public License v3": "AGPL-3.0-only",
    "License :: OSI Approved :: GNU Affero General Public License v3 or later (AGPLv3+)": (
        "AGPL-3.0-or-later"
    ),
    "License :: OSI Approved :: The Unlicense (Unlicense)": "Unlicense",
    "License :: OSI Approved :: zlib/libpng License": "Zlib",
    "License :: OSI Approved :: Eclipse Public License 2.0 (EPL-2.0)": "EPL-2.0",
    "License :: CC0 1.0 Universal (CC0 1.0) Public Domain Dedication": "CC0-1.0",
}


def licenses_of(entry: dict[str, Any]) -> tuple[str, ...]:
    """SPDX expression when declared (PEP 639), else classifiers, else the License field."""
    expression = entry.get("license_expression")
    if isinstance(expression, str) and expression.strip():
        return (expression.strip(),)
    mapped = [_CLASSIFIERS[c] for c in entry.get("classifiers") or () if c in _CLASSIFIERS]
    if mapped:
        return (" OR ".join(dict.fromkeys(mapped)),)
    text = entry.get("license")
    # Some projects paste the whole license text into License: keep only a short name.
    if isinstance(text, str) and text.strip() and "\n" not in text.strip() and len(text) < 80:
        return (text.strip(),)
    return ()


def parse(python: str, rel: Rel, *, cwd: Path, timeout: float) -> Parsed:
    done = process.run(
        [python, "-S", "-E", str(_SCRIPT)],
        cwd=cwd,
        timeout=timeout,
        install_hint="point --python at the project's interpreter",
    )
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise GateError(
            f"could not list the installed distributions of {python}: {last}",
            "check that --python names a working Python 3.8+ interpreter",
        )
    try:
        entries = json.loads(done.stdout)
    except json.JSONDecodeError as exc:
        raise GateError(f"unreadable answer from {python}: {exc}") from exc
    parsed = Parsed(files=[f"installed:{python}"])  # read, even when nothing is installed
    for entry in entries:
        location = entry.get("metadata")
        path = rel(Path(location)) if location else python
        direct = entry.get("direct_url") or {}
        if isinstance(direct, dict) and direct.get("dir_info", {}).get("editable"):
            continue  # the project itself (or a sibling) installed in development mode
        common = {
            "name": entry["name"],
            "ecosystem": Ecosystem.PYPI,
            "path": path,
            "line": entry.get("line"),
            "source": "installed",
            "licenses": licenses_of(entry),
        }
        if isinstance(direct, dict) and ("vcs_info" in direct or "dir_info" in direct):
            parsed.dependencies.append(
                Dependency(
                    **common,
                    kind=PinKind.UNSCANNABLE,
                    version=entry.get("version"),
                    detail=str(direct.get("url", "")),
                )
            )
            continue
        parsed.dependencies.append(
            Dependency(**common, kind=PinKind.PINNED, version=entry.get("version"))
        )
    return parsed
