"""The built-in ruleset: the function of every document-walking rule, listed explicitly.

Each rule's id, severity and rationale are in the catalogue (`rules.RULES`); here is
only what runs it: the function that walks a loaded document and the OpenAPI versions
it applies to. A test keeps both lists in step.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from qualgate.gates.openapi_lint.issues import Issue
from qualgate.gates.openapi_lint.model import Spec
from qualgate.gates.openapi_lint.rules import document, operations, schemas

ALL_VERSIONS = ("2.0", "3.0", "3.1", "3.2")
V3 = ("3.0", "3.1", "3.2")
V2_V30 = ("2.0", "3.0")


@dataclass(frozen=True, kw_only=True, slots=True)
class RuleCheck:
    """How one rule of the ruleset runs: its function and the versions it applies to."""

    id: str
    run: Callable[[Spec], Iterable[Issue]]
    versions: tuple[str, ...] = ALL_VERSIONS


# Rule id -> its check, in the order the rules run (and their findings are reported).
CHECKS: dict[str, RuleCheck] = {
    check.id: check
    for check in (
        RuleCheck(id="servers-defined", run=document.servers_defined, versions=V3),
        RuleCheck(id="server-trailing-slash", run=document.server_trailing_slash, versions=V3),
        RuleCheck(id="server-variables-defined", run=document.server_variables, versions=V3),
        RuleCheck(id="tag-duplicate", run=document.tag_duplicate),
        RuleCheck(id="info-description", run=document.info_description),
        RuleCheck(id="info-contact", run=document.info_contact),
        RuleCheck(id="info-license", run=document.info_license),
        RuleCheck(id="components-unused", run=document.components_unused),
        RuleCheck(id="markdown-no-script", run=document.markdown_no_script),
        RuleCheck(id="markdown-no-eval", run=document.markdown_no_eval),
        RuleCheck(id="ref-siblings", run=document.ref_siblings, versions=V2_V30),
        RuleCheck(id="operation-operationId", run=operations.operation_id_present),
        RuleCheck(id="operation-operationId-unique", run=operations.operation_id_unique),
        RuleCheck(id="operation-operationId-url-safe", run=operations.operation_id_url_safe),
        RuleCheck(id="path-params", run=operations.path_params),
        RuleCheck(id="parameter-duplicate", run=operations.parameter_duplicate),
        RuleCheck(id="path-identical", run=operations.path_identical),
        RuleCheck(id="path-ambiguous", run=operations.path_ambiguous),
        RuleCheck(id="path-trailing-slash", run=operations.path_trailing_slash),
        RuleCheck(id="path-query-string", run=operations.path_query_string),
        RuleCheck(id="operation-success-response", run=operations.success_response),
        RuleCheck(id="operation-4xx-response", run=operations.client_error_response),
        RuleCheck(id="operation-summary", run=operations.operation_summary),
        RuleCheck(id="operation-description", run=operations.operation_description),
        RuleCheck(id="operation-tag-defined", run=operations.operation_tag_defined),
        RuleCheck(id="security-defined", run=operations.security_defined),
        RuleCheck(id="enum-unique", run=schemas.enum_unique),
        RuleCheck(id="enum-type", run=schemas.enum_type),
        RuleCheck(id="schema-required-undefined", run=schemas.required_undefined),
        RuleCheck(id="default-valid", run=schemas.default_valid),
        RuleCheck(id="example-valid", run=schemas.example_valid),
    )
}
