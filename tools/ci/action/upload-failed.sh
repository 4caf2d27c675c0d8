#!/bin/sh
# The qualgate action's note when code scanning refused the SARIF upload: the verdict,
# annotations and summary stand; say why the alerts may be missing.
set -eu
text="The SARIF upload to code scanning failed (see the upload step): is code scanning enabled, and does the job have \`permissions: security-events: write\`? The verdict, annotations and job summary are not affected."
echo "::warning title=qualgate SARIF upload::$text"
if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
  printf '\n> [!WARNING]\n> %s\n' "$text" >> "$GITHUB_STEP_SUMMARY"
fi
