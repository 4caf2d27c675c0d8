"""dependency-scan end to end through the CLI, offline (OSV folders, zips, the PyPA db)."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from tests.support import REPO, git_init, run_qualgate, shared_path, write_files

from . import records

GATE = "dependency-scan"


def scan(project: Path, *args: str, env: dict[str, str] | None = None) -> Any:
    # Every run really scans (the tests look at the offline index's own cache): the
    # pipeline's result cache, where there is one, stays out of the way.
    return run_qualgate(
        GATE, str(project), *args, env={"QUALGATE_DEPENDENCY_SCAN_CACHE": "0", **(env or {})}
    )


def by_rule(run: Any, rule: str) -> list[dict[str, Any]]:
    return [f for f in run.findings if f["rule"] == rule]


def test_pypa_advisory_db_end_to_end(tmp_path: Path) -> None:
    db = shared_path("advisory-db", "vulns")
    project = write_files(
        tmp_path / "p",
        {"requirements.txt": "pyyaml==5.3\njinja2==2.10\nrequests==2.32.3\n"},
    )
    args = ("--vuln-db", str(db), "--cache-dir", str(tmp_path / "cache"))
    first = scan(project, *args)
    assert first.code == 1, first.stdout
    vulns = by_rule(first, "vulnerable-dependency")
    got = {
        (f["data"]["package"], f["data"]["id"], tuple(f["data"]["fixed_versions"]), f["line"])
        for f in vulns
    }
    assert ("pyyaml", "PYSEC-2021-142", ("5.4",), 1) in got
    assert ("pyyaml", "PYSEC-2020-96", ("5.3.1",), 1) in got
    assert ("jinja2", "PYSEC-2019-217", ("2.10.1",), 2) in got
    assert ("jinja2", "PYSEC-2021-66", ("2.11.3",), 2) in got
    assert all(f["path"] == "requirements.txt" for f in vulns)
    assert not [f for f in vulns if f["data"]["package"] == "requests"]
    steps = first.verdict["next_steps"]
    assert "upgrade pyyaml 5.3 -> 5.4 (requirements.txt:1)" in steps
    assert "upgrade jinja2 2.10 -> 2.11.3 (requirements.txt:2)" in steps
    assert first.verdict["metrics"]["index_cached"] is False
    assert first.verdict["metrics"]["advisory_records"] == 2661
    second = scan(project, *args)
    assert second.verdict["metrics"]["index_cached"] is True
    assert second.findings == first.findings


def test_aliases_merge_withdrawn_skipped_and_status_fail(
    tmp_path: Path, osv_db: Path, cache_dir: Path
) -> None:
    project = write_files(
        tmp_path / "p",
        {"requirements.txt": "# pins\nPyYAML==5.3\nrequests==2.0.0\nidna==3.7\n"},
    )
    run = scan(project, "--vuln-db", str(osv_db), "--cache-dir", str(cache_dir))
    assert run.code == 1
    vulns = by_rule(run, "vulnerable-dependency")
    assert [(f["data"]["id"], f["line"], f["severity"], f["data"]["severity"]) for f in vulns] == [
        ("GHSA-8q59-q68h-6hv4", 2, "error", "critical"),
        ("PYSEC-2020-96", 2, "error", "unknown"),
    ]
    assert vulns[0]["data"]["aliases"] == ["PYSEC-2021-142", "CVE-2020-14343"]
    assert vulns[0]["data"]["score"] == 9.8
    assert "PyYAML 5.3 is affected by GHSA-8q59-q68h-6hv4" in vulns[0]["message"]
    assert vulns[0]["help"] == "https://osv.dev/vulnerability/GHSA-8q59-q68h-6hv4"
    assert run.verdict["metrics"]["vulnerabilities"] == 2
    assert run.verdict["next_steps"] == ["upgrade PyYAML 5.3 -> 5.4 (requirements.txt:2)"]
    assert run.verdict["summary"].startswith("2 known vulnerabilities in 1 package; 3 of 3 pinned")


def test_clean_pins_pass(tmp_path: Path, osv_db: Path, cache_dir: Path) -> None:
    project = write_files(tmp_path / "p", {"requirements.txt": "pyyaml==6.0.1\nidna==3.7\n"})
    run = scan(project, "--vuln-db", str(osv_db), "--cache-dir", str(cache_dir))
    assert run.code == 0, run.stdout
    assert run.verdict["status"] == "pass"
    assert run.findings == []


def test_severity_threshold_and_unknown_severity_policy(
    tmp_path: Path, osv_db: Path, cache_dir: Path
) -> None:
    project = write_files(tmp_path / "p", {"requirements.txt": "pyyaml==5.3.1\nidna==3.6\n"})
    base = ("--vuln-db", str(osv_db), "--cache-dir", str(cache_dir))
    # idna: low (1.6); pyyaml 5.3.1: critical GHSA.
    run = scan(project, *base, "--fail-on-severity", "critical")
    severities = {f["data"]["id"]: f["severity"] for f in by_rule(run, "vulnerable-dependency")}
    assert severities == {"GHSA-8q59-q68h-6hv4": "error", "GHSA-low0-0000-0000": "warning"}
    assert run.code == 1
    project2 = write_files(tmp_path / "q", {"requirements.txt": "pyyaml==5.2\n"})
    # PYSEC-2020-96 has no score: fails by default even above the threshold...
    strict = scan(project2, *base, "--fail-on-severity", "critical")
    unknown = [
        f for f in by_rule(strict, "vulnerable-dependency") if f["data"]["id"] == "PYSEC-2020-96"
    ]
    assert unknown[0]["severity"] == "error"
    # ...and only warns with unknown-severity = warn.
    lenient = scan(project2, *base, "--fail-on-severity", "critical", "--unknown-severity", "warn")
    unknown = [
        f for f in by_rule(lenient, "vulnerable-dependency") if f["data"]["id"] == "PYSEC-2020-96"
    ]
    assert unknown[0]["severity"] == "warning"


def test_ignores_active_expired_and_unused(tmp_path: Path, osv_db: Path, cache_dir: Path) -> None:
    future = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    project = write_files(
        tmp_path / "p",
        {
            "requirements.txt": "pyyaml==5.3\n",
            "pyproject.toml": (
                "[tool.qualgate.dependency-scan]\n"
                "ignore = [\n"
                f'  {{id = "CVE-2020-14343", reason = "no untrusted YAML", until = "{future}"}},\n'
                '  {id = "PYSEC-2020-96", reason = "accepted", until = 2020-01-01},\n'
                '  {id = "GHSA-xxxx-xxxx-xxxx", reason = "old"},\n'
                "]\n"
            ),
        },
    )
    run = scan(
        project,
        "--vuln-db",
        str(osv_db),
        "--cache-dir",
        str(cache_dir),
        "--file",
        "requirements.txt",
    )
    assert run.code == 1
    assert [f["data"]["id"] for f in by_rule(run, "vulnerable-dependency")] == ["PYSEC-2020-96"]
    expired = by_rule(run, "ignore-expired")
    assert [(f["path"], f["line"], f["severity"]) for f in expired] == [
        ("pyproject.toml", 4, "error")
    ]
    unused = by_rule(run, "ignore-unused")
    assert [(f["path"], f["line"], f["severity"]) for f in unused] == [
        ("pyproject.toml", 5, "note")
    ]
    ignored = run.verdict["metrics"]["ignored"]
    assert [(i["id"], i["reason"], i["until"]) for i in ignored] == [
        ("GHSA-8q59-q68h-6hv4", "no untrusted YAML", future)
    ]


@pytest.mark.parametrize(
    "value",
    [
        '[{"id": "X"}]',
        '[{"reason": "r"}]',
        '[{"id": "X", "reason": "r", "until": "soon"}]',
        '[{"id": "X", "reason": "r", "extra": 1}]',
        '"X"',
        "[1]",
    ],
)
def test_bad_ignore_entries_are_usage_errors(tmp_path: Path, value: str) -> None:
    project = write_files(tmp_path / "p", {"requirements.txt": "six==1.16.0\n"})
    run = scan(project, "--ignore", value, "--offline")
    assert run.code == 2
    assert "ignore" in (run.verdict["summary"] if run.verdict else run.stderr)


def test_require_pins_turns_range_and_url_warnings_into_errors(
    tmp_path: Path, osv_db: Path, cache_dir: Path
) -> None:
    project = write_files(
        tmp_path / "p",
        {
            "requirements.txt": "six==1.16.0\nrequests>=2\nclick\n"
            "git+https://github.com/x/tool.git#egg=tool\n-c constraints.txt\n",
            "constraints.txt": "click==8.1.7\nurllib3<3\n",
        },
    )
    base = ("--vuln-db", str(osv_db), "--cache-dir", str(cache_dir))
    lenient = scan(project, *base)
    assert lenient.code == 0
    assert [(f["rule"], f["line"], f["severity"]) for f in lenient.findings] == [
        ("unpinned-dependency", 2, "warning"),
        ("unscannable-dependency", 4, "warning"),
    ]
    strict = scan(project, *base, "--require-pins")
    assert strict.code == 1
    assert [(f["rule"], f["severity"]) for f in strict.findings] == [
        ("unpinned-dependency", "error"),
        ("unscannable-dependency", "error"),
    ]


def test_pyproject_ranges_are_notes_when_covered_elsewhere_or_locked(
    tmp_path: Path, osv_db: Path, cache_dir: Path
) -> None:
    project = write_files(
        tmp_path / "p",
        {
            "pyproject.toml": '[project]\nname = "x"\nversion = "1"\n'
            'dependencies = ["pyyaml>=6", "attrs>=23"]\n',
            "requirements.txt": "pyyaml==6.0.1\n",
        },
    )
    run = scan(project, "--vuln-db", str(osv_db), "--cache-dir", str(cache_dir))
    assert run.code == 0
    assert [(f["rule"], f["severity"], f["path"], f["line"]) for f in run.findings] == [
        ("unpinned-dependency", "note", "pyproject.toml", 4)
    ]
    assert "attrs" in run.findings[0]["message"]


def test_nothing_pinned_is_an_error_not_a_pass(tmp_path: Path, osv_db: Path) -> None:
    project = write_files(tmp_path / "p", {"requirements.txt": "flask\nrequests>=2\n"})
    run = scan(project, "--vuln-db", str(osv_db))
    assert run.code == 2
    assert "nothing could be checked" in run.verdict["summary"]


def test_no_files_is_skipped_and_require_fails(tmp_path: Path) -> None:
    project = write_files(tmp_path / "p", {"README.md": "hi\n"})
    run = scan(project)
    assert run.code == 0
    assert run.verdict["status"] == "skipped"
    assert "no dependency files found" in run.verdict["summary"]
    assert scan(project, "--require").code == 1
    empty = write_files(tmp_path / "e", {"requirements.txt": "# nothing yet\n"})
    run = scan(empty)
    assert run.verdict["status"] == "skipped"
    assert run.verdict["summary"] == "no dependencies declared in requirements.txt"


def test_offline_without_database_is_an_error(tmp_path: Path) -> None:
    project = write_files(tmp_path / "p", {"requirements.txt": "six==1.16.0\n"})
    run = scan(project, "--offline")
    assert run.code == 2
    assert run.verdict["summary"].startswith("--offline without --vuln-db")


def test_parse_error_fails_at_its_line_and_other_files_still_scanned(
    tmp_path: Path, osv_db: Path, cache_dir: Path
) -> None:
    project = write_files(
        tmp_path / "p",
        {"requirements.txt": "pyyaml==5.3\nnot a requirement!!\n", "poetry.lock": "[[package]\n"},
    )
    run = scan(project, "--vuln-db", str(osv_db), "--cache-dir", str(cache_dir))
    assert run.code == 1
    errors = by_rule(run, "parse-error")
    assert [(f["path"], f["line"]) for f in errors] == [("requirements.txt", 2), ("poetry.lock", 1)]
    assert by_rule(run, "vulnerable-dependency")


def test_files_above_the_project_in_its_repository_are_named_in_the_message(
    tmp_path: Path, osv_db: Path, cache_dir: Path
) -> None:
    # A monorepo: backend/ includes the repository's shared pins.
    write_files(tmp_path, {"shared/base.txt": "pyyaml==5.3\nbroken line!!\n"})
    project = write_files(tmp_path / "p", {"requirements.txt": "-r ../shared/base.txt\n"})
    (tmp_path / ".git").mkdir()
    run = scan(project, "--vuln-db", str(osv_db), "--cache-dir", str(cache_dir))
    assert run.code == 1
    got = {
        (f["rule"], f.get("path"), f["message"].split(": ")[0], f["data"].get("location"))
        for f in run.findings
    }
    assert got == {
        ("parse-error", None, "../shared/base.txt", "../shared/base.txt:2"),
        ("vulnerable-dependency", None, "../shared/base.txt", "../shared/base.txt:1"),
    }
    assert not [f for f in run.findings if str(tmp_path) in f["message"]]  # no absolute paths


def test_includes_outside_the_repository_are_findings_not_reads(
    tmp_path: Path, osv_db: Path, cache_dir: Path
) -> None:
    write_files(tmp_path, {"shared/base.txt": "pyyaml==5.3\n"})
    project = write_files(tmp_path / "p", {"requirements.txt": "-r ../shared/base.txt\n"})
    run = scan(project, "--vuln-db", str(osv_db), "--cache-dir", str(cache_dir))
    assert run.code == 1
    assert [(f["rule"], f["path"], f["line"]) for f in run.findings] == [
        ("include-unreadable", "requirements.txt", 1)
    ]
    assert "leads outside the repository" in run.findings[0]["message"]


def test_a_file_with_only_broken_lines_fails_rather_than_errors(tmp_path: Path) -> None:
    project = write_files(tmp_path / "p", {"requirements.txt": "-e .\nnot a requirement!!\n"})
    run = scan(project, "--offline")
    assert run.code == 1
    assert [(f["rule"], f["line"]) for f in run.findings] == [("parse-error", 2)]


def test_missing_vuln_db_and_empty_db_are_errors(tmp_path: Path) -> None:
    project = write_files(tmp_path / "p", {"requirements.txt": "six==1.16.0\n"})
    run = scan(project, "--vuln-db", str(tmp_path / "nope"))
    assert run.code == 2
    assert "no such file or folder" in run.verdict["summary"]
    empty = tmp_path / "empty"
    write_files(empty, {"a/README.json": "[]", "b/x.yaml": ": : bad: [yaml\n"})
    run = scan(project, "--vuln-db", str(empty), "--cache-dir", str(tmp_path / "c"))
    assert run.code == 2
    assert "no OSV records found (2 unreadable files)" in run.verdict["summary"]


def test_unreadable_records_warn_and_index_rebuilds_on_change(
    tmp_path: Path, osv_db: Path, cache_dir: Path
) -> None:
    (osv_db / "broken").mkdir()
    (osv_db / "broken" / "X.json").write_text("{not json", encoding="utf-8")
    project = write_files(tmp_path / "p", {"requirements.txt": "idna==3.6\n"})
    base = ("--vuln-db", str(osv_db), "--cache-dir", str(cache_dir))
    run = scan(project, *base)
    warnings = by_rule(run, "vuln-db-unreadable")
    assert len(warnings) == 1 and "broken/X.json" in warnings[0]["message"]
    assert scan(project, *base).verdict["metrics"]["index_cached"] is True
    # A new record invalidates the cached index and is found at once.
    records.write_db(
        osv_db,
        [dict(records.LOW_SEVERITY, id="GHSA-new0-0000-0000", aliases=[])],
    )
    again = scan(project, *base)
    assert again.verdict["metrics"]["index_cached"] is False
    ids = {f["data"]["id"] for f in by_rule(again, "vulnerable-dependency")}
    assert ids == {"GHSA-low0-0000-0000", "GHSA-new0-0000-0000"}


def test_osv_zip_database(tmp_path: Path, cache_dir: Path) -> None:
    archive = tmp_path / "PyPI.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for record in records.ALL:
            zf.writestr(f"{record['id']}.json", json.dumps(record))
        zf.writestr("junk.json", "{")
    project = write_files(tmp_path / "p", {"requirements.txt": "pyyaml==5.3\n"})
    run = scan(project, "--vuln-db", str(archive), "--cache-dir", str(cache_dir))
    assert run.code == 1
    assert len(by_rule(run, "vulnerable-dependency")) == 2
    assert len(by_rule(run, "vuln-db-unreadable")) == 1
    bad = tmp_path / "bad.zip"
    bad.write_text("not a zip", encoding="utf-8")
    run = scan(project, "--vuln-db", str(bad), "--cache-dir", str(cache_dir))
    assert run.code == 2 and "not a readable zip" in run.verdict["summary"]


def test_npm_lock_vulnerabilities_and_license_policy(
    tmp_path: Path, osv_db: Path, cache_dir: Path
) -> None:
    lock = {
        "name": "web",
        "lockfileVersion": 3,
        "packages": {
            "": {"name": "web"},
            "node_modules/lodash": {"version": "4.17.20", "license": "MIT"},
            "node_modules/gpl-thing": {"version": "1.0.0", "license": "GPL-3.0-only"},
            "node_modules/dual": {"version": "2.0.0", "license": "(MIT OR GPL-3.0-only)"},
            "node_modules/mystery": {"version": "0.1.0"},
        },
    }
    project = write_files(tmp_path / "p", {"package-lock.json": json.dumps(lock, indent=2)})
    base = ("--vuln-db", str(osv_db), "--cache-dir", str(cache_dir))
    run = scan(project, *base, "--license-deny", "GPL-3.0-only")
    assert run.code == 1
    # A license that cannot be read cannot be judged against a deny list either: warning.
    assert [(f["rule"], f["line"], f["severity"]) for f in run.findings] == [
        ("vulnerable-dependency", 8, "error"),
        ("license-denied", 12, "error"),
        ("license-unknown", 20, "warning"),
    ]
    assert run.verdict["next_steps"] == ["upgrade lodash 4.17.20 -> 4.17.21 (package-lock.json:8)"]
    allow = scan(project, *base, "--license-allow", "MIT,ISC")
    assert [(f["rule"], f["data"].get("package")) for f in allow.findings[1:]] == [
        ("license-not-allowed", "gpl-thing"),
        ("license-unknown", "mystery"),
    ]


def test_an_ecosystem_the_offline_database_lacks_is_unchecked_not_clean(
    tmp_path: Path, cache_dir: Path
) -> None:
    pypi_only = records.write_db(tmp_path / "pypi-only", [records.PYYAML_GHSA])
    lock = {
        "lockfileVersion": 3,
        "packages": {"": {}, "node_modules/lodash": {"version": "4.17.21"}},
    }
    project = write_files(
        tmp_path / "p",
        {"package-lock.json": json.dumps(lock), "requirements.txt": "pyyaml==6.0.1\n"},
    )
    run = scan(project, "--vuln-db", str(pypi_only), "--cache-dir", str(cache_dir))
    assert run.code == 2
    assert run.verdict["summary"] == (
        "1 of 2 pinned dependencies could not be checked "
        "(the offline database has no npm records); 0 known vulnerabilities in the 1 checked"
    )
    assert run.verdict["metrics"]["unchecked"] == ["lodash==4.17.21"]


def test_license_policy_without_license_data_is_an_error(
    tmp_path: Path, osv_db: Path, cache_dir: Path
) -> None:
    project = write_files(tmp_path / "p", {"requirements.txt": "six==1.16.0\n"})
    run = scan(
        project,
        "--vuln-db",
        str(osv_db),
        "--cache-dir",
        str(cache_dir),
        "--license-deny",
        "GPL-3.0-only",
    )
    assert run.code == 2
    assert "no scanned input carries license data" in run.verdict["summary"]


def _fake_venv(root: Path, dists: dict[str, dict[str, str]]) -> Path:
    """A real interpreter environment (venv without pip) with hand-written dist-info."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root)], check=True)
    site = next(root.glob("lib/python*/site-packages"))
    for name, fields in dists.items():
        info = site / f"{name}-{fields['Version']}.dist-info"
        info.mkdir()
        text = (
            "Metadata-Version: 2.1\n"
            + f"Name: {name}\n"
            + "".join(f"{k}: {v}\n" for k, v in fields.items())
        )
        (info / "METADATA").write_text(text + "\nlong description\n", encoding="utf-8")
        if name == "mypkg":
            (info / "direct_url.json").write_text(
                json.dumps({"url": "file:///src/mypkg", "dir_info": {"editable": True}}),
                encoding="utf-8",
            )
        if name == "vcspkg":
            (info / "direct_url.json").write_text(
                json.dumps({"url": "https://github.com/x/vcspkg", "vcs_info": {"vcs": "git"}}),
                encoding="utf-8",
            )
    # A .pth file that would run code if site processing happened: it must not.
    (site / "evil.pth").write_text(
        f"import os; open({str(root / 'RAN')!r}, 'w')\n", encoding="utf-8"
    )
    return root / "bin" / "python"


def test_installed_environment_is_read_without_running_package_code(
    tmp_path: Path, osv_db: Path, cache_dir: Path
) -> None:
    project = tmp_path / "p"
    python = _fake_venv(
        project / ".venv",
        {
            "PyYAML": {"Version": "5.3", "License": "MIT"},
            "gplpkg": {"Version": "1.0", "License-Expression": "GPL-3.0-or-later"},
            "classic": {"Version": "2.0", "Classifier": "License :: OSI Approved :: BSD License"},
            "mypkg": {"Version": "0.1"},
            "vcspkg": {"Version": "0.2"},
        },
    )
    # The developer's own environment: git tracks nothing of it (SECURITY.md's rule).
    write_files(project, {".gitignore": ".venv/\n"})
    git_init(project)
    run = scan(
        project,
        "--installed",
        "--vuln-db",
        str(osv_db),
        "--cache-dir",
        str(cache_dir),
        "--license-allow",
        "MIT,BSD-3-Clause",
    )
    assert not (project / ".venv" / "RAN").exists()
    assert run.code == 1
    rules = sorted((f["rule"], f["data"].get("package"), f["line"]) for f in run.findings)
    assert rules == [
        ("license-not-allowed", "gplpkg", 3),
        ("license-unknown", "vcspkg", 3),
        ("unscannable-dependency", "vcspkg", 3),
        ("vulnerable-dependency", "PyYAML", 3),
        ("vulnerable-dependency", "PyYAML", 3),
    ]
    vuln = by_rule(run, "vulnerable-dependency")[0]
    assert vuln["path"].startswith(".venv/lib/python") and vuln["path"].endswith(
        "PyYAML-5.3.dist-info/METADATA"
    )
    # --python names the interpreter explicitly; a missing one is an error.
    assert scan(project, "--installed", "--python", str(python), "--offline").code == 2
    missing = scan(project, "--installed", "--python", str(tmp_path / "nope"), "--offline")
    assert missing.code == 2 and "no such interpreter" in missing.verdict["summary"]


def test_installed_with_a_broken_interpreter_is_an_error(tmp_path: Path) -> None:
    fake = (
        write_files(tmp_path, {"bin/python": "#!/bin/sh\necho boom >&2\nexit 3\n"}) / "bin/python"
    )
    fake.chmod(0o755)
    run = scan(tmp_path, "--installed", "--python", str(fake), "--offline")
    assert run.code == 2
    assert "could not list the installed distributions" in run.verdict["summary"]


def test_sbom_is_cyclonedx_json_of_what_was_scanned(
    tmp_path: Path, osv_db: Path, cache_dir: Path
) -> None:
    project = write_files(tmp_path / "p", {"requirements.txt": "pyyaml==5.3\nrequests>=2\n"})
    out = tmp_path / "out" / "sbom.json"
    run = scan(project, "--vuln-db", str(osv_db), "--cache-dir", str(cache_dir), "--sbom", str(out))
    assert run.code == 1
    bom = json.loads(out.read_text(encoding="utf-8"))
    assert bom["bomFormat"] == "CycloneDX" and bom["specVersion"] == "1.6"
    components = {c["name"]: c for c in bom["components"]}
    assert components["pyyaml"]["purl"] == "pkg:pypi/pyyaml@5.3"
    props = {(p["name"], p["value"]) for p in components["pyyaml"]["properties"]}
    assert ("qualgate:vulnerability", "GHSA-8q59-q68h-6hv4") in props
    assert ("qualgate:location", "requirements.txt:1") in props
    assert "version" not in components["requests"]
    assert not list(out.parent.glob(".*tmp"))
    lock = {
        "lockfileVersion": 3,
        "packages": {"": {}, "node_modules/@babel/core": {"version": "7.24.0", "license": "MIT"}},
    }
    npm = write_files(tmp_path / "npm", {"package-lock.json": json.dumps(lock)})
    scan(npm, "--vuln-db", str(osv_db), "--cache-dir", str(cache_dir), "--sbom", str(out))
    (component,) = json.loads(out.read_text(encoding="utf-8"))["components"]
    assert component["purl"] == "pkg:npm/%40babel/core@7.24.0"
    assert component["licenses"] == [{"license": {"id": "MIT"}}]


def test_base_marks_findings_on_unchanged_lines_as_existing(
    tmp_path: Path, osv_db: Path, cache_dir: Path
) -> None:
    project = write_files(tmp_path / "p", {"requirements.txt": "pyyaml==5.3\n"})
    git_init(project)
    (project / "requirements.txt").write_text("pyyaml==5.3\nidna==3.6\n", encoding="utf-8")
    run = scan(project, "--vuln-db", str(osv_db), "--cache-dir", str(cache_dir), "--base", "HEAD")
    existing = {f["data"]["package"]: f.get("existing", False) for f in run.findings}
    assert existing == {"pyyaml": True, "idna": False}
    assert run.code == 1  # idna's low issue fails with the default threshold (low)


def test_demo_service_passes_offline(tmp_path: Path, cache_dir: Path) -> None:
    demo = REPO / "examples" / "demo-service"
    copy = tmp_path / "demo"
    shutil.copytree(demo, copy, ignore=shutil.ignore_patterns(".venv", ".qualgate", "__pycache__"))
    run = scan(copy, "--cache-dir", str(cache_dir))
    assert run.code == 0, run.stdout
    assert run.verdict["status"] == "pass"
    assert run.verdict["metrics"]["pinned"] >= 5
    assert run.verdict["metrics"]["vuln_source"].startswith("offline database")


def test_default_cache_follows_xdg_cache_home(
    tmp_path: Path, osv_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from qualgate.gates.dependency_scan import scan as gate

    project = write_files(tmp_path / "p", {"requirements.txt": "idna==3.7\n"})
    xdg = tmp_path / "xdg"
    run = scan(project, "--vuln-db", str(osv_db), env={"XDG_CACHE_HOME": str(xdg)})
    assert run.code == 0
    assert len(list((xdg / "qualgate" / "osv-index").glob("*.marshal"))) == 1
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)

    def no_home() -> Path:
        raise RuntimeError("no home")

    monkeypatch.setattr(Path, "home", staticmethod(no_home))
    assert gate.default_cache_dir() is None


def test_installed_without_a_project_interpreter_says_which_env_it_read(
    tmp_path: Path, osv_db: Path, cache_dir: Path
) -> None:
    project = write_files(tmp_path / "p", {"README.md": "no venv here\n"})
    run = scan(project, "--installed", "--vuln-db", str(osv_db), "--cache-dir", str(cache_dir))
    notes = by_rule(run, "installed-interpreter")
    assert len(notes) == 1 and notes[0]["severity"] == "note"
    assert sys.executable in notes[0]["message"]
    assert run.verdict["metrics"]["dependencies"] > 10  # qualgate's own environment


def test_a_pin_that_is_not_a_version_is_reported_not_passed(
    tmp_path: Path, osv_db: Path, cache_dir: Path
) -> None:
    project = write_files(
        tmp_path / "p",
        {
            "requirements.txt": "six==abc\n",
            "poetry.lock": '[[package]]\nname = "attrs"\nversion = "not-a-version"\n',
        },
    )
    run = scan(project, "--vuln-db", str(osv_db), "--cache-dir", str(cache_dir))
    assert [(f["rule"], f["path"], f["line"]) for f in run.findings] == [
        ("parse-error", "requirements.txt", 1)
    ]
    assert run.code == 2
    assert "'not-a-version' is not a valid PyPI version" in run.verdict["summary"]


def test_config_command_shows_the_ignore_list(tmp_path: Path) -> None:
    project = write_files(
        tmp_path / "p",
        {
            "pyproject.toml": "[tool.qualgate.dependency-scan]\n"
            'ignore = [{id = "X-1", reason = "r", until = 2030-01-02}]\n'
        },
    )
    run = run_qualgate("config", str(project))
    assert run.code == 0, run.stdout
    assert 'ignore = [{"id": "X-1", "reason": "r", "until": "2030-01-02"}]' in run.stdout


def test_installed_uses_the_projects_own_venv_only_when_the_repository_did_not_ship_it(
    tmp_path: Path,
) -> None:
    project = write_files(tmp_path / "p", {".gitignore": ".venv/\n", "README.md": "x\n"})
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(project / ".venv")], check=True
    )
    # Not a git work tree: qualgate cannot tell who made .venv, so it does not run it.
    refused = scan(project, "--installed", "--offline")
    assert refused.code == 2
    assert "not a git work tree" in refused.verdict["summary"]
    assert "--python .venv/bin/python" in refused.verdict["next_steps"][0]
    # A git work tree where git tracks nothing of it: the developer's (or CI's) own.
    git_init(project)
    run = scan(project, "--installed", "--offline")
    assert run.code == 0, run.verdict
    assert run.verdict["metrics"]["files"] == [f"installed:{project / '.venv' / 'bin' / 'python'}"]
    assert run.verdict["metrics"]["dependencies"] == 0  # a bare venv: nothing installed
    assert not by_rule(run, "installed-interpreter")
