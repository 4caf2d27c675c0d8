"""Keep secrets out of verdicts: passwords in URLs are masked wherever text is shown."""

from __future__ import annotations

import re

# scheme://user:password@host  ->  scheme://user:***@host
_URL_PASSWORD = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*://[^:/@\s]*:)([^@/\s]+)@")


def mask(text: str) -> str:
    """``text`` with the password of every URL in it replaced by ``***``."""
    if "://" not in text:
        return text
    return _URL_PASSWORD.sub(r"\1***@", text)
