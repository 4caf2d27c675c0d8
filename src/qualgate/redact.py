"""Keep secrets out of verdicts: every form of a password in text is masked.

Forms covered: ``scheme://user:password@host`` (passwords holding ``/``, ``:``, ``@`` or
percent-escapes), ``?password=...`` and other secret query keys, libpq keyword strings
(``password=...``), and any literal secret value the run knows of (a database URL's
password given on the command line), raw and percent-decoded.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import unquote

MASK = "***"
# scheme://userinfo@ : userinfo runs to the last '@' before whitespace or a quote.
_URL_USERINFO = re.compile(
    # The lookbehind keeps the scan linear: a scheme starts where no scheme character precedes.
    r"(?<![A-Za-z0-9+.\-])"
    r"(?P<head>[A-Za-z][A-Za-z0-9+.\-]*://)(?P<user>[^:@\s/'\"<>]*):(?P<password>[^\s'\"<>]*)@"
    r"(?=[^@\s'\"<>]*(?:[\s'\"<>]|$))"
)
_MASKED_KEYS = r"(?:password|passwd|pwd|pass|secret|token|api[_-]?key|access[_-]?key|sslpassword)"
# ?password=x / &token=x in URLs, and libpq's `password=x` keyword strings.
_KEY_VALUE = re.compile(
    rf"(?P<key>(?:(?<=[?&;\s'\"])|^){_MASKED_KEYS}=)(?P<value>[^&\s'\"#;]+)",
    re.IGNORECASE,
)


def mask(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with every password and known secret replaced by ``***``."""
    for secret in secrets:
        if secret and len(secret) >= 3:
            for form in {secret, unquote(secret)}:
                text = text.replace(form, MASK)
    if "://" in text:
        text = _URL_USERINFO.sub(lambda m: f"{m['head']}{m['user']}:{MASK}@", text)
    if "=" in text:
        text = _KEY_VALUE.sub(lambda m: f"{m['key']}{MASK}", text)
    return text


def url_secrets(url: str) -> tuple[str, ...]:
    """The password (raw and percent-decoded) carried by a URL, if any."""
    match = _URL_USERINFO.search(url)
    found: list[str] = []
    if match and match["password"]:
        found += [match["password"], unquote(match["password"])]
    found += [m["value"] for m in _KEY_VALUE.finditer(url)]
    return tuple(dict.fromkeys(s for s in found if s and s != MASK))
