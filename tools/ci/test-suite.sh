#!/bin/sh
# The project's own test suite, run through qualgate's own run-tests gate (we eat our own
# cooking): pytest on every core under coverage, coverage-min from pyproject.toml (90).
# Arguments go to pytest. No tests collected is a failure, like any failed gate.
set -u
root=$(CDPATH= cd -- "$(dirname -- "$0")/../.." && pwd)
cd "$root"
status=0
.venv/bin/qualgate run-tests . -- -n auto "$@" || status=$?
# A plain closing line for CI logs ("N passed, N failed", then why tests were skipped),
# read from the verdict.
.venv/bin/python - <<'PY' || true
import json
m = json.load(open(".qualgate/verdicts/run-tests.json", encoding="utf-8"))["metrics"]
if "passed" in m:
    print(f"tests: {m['passed']} passed, {m['failed'] + m['errors']} failed, {m['skipped']} skipped")
    # pytest -rs: why each group of tests was skipped, most common first.
    for reason, n in (m.get("skip_reasons") or {}).items():
        print(f"  skipped {n}: {reason}")
PY
exit "$status"
