#!/bin/sh
# qualgate openapi-lint, run from the project root (relative paths in arguments are relative to it).
# Uses the project's .venv, then qualgate on PATH, then python3 -m qualgate.
set -eu
root=$(CDPATH= cd -- "$(dirname -- "$0")/../.." && pwd)
cd "$root"
if [ -x .venv/bin/qualgate ]; then exec .venv/bin/qualgate openapi-lint "$@"; fi
if command -v qualgate >/dev/null 2>&1; then exec qualgate openapi-lint "$@"; fi
if python3 -c 'import qualgate' >/dev/null 2>&1; then exec python3 -m qualgate openapi-lint "$@"; fi
echo "qualgate is not installed: run 'pip install qualgate' (or create .venv with it)" >&2
exit 2
