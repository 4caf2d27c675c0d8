#!/bin/sh
# The project's own test suite, under coverage of the qualgate package.
# pytest's exit code 5 (no tests collected) is a failure here, like any non-zero code.
set -eu
root=$(CDPATH= cd -- "$(dirname -- "$0")/../.." && pwd)
cd "$root"
bin=.venv/bin
rm -f .coverage .coverage.*

status=0
"$bin/python" -m coverage run -m pytest -n auto -p xdist "$@" || status=$?
"$bin/python" -m coverage combine -q >/dev/null 2>&1 || true
if [ "$status" -ne 0 ]; then
  echo "test-suite: pytest exited with $status" >&2
  exit "$status"
fi
"$bin/python" -m coverage report --fail-under=90
