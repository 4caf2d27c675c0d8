"""The dependency-scan gate: known-vulnerable, unpinned and disallowed dependencies.

Reads requirement files, lock files (poetry, uv, pipenv, PEP 751, pdm, npm), PEP 621
metadata or the installed environment; matches every pinned version against OSV data
(the online API, or an offline database with ``--vuln-db``); applies the ignore, severity,
pin and license policies. A dependency that could not be checked makes the gate ``error``,
never ``pass``. The work happens in `qualgate.gates.dependency_scan.scan`; this module declares the
options so the CLI can build the command without importing the rest.

With ``--base``, every check is judged by changed lines: a finding on an unchanged line of
a dependency file (or in an unchanged file, for one without a line) is existing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from qualgate import pyenv
from qualgate.options import Kind, Option
from qualgate.policy import ALL_CHECKS

if TYPE_CHECKING:
    from qualgate.cache.inputs import Inputs
    from qualgate.context import GateContext
    from qualgate.verdict import Verdict

DEFAULT_TIMEOUT = 120.0
BASE_SCOPED = ALL_CHECKS
OSV_URL = "https://api.osv.dev"
SEVERITIES = ("low", "medium", "high", "critical")
# Where dependencies are declared or locked: the files a scan may detect and read.
DEPENDENCY_FILES = (
    "**/*requirements*.txt",
    "**/requirements/*.txt",
    "**/*.in",
    "**/pyproject.toml",
    "**/setup.cfg",
    "**/setup.py",
    "**/uv.lock",
    "**/poetry.lock",
    "**/pdm.lock",
    "**/Pipfile",
    "**/Pipfile.lock",
    "**/pylock*.toml",
    "**/constraints*.txt",
    "qualgate.toml",
)


def _ignores(value: object) -> object:
    """Validate the ignore list; keep it plain data (``qualgate config`` prints it)."""
    from qualgate.gates.dependency_scan.policy import parse_ignores

    return [
        {
            "id": i.id,
            "reason": i.reason,
            **({"until": i.until.isoformat()} if i.until else {}),
            **({"package": i.package} if i.package else {}),
        }
        for i in parse_ignores(value)
    ]


def _url(value: object) -> object:
    if not isinstance(value, str) or not value.startswith(("http://", "https://")):
        raise ValueError(f"expects an http(s) URL, got {value!r}")
    return value


OPTIONS = (
    Option(
        name="file",
        kind=Kind.LIST,
        metavar="FILE",
        help="Dependency file to scan (repeatable); default: detect *requirements*.txt, "
        "lock files and pyproject.toml in the project root.",
    ),
    Option(
        name="installed",
        kind=Kind.BOOL,
        default=False,
        help="Scan the distributions installed in the project's interpreter (together with "
        "the --file files, if any; no detection then). Runs that interpreter: command line "
        "or environment only.",
        cli_only=True,
    ),
    pyenv.python_option("for --installed", cli_only=True, trusted=True),
    Option(
        name="vuln-db",
        kind=Kind.PATH,
        metavar="PATH",
        help="Offline OSV database: a folder of OSV JSON/YAML records or an OSV .zip.",
    ),
    Option(
        name="osv-url",
        default=OSV_URL,
        validate=_url,
        metavar="URL",
        help=f"Base URL of the OSV API (default {OSV_URL}). Command line or environment only.",
        cli_only=True,
    ),
    Option(
        name="offline",
        kind=Kind.BOOL,
        default=False,
        help="Never use the network (needs --vuln-db).",
    ),
    Option(
        name="cache-dir",
        kind=Kind.PATH,
        metavar="DIR",
        help="Cache for OSV records and offline indexes (default ~/.cache/qualgate). Command "
        "line or environment only.",
        cli_only=True,
    ),
    Option(
        name="network-timeout",
        kind=Kind.FLOAT,
        min=0.1,
        default=15.0,
        metavar="SECONDS",
        help="Timeout of one OSV API request (default 15).",
    ),
    Option(
        name="retries",
        kind=Kind.INT,
        min=0,
        max=10,
        default=3,
        help="Retries of a failed OSV API request, with exponential backoff (default 3).",
    ),
    Option(
        name="ignore",
        kind=Kind.JSON,
        validate=_ignores,
        expects='a list of {id = "...", reason = "...", until = "YYYY-MM-DD"} tables',
        metavar="JSON",
        help='Advisories to accept: JSON list of {"id", "reason", "until"} (until optional).',
    ),
    Option(
        name="fail-on-severity",
        kind=Kind.CHOICE,
        choices=SEVERITIES,
        default="low",
        help="Lowest CVSS severity that fails the gate; lower ones are warnings (default low).",
    ),
    Option(
        name="unknown-severity",
        kind=Kind.CHOICE,
        choices=("fail", "warn"),
        default="fail",
        help="What an advisory without a severity score does (default fail).",
    ),
    Option(
        name="require-pins",
        kind=Kind.BOOL,
        default=False,
        help="Unpinned, range or URL requirements in requirement files are errors, not warnings.",
    ),
    Option(
        name="license-allow",
        kind=Kind.LIST,
        metavar="SPDX",
        help="Only these licenses (SPDX ids) are allowed.",
    ),
    Option(
        name="license-deny",
        kind=Kind.LIST,
        metavar="SPDX",
        help="These licenses (SPDX ids) are not allowed.",
    ),
    Option(
        name="sbom",
        kind=Kind.PATH,
        metavar="FILE",
        help="Write a CycloneDX JSON SBOM of the scanned dependencies to FILE.",
    ),
)


def INPUTS(ctx: GateContext) -> Inputs:
    """What an answer depends on, for the result cache (`qualgate.cache.inputs`): the
    dependency files, the offline database, today's date. Never cached: asking the OSV
    service (its answers change over time), writing an SBOM."""
    import datetime as dt

    from qualgate.cache.inputs import Inputs, outside_root, parents_of, rel_glob

    db = ctx.option("vuln-db")
    skip = None
    if db is None:
        skip = "the OSV service's answers change over time (pass --vuln-db to cache)"
    elif ctx.option("sbom") is not None:
        skip = "--sbom writes a file"
    files = [
        *DEPENDENCY_FILES,
        *rel_glob(ctx, db, "/**"),
        *(g for f in ctx.option("file") or () for g in rel_glob(ctx, f)),
    ]
    return Inputs(
        files=tuple(files),
        outside=(
            *outside_root(ctx, db, *(ctx.option("file") or ())),
            *parents_of(ctx, ("uv.lock", "poetry.lock", "pdm.lock", "pyproject.toml")),
        ),
        env=(),
        python=bool(ctx.option("installed")),
        # Accepted advisories expire (`until`): an answer holds for one day.
        extra=(f"date={dt.datetime.now(dt.timezone.utc).date().isoformat()}",),
        skip=skip,
    )


def run(ctx: GateContext) -> Verdict:
    """Scan the project's dependencies (see the module docstring)."""
    from qualgate.gates.dependency_scan.scan import scan

    return scan(ctx)
