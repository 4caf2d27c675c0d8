#!/bin/sh
# qualgate artifact-validate, run from the project root (relative paths in arguments are relative to it).
# Finds qualgate: $QUALGATE, then an isolated install on PATH (pipx, uv tool), then the
# project's .venv (a fallback: installing qualgate into the project's venv can change its
# packages), then python3 -m qualgate. No logic lives here: the gate does the work.
set -eu
root=$(CDPATH= cd -- "$(dirname -- "$0")/../.." && pwd)
cd "$root"
if [ -n "${QUALGATE:-}" ]; then exec "$QUALGATE" artifact-validate "$@"; fi
if command -v qualgate >/dev/null 2>&1; then exec qualgate artifact-validate "$@"; fi
# A .venv committed to the repository is not the developer's: its programs are never run.
if [ -x .venv/bin/qualgate ] && [ -z "$(git ls-files -- .venv 2>/dev/null | head -n 1)" ]; then
  exec .venv/bin/qualgate artifact-validate "$@"
fi
if python3 -c 'import qualgate' >/dev/null 2>&1; then exec python3 -m qualgate artifact-validate "$@"; fi
hint="install it beside the project: pipx install git+https://github.com/qualgate/qualgate (or uv tool install)"
echo "qualgate is not installed: $hint" >&2
case " $* " in *" --format json "*|*" --format=json "*)
  printf '{"schema_version": 1, "gate": "artifact-validate", "status": "error", "summary": "qualgate is not installed", "tool": {"name": "qualgate", "version": "unknown"}, "started_at": "%s", "duration_ms": 0, "project": {"root": ".", "commit": null, "dirty": null, "base": null}, "checks": [], "metrics": {}, "thresholds": [], "findings": [], "next_steps": ["%s"], "reproduce": "qualgate artifact-validate"}\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$hint" ;;
esac
exit 2
