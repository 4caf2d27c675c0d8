"""The standards preset finds secrets by content, never prints them, and spares
placeholders, example files and tests."""

from __future__ import annotations

import json
from pathlib import Path

from tests.support import run_qualgate, write_files

GATE = "lint-format"

# One planted secret per format, each on its own line; most in variables whose names say
# nothing (so ruff's S105-S107, which read names, cannot see them).
PLANTED = {
    "Stripe Access Key": 'API_KEY = "sk_live_4eC39HqLyjWDarjtT1zdp7dc"',
    "AWS Access Key": 'x = "AKIAIOSFODNN7ABCDEFG"',
    "GitHub Token": 'y = "ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789"',
    "Slack Token": 'z = "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"',
    "Google API Key": 'g = "AIzaSyA1b2C3d4E5f6G7h8I9j0KlMnOpQrStUvW"',
    "Basic Auth Credentials": 'DB = "postgresql://admin:S3cr3tPassw0rd@db.internal:5432/app"',
    "JSON Web Token": (
        'jwt = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6Ikpv'
        'aG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"'
    ),
    "Private Key": 'PEM = "-----BEGIN RSA PRIVATE KEY-----"',
    "Hex High Entropy String": 'AUTH_TOKEN = "9f8e7d6c5b4a39281726354433221100aabbccddeeff"',
}
SAFE = (
    'checksum = "9f8e7d6c5b4a39281726354433221100aabbccddeeff"\n'  # entropy, harmless name
    'PASSWORD = "changeme"\n'  # a placeholder
    'aws_example = "AKIAIOSFODNN7EXAMPLE"\n'  # AWS's documented example key
    'TEMPLATE = "${DATABASE_PASSWORD}"\n'
)


def _values() -> list[str]:
    out = []
    for line in PLANTED.values():
        value = line.split("=", 1)[1].strip().strip('"')
        out.append(value.split("//admin:")[1].split("@")[0] if "//admin:" in value else value)
    return out


def test_every_planted_format_is_found_and_masked(tmp_path: Path) -> None:
    source = '"""Config."""\n\n' + "\n".join(PLANTED.values()) + "\n" + SAFE
    write_files(
        tmp_path,
        {
            "pyproject.toml": '[tool.ruff.lint]\nselect = ["F"]\n',
            "app/__init__.py": "",
            "app/settings.py": source,
            ".env.example": "STRIPE=sk_live_4eC39HqLyjWDarjtT1zdp7dc\n",
            "deploy/values.yaml": "token: ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789\n",
            "tests/test_app.py": 'KEY = "AKIAIOSFODNN7ABCDEFG"\n',
        },
    )
    from tests.support import git_init

    git_init(tmp_path)
    run = run_qualgate(GATE, str(tmp_path), "--preset", "standards", "--checks", "ruff")
    assert run.code == 1, run.stdout
    secrets = [f for f in run.findings if f["rule"] == "hardcoded-secret"]
    kinds = {f["data"]["kind"]: f for f in secrets if f["path"] == "app/settings.py"}
    assert set(kinds) == set(PLANTED)
    for number, kind in enumerate(PLANTED, start=3):
        finding = kinds[kind]
        assert finding["line"] == number, kind
        assert finding["severity"] == "error"
        assert finding["data"]["standard"] == "no-hardcoded-secrets"
        assert finding["message"].startswith("[standard: no-hardcoded-secrets] hard-coded secret")
    # Configuration files are scanned too; example files and tests are not.
    assert {f["path"] for f in secrets} == {"app/settings.py", "deploy/values.yaml"}
    # No output format, report or verdict file holds a secret value.
    outputs = [run.stdout]
    for fmt in ("text", "sarif", "github", "markdown", "junit"):
        other = run_qualgate(GATE, str(tmp_path), "--preset", "standards", "--checks", "ruff",
                             "--format", fmt)  # fmt: skip
        outputs.append(other.stdout)
    written = (tmp_path / ".qualgate" / "verdicts" / "lint-format.json").read_text("utf-8")
    outputs.append(written)
    for value in _values():
        for text in outputs:
            assert value not in text
    assert json.loads(written)["status"] == "fail"


def test_secret_named_by_s105_is_reported_once(tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/a.py": (
                'PASSWORD = "hunter2-correct-horse"\n'
                'SECRET_KEY = "sk_live_4eC39HqLyjWDarjtT1zdp7dc"\n'
            ),
        },
    )
    run = run_qualgate(GATE, str(tmp_path), "--preset", "standards", "--checks", "ruff")
    per_line = {}
    for f in run.findings:
        if f["check"] == "standards" and f["data"]["standard"] == "no-hardcoded-secrets":
            per_line.setdefault(f["line"], []).append(f["rule"])
    # A plain keyword match is ruff's S105; a known key format replaces it.
    assert per_line == {1: ["S105"], 2: ["hardcoded-secret"]}
