"""detect-secrets plugins qualgate adds, loaded by detect-secrets from this file's path.

detect-secrets 1.5 has no detector for Google API keys; this one follows the format Google
documents (``AIza`` and 35 URL-safe characters), the pattern gitleaks and TruffleHog use.
"""

import re

from detect_secrets.plugins.base import RegexBasedDetector


class GoogleApiKeyDetector(RegexBasedDetector):
    """Scans for Google API keys."""

    secret_type = "Google API Key"  # noqa: S105 - the kind, not a secret
    denylist = (re.compile(r"AIza[0-9A-Za-z_\-]{35}"),)
