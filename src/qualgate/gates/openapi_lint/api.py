"""The gate's checks as a library call, for other gates (artifact-validate).

`validate_document` runs loading, ``$ref`` resolution, the structure check and the
built-in rules (default severities) on one document, and returns located findings
with root-relative paths. Its signature is a contract: keep it.
"""

from __future__ import annotations

from pathlib import Path

from qualgate.gates.openapi_lint.discovery import shown
from qualgate.gates.openapi_lint.lint import Settings, check_document, to_findings
from qualgate.policy import gc_paused
from qualgate.verdict import Finding


def relative(path: Path, root: Path) -> str:
    """``path`` relative to ``root`` with forward slashes (``../x`` when outside it: a
    finding's path is never absolute)."""
    return shown(path, root)


def validate_document(path: Path, root: Path) -> list[Finding]:
    """Findings for the OpenAPI document at ``path`` (load + refs + structure + rules)."""
    settings = Settings()
    with gc_paused():
        result = check_document(path, relative(path, root), root, settings)
        return to_findings(result.issues, settings)
