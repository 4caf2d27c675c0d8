"""The structure check rejects at least what openapi-spec-validator (the reference) rejects."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from qualgate.gates.openapi_lint.api import validate_document
from qualgate.gates.openapi_lint.structure import version_issue
from tests.gates.openapi_lint.helpers import VERSIONS, clean, hits, lint
from tests.support import FIXTURES, REPO

INVALID = sorted((FIXTURES / "openapi" / "osv-invalid").glob("*.yaml"))


def _osv_errors(data: Any) -> list[Any]:
    from openapi_spec_validator.shortcuts import get_validator_cls

    return list(get_validator_cls(data)(data).iter_errors())


@pytest.mark.parametrize("fixture", INVALID, ids=[p.stem for p in INVALID])
def test_rejects_what_the_reference_rejects(tmp_path: Path, fixture: Path) -> None:
    data = yaml.safe_load(fixture.read_text(encoding="utf-8"))
    assert _osv_errors(data), "the fixture must be one openapi-spec-validator rejects"
    target = tmp_path / "openapi.yaml"
    shutil.copy(fixture, target)
    errors = [f for f in validate_document(target, tmp_path) if f.severity.value == "error"]
    assert errors, f"{fixture.name}: openapi-spec-validator rejects it, we did not"
    for finding in errors:
        assert finding.path == "openapi.yaml"
        assert finding.line is not None and finding.line >= 1
        assert "pointer" in finding.data


@pytest.mark.parametrize(
    ("name", "rule", "line"),
    [
        ("30-missing-info-version", "oas-structure", 2),
        ("30-response-without-description", "oas-structure", 15),
        ("30-unknown-operation-field", "oas-structure", 12),
        ("30-schema-type-number", "oas-structure", 26),
        ("31-schema-type-number", "oas-structure", 26),
        ("31-exclusive-minimum-bool", "oas-structure", 26),
        ("31-unknown-top-level", "oas-structure", 1),
        ("30-duplicate-operation-id", "operation-operationId-unique", 17),
        ("30-duplicate-tag", "tag-duplicate", 7),
        ("30-default-invalid", "default-valid", 26),
        ("20-param-default-invalid", "default-valid", 14),
        ("30-allof-required-undefined", "schema-required-undefined", 25),
        ("20-missing-paths", "oas-structure", 1),
    ],
)
def test_structure_errors_are_located(tmp_path: Path, name: str, rule: str, line: int) -> None:
    target = tmp_path / "openapi.yaml"
    shutil.copy(FIXTURES / "openapi" / "osv-invalid" / f"{name}.yaml", target)
    found = [(f.rule, f.line) for f in validate_document(target, tmp_path) if f.rule == rule]
    assert (rule, line) in found, validate_document(target, tmp_path)


@pytest.mark.parametrize("version", VERSIONS)
def test_what_the_reference_accepts_has_no_structure_error(tmp_path: Path, version: str) -> None:
    text = clean(version)
    assert not _osv_errors(yaml.safe_load(text))
    run = lint(tmp_path, text)
    assert hits(run, "oas-structure") == []


def test_demo_service_contract_passes_reference_and_gate() -> None:
    demo = REPO / "examples" / "demo-service"
    data = yaml.safe_load((demo / "openapi.yaml").read_text(encoding="utf-8"))
    assert not _osv_errors(data)
    assert validate_document(demo / "openapi.yaml", demo) == []


def test_oneof_errors_report_the_branch_meant(tmp_path: Path) -> None:
    target = tmp_path / "openapi.yaml"
    shutil.copy(
        FIXTURES / "openapi" / "osv-invalid" / "30-response-without-description.yaml", target
    )
    messages = [f.message for f in validate_document(target, tmp_path) if f.rule == "oas-structure"]
    assert any('"description" is a required property' in m for m in messages), messages
    assert not any("$ref" in m for m in messages), messages


@pytest.mark.parametrize(
    ("text", "rule", "pointer"),
    [
        ("- a\n- b\n", "oas-structure", ""),
        ("openapi: 2.5.0\ninfo: {title: t, version: '1'}\n", "oas-version", "/openapi"),
        ("swagger: '1.2'\n", "oas-version", "/swagger"),
        ("info: {title: t}\n", "oas-version", ""),
    ],
)
def test_not_an_openapi_document(tmp_path: Path, text: str, rule: str, pointer: str) -> None:
    from qualgate.gates.openapi_lint.loader import load_text

    doc, _ = load_text(text, tmp_path / "x.yaml", "x.yaml")
    assert doc is not None
    issue = version_issue(doc)
    assert issue is not None and issue.rule == rule and issue.pointer == pointer


def test_configured_non_openapi_file_is_an_error(tmp_path: Path) -> None:
    run = lint(tmp_path, "info: {title: t}\n", "--specs", "api/spec.yaml", name="api/spec.yaml")
    assert run.code == 1
    assert hits(run, "oas-version") == [("api/spec.yaml", 1)]
