"""The gate end to end: discovery, skipping, config, --list-rules, the demo service."""

from __future__ import annotations

import shutil
from pathlib import Path

from qualgate.gates.openapi_lint.discovery import DEFAULT_SPECS, Found, discover
from qualgate.gates.openapi_lint.rules import RULES
from tests.gates.openapi_lint.helpers import clean, hits, lint, replace_line
from tests.support import REPO, read_verdict_file, run_qualgate, write_files


def test_nothing_to_check_is_skipped_with_the_reason(tmp_path: Path) -> None:
    run = lint(tmp_path, None, **{"README.md": "hi"})
    assert run.code == 0
    assert run.verdict is not None and run.verdict["status"] == "skipped"
    assert "no OpenAPI document found" in run.verdict["summary"]


def test_require_turns_skip_into_fail(tmp_path: Path) -> None:
    run = lint(tmp_path, None, "--require", **{"README.md": "hi"})
    assert run.code == 1


def test_default_discovery(tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {
            "openapi.json": "{}",
            "swagger.yml": "a: 1",
            "api/v1/openapi-public.yaml": "a: 1",
            "api/v1/other.yaml": "a: 1",
            ".venv/lib/openapi.yaml": "a: 1",
            "node_modules/x/openapi.yaml": "a: 1",
            "build/openapi.yaml": "a: 1",
            "docs/swagger.yaml": "a: 1",
        },
    )
    found = [f.rel for f in discover(tmp_path, DEFAULT_SPECS)]
    assert found == ["api/v1/openapi-public.yaml", "openapi.json", "swagger.yml"]


def test_files_named_openapi_that_are_not_descriptions_are_ignored(tmp_path: Path) -> None:
    run = lint(tmp_path, clean("3.1"), **{"tools/openapi-generator.yaml": "generatorName: x\n"})
    assert run.code == 0
    assert run.verdict is not None
    assert run.verdict["metrics"] == {
        "documents": 1,
        "documents_ignored": ["tools/openapi-generator.yaml"],
    }


def test_only_non_descriptions_is_a_skip(tmp_path: Path) -> None:
    run = lint(tmp_path, "generatorName: x\n", name="openapi-generator.yaml")
    assert run.verdict is not None and run.verdict["status"] == "skipped"


def test_specs_config_and_several_documents(tmp_path: Path) -> None:
    broken = replace_line(clean("3.0"), 16, "      x-id: getPet")
    write_files(
        tmp_path,
        {
            "pyproject.toml": '[tool.qualgate.openapi-lint]\nspecs = ["contracts/*.yaml"]\n',
            "contracts/a.yaml": clean("3.1"),
            "contracts/b.yaml": broken,
            "openapi.yaml": "not: checked\n",
        },
    )
    run = run_qualgate("openapi-lint", str(tmp_path))
    assert run.code == 0
    assert hits(run, "operation-operationId") == [("contracts/b.yaml", 15)]
    assert run.verdict is not None and run.verdict["metrics"]["documents"] == 2
    assert read_verdict_file(tmp_path, "openapi-lint")["status"] == "pass"


def test_rule_severities_from_config(tmp_path: Path) -> None:
    text = replace_line(clean("3.1"), 18, "      x-d: One pet.")
    text = replace_line(text, 16, "      x-id: getPet")
    write_files(
        tmp_path,
        {
            "pyproject.toml": "[tool.qualgate.openapi-lint]\n"
            'rules = {operation-description = "off", operation-operationId = "error"}\n',
        },
    )
    run = lint(tmp_path, text)
    assert run.code == 1
    assert [(f["rule"], f["severity"]) for f in run.findings] == [
        ("operation-operationId", "error")
    ]


def test_rule_severities_on_the_command_line(tmp_path: Path) -> None:
    text = replace_line(clean("3.1"), 18, "      x-d: One pet.")
    run = lint(tmp_path, text, "--rules", '{"operation-description": "note"}')
    assert [(f["rule"], f["severity"]) for f in run.findings] == [("operation-description", "note")]


def test_bad_rules_config_is_a_usage_error(tmp_path: Path) -> None:
    for value in (
        '{"no-such-rule": "off"}',
        '{"operation-summary": "loud"}',
        '["x"]',
        '{"yaml-syntax": "off"}',
    ):
        run = lint(tmp_path, clean("3.1"), "--rules", value)
        assert run.code == 2, value


def test_list_rules(tmp_path: Path) -> None:
    run = run_qualgate("openapi-lint", "--list-rules")
    assert run.code == 0
    listed = [line.split()[0] for line in run.stdout.splitlines()]
    assert listed == [rule.id for rule in RULES]
    assert "operation-operationId" in listed and "breaking-path-removed" in listed


def test_against_with_several_documents_is_an_error(tmp_path: Path) -> None:
    write_files(tmp_path, {"openapi.yaml": clean("3.1"), "api/openapi-b.yaml": clean("3.0")})
    run = run_qualgate("openapi-lint", str(tmp_path), "--against", str(tmp_path / "openapi.yaml"))
    assert run.code == 2
    assert run.verdict is not None and "--against" in run.verdict["summary"]


def test_checks_and_summary(tmp_path: Path) -> None:
    run = lint(tmp_path, replace_line(clean("3.1"), 30, '              schema: {$ref: "#/x"}'))
    assert run.verdict is not None
    checks = {c["name"]: c for c in run.verdict["checks"]}
    assert list(checks) == ["load", "refs", "structure", "rules"]
    assert checks["refs"]["status"] == "fail" and checks["refs"]["findings"] == 1
    assert run.verdict["summary"].startswith("1 document checked: 1 error")


def test_demo_service_passes(tmp_path: Path) -> None:
    demo = tmp_path / "demo"
    shutil.copytree(
        REPO / "examples" / "demo-service",
        demo,
        ignore=shutil.ignore_patterns(".venv", "*.egg-info", "__pycache__"),
    )
    run = run_qualgate("openapi-lint", str(demo), "--require")
    assert run.code == 0, run.findings
    # The committed contract has no finding; the app's generated document (its code
    # is FastAPI's default output) and its deviations from the contract are notes.
    assert [
        f for f in run.findings if f["path"] == "openapi.yaml" and f["check"] != "contract"
    ] == []
    assert {f["severity"] for f in run.findings} <= {"note"}
    assert run.verdict is not None and run.verdict["metrics"]["documents"] == 2
    assert run.verdict["metrics"]["contract"] == "openapi.yaml"
    assert run.verdict["metrics"]["generated"]["app"] == "demo_service.app:create_app"
    checks = {c["name"]: c["status"] for c in run.verdict["checks"]}
    assert checks["generate"] == "pass" and checks["contract"] == "pass"


def test_wrapper_exists() -> None:
    wrapper = REPO / "tools" / "ci" / "openapi-lint.sh"
    assert wrapper.is_file()
    assert "openapi-lint" in wrapper.read_text(encoding="utf-8")


def test_discovery_patterns(tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {
            "api/v1/openapi.yaml": "a: 1",
            "api/v2/openapi.yaml": "a: 1",
            "other/v1/openapi.yaml": "a: 1",
            "venv/v1/openapi.yaml": "a: 1",
        },
    )

    def rel(found: list[Found]) -> list[str]:
        return [f.rel for f in found]

    assert rel(discover(tmp_path, ["**/v1/openapi.yaml"])) == [
        "api/v1/openapi.yaml",
        "other/v1/openapi.yaml",
    ]
    assert rel(discover(tmp_path, ["api/**/*.yaml"])) == [
        "api/v1/openapi.yaml",
        "api/v2/openapi.yaml",
    ]
    absolute = str(tmp_path / "api" / "v2" / "openapi.yaml")
    assert rel(discover(tmp_path, [absolute])) == ["api/v2/openapi.yaml"]
