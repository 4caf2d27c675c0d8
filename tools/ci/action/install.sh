#!/bin/sh
# The qualgate action's install step: qualgate from the action's own checkout (the version
# the workflow pinned with `uses: qualgate/qualgate@REF`), in a virtual environment of its
# own, so the project's environment is never changed. Prints the environment's python to
# $GITHUB_OUTPUT as `python`.
set -eu
python=${QG_PYTHON:-}
if [ -z "$python" ]; then python=python3; fi
venv=${RUNNER_TEMP:-${TMPDIR:-/tmp}}/qualgate-action-venv
if [ ! -x "$venv/bin/python" ]; then
  "$python" -m venv "$venv"
fi
# The database drivers let migration-check and seed reach PostgreSQL and MySQL/MariaDB.
"$venv/bin/python" -m pip install --disable-pip-version-check --quiet \
  "$GITHUB_ACTION_PATH[postgres,mysql]"
"$venv/bin/python" -m qualgate --version
echo "python=$venv/bin/python" >> "$GITHUB_OUTPUT"
