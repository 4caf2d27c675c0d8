"""openapi-lint's rule catalogue: every rule id it reports, its default severity and why.

`RULES` drives ``--list-rules``, SARIF rule metadata and ``docs/rules/openapi-lint.md``;
`CHECK_OF` names the verdict check (phase) that reports each id. The functions of the
document-walking rules are listed in `ruleset`; this module imports none of them, so
reading the catalogue stays cheap.
"""

from __future__ import annotations

from collections.abc import Mapping

from qualgate.rules import Rule, catalogue
from qualgate.verdict import Severity

E, W, N = Severity.ERROR, Severity.WARNING, Severity.NOTE

# Rules marked configurable=False mean the document could not be read or checked at
# all: turning them off would let the gate pass a document it never read.

_LOAD: tuple[Rule, ...] = (
    Rule(
        id="yaml-syntax",
        severity=E,
        rationale="The file is not valid YAML, so nothing in it can be checked.",
        configurable=False,
    ),
    Rule(
        id="json-syntax",
        severity=E,
        rationale="The file is not valid JSON, so nothing in it can be checked.",
        configurable=False,
    ),
    Rule(
        id="yaml-alias-bomb",
        severity=E,
        rationale="Aliases that expand exponentially (a 'billion laughs' bomb) or refer to "
        "themselves exhaust every tool that reads the file.",
        configurable=False,
    ),
    Rule(
        id="document-too-large",
        severity=E,
        rationale="Files over the size limit are refused, not half-read.",
        configurable=False,
    ),
    Rule(
        id="document-unreadable",
        severity=E,
        rationale="The file cannot be read.",
        configurable=False,
    ),
    Rule(
        id="document-encoding",
        severity=E,
        rationale="OpenAPI documents are UTF-8 text.",
        configurable=False,
    ),
    Rule(
        id="yaml-unsupported-tag",
        severity=E,
        rationale="Only the YAML core schema is safe; custom and language tags (!!python/object) "
        "mean different things to different tools.",
    ),
    Rule(
        id="yaml-duplicate-key",
        severity=E,
        rationale="YAML forbids duplicate keys and parsers disagree on which value wins.",
    ),
    Rule(
        id="yaml-complex-key",
        severity=E,
        rationale="Mapping keys must be plain strings in OpenAPI.",
    ),
)
_REFS: tuple[Rule, ...] = (
    Rule(
        id="ref-unresolved",
        severity=E,
        rationale="A $ref that points nowhere makes the description incomplete for every consumer.",
        configurable=False,
    ),
    Rule(
        id="ref-outside-root",
        severity=E,
        rationale="A $ref to a file outside the project cannot be reviewed or reproduced, and is "
        "never read.",
        configurable=False,
    ),
    Rule(
        id="ref-remote",
        severity=E,
        rationale="A remote $ref is not fetched unless --allow-remote-refs is given, so what it "
        "points at is not checked: the gate will not pass what it did not read (lower "
        "it to a warning in config to accept that).",
    ),
)
_STRUCTURE: tuple[Rule, ...] = (
    Rule(
        id="oas-version",
        severity=E,
        rationale="The document must declare `openapi: 3.x.y` or `swagger: '2.0'` to be checked.",
        configurable=False,
    ),
    Rule(
        id="oas-structure",
        severity=E,
        rationale="The document must be valid against its version's official OpenAPI JSON Schema "
        "(and its schemas valid JSON Schema), as openapi-spec-validator requires.",
        configurable=False,
    ),
)
_RULESET: tuple[Rule, ...] = (
    Rule(
        id="servers-defined",
        severity=W,
        rationale="Without servers, clients and mock servers do not know where the API lives.",
    ),
    Rule(
        id="server-trailing-slash",
        severity=W,
        rationale="Server URLs are joined with paths that start with '/': a trailing slash "
        "doubles it.",
    ),
    Rule(
        id="server-variables-defined",
        severity=E,
        rationale="Every {variable} in a server URL needs a definition with a default; defaults "
        "must be in the variable's enum; defined variables should be used.",
    ),
    Rule(
        id="tag-duplicate",
        severity=E,
        rationale="Tag names must be unique (openapi-spec-validator rejects duplicates).",
    ),
    Rule(
        id="info-description",
        severity=W,
        rationale="Say what the API is for at the top of its docs.",
    ),
    Rule(
        id="info-contact", severity=N, rationale="Consumers need someone to contact about the API."
    ),
    Rule(
        id="info-license",
        severity=N,
        rationale="Consumers need to know under which terms they may use the API.",
    ),
    Rule(
        id="components-unused",
        severity=W,
        rationale="A component nothing refers to is dead weight, often a typo of the one meant.",
    ),
    Rule(
        id="markdown-no-script",
        severity=E,
        rationale="Descriptions are rendered as Markdown (HTML allowed) in doc portals: a "
        "<script> tag there is stored XSS.",
    ),
    Rule(
        id="markdown-no-eval",
        severity=E,
        rationale="eval( in rendered Markdown is a script-injection vector in doc portals.",
    ),
    Rule(
        id="ref-siblings",
        severity=W,
        rationale="Before OpenAPI 3.1, keys beside a $ref are ignored: the description or "
        "nullable written there has no effect.",
    ),
    Rule(
        id="operation-operationId",
        severity=W,
        rationale="Code generators and SDKs name methods after operationId.",
    ),
    Rule(
        id="operation-operationId-unique",
        severity=E,
        rationale="Two operations with one operationId collide in generated clients and links "
        "(openapi-spec-validator rejects it).",
    ),
    Rule(
        id="operation-operationId-url-safe",
        severity=W,
        rationale="operationIds appear in URLs (links, docs anchors); keep them to URL-safe "
        "characters.",
    ),
    Rule(
        id="path-params",
        severity=E,
        rationale="Every {template} in a path needs a required `in: path` parameter and every "
        "path parameter a template (openapi-spec-validator rejects both).",
    ),
    Rule(
        id="parameter-duplicate",
        severity=E,
        rationale="A parameter (name + location) declared twice in one list is ambiguous "
        "(openapi-spec-validator rejects it).",
    ),
    Rule(
        id="path-identical",
        severity=E,
        rationale="Paths that differ only in template names (/a/{id} and /a/{key}) match the same"
        " URLs; servers cannot route them.",
    ),
    Rule(
        id="path-ambiguous",
        severity=W,
        rationale="Two paths that can match one URL with neither more specific (/{a}/x and "
        "/y/{b}) route differently per framework.",
    ),
    Rule(
        id="path-trailing-slash",
        severity=W,
        rationale="/pets/ and /pets are different URLs to many servers.",
    ),
    Rule(
        id="path-query-string",
        severity=E,
        rationale="Query parameters are declared as `in: query` parameters, never in the path key.",
    ),
    Rule(
        id="operation-success-response",
        severity=E,
        rationale="An operation needs at least one 2xx or 3xx response so clients know what "
        "success looks like.",
    ),
    Rule(
        id="operation-4xx-response",
        severity=W,
        rationale="Clients need to know what a rejected request looks like: document a 4xx "
        "response.",
    ),
    Rule(
        id="operation-summary",
        severity=W,
        rationale="A summary is the operation's title in every doc tool.",
    ),
    Rule(
        id="operation-description",
        severity=W,
        rationale="Say what the operation does, beyond its name.",
    ),
    Rule(
        id="operation-tag-defined",
        severity=W,
        rationale="Tags used by operations should be declared in the top-level `tags` list (with "
        "a description), or doc tools group them arbitrarily.",
    ),
    Rule(
        id="security-defined",
        severity=E,
        rationale="Security requirements must name defined security schemes, and OAuth2 scopes "
        "the scheme defines; otherwise the API is described as protected by nothing.",
    ),
    Rule(
        id="enum-unique",
        severity=W,
        rationale="A repeated enum value is a copy-paste slip; it means nothing.",
    ),
    Rule(
        id="enum-type",
        severity=E,
        rationale="An enum value that does not match the schema's type can never be valid.",
    ),
    Rule(
        id="schema-required-undefined",
        severity=E,
        rationale="A required property that no properties (or allOf part) defines is a typo "
        "(openapi-spec-validator rejects it).",
    ),
    Rule(
        id="default-valid",
        severity=E,
        rationale="A default that its own schema rejects is applied by servers and generated "
        "clients anyway (openapi-spec-validator rejects it).",
    ),
    Rule(
        id="example-valid",
        severity=E,
        rationale="Examples that their schema rejects mislead readers, mock servers and contract "
        "tests.",
    ),
)
_BREAKING: tuple[Rule, ...] = (
    Rule(
        id="breaking-path-removed", severity=E, rationale="Clients calling a removed path get 404."
    ),
    Rule(
        id="breaking-operation-removed",
        severity=E,
        rationale="Clients calling a removed operation get 404/405.",
    ),
    Rule(
        id="breaking-parameter-removed",
        severity=E,
        rationale="Clients still send the removed parameter, now ignored or rejected.",
    ),
    Rule(
        id="breaking-parameter-required",
        severity=E,
        rationale="A new required parameter (or one made required) rejects every existing call "
        "without it.",
    ),
    Rule(
        id="breaking-request-property-required",
        severity=E,
        rationale="A new required request property (or request body) rejects every existing "
        "request without it.",
    ),
    Rule(
        id="breaking-response-removed",
        severity=E,
        rationale="Clients handling a removed response status meet an undocumented one instead.",
    ),
    Rule(
        id="breaking-success-response-removed",
        severity=E,
        rationale="Removing a 2xx/3xx response changes what success means for every client.",
    ),
    Rule(
        id="breaking-response-property-removed",
        severity=E,
        rationale="Clients reading a removed response property break.",
    ),
    Rule(
        id="breaking-type-changed",
        severity=E,
        rationale="A changed type breaks (de)serialisation on one side.",
    ),
    Rule(
        id="breaking-format-changed",
        severity=E,
        rationale="A changed format (int32 -> int64, date -> date-time) breaks parsing and "
        "generated types.",
    ),
    Rule(
        id="breaking-request-enum-changed",
        severity=E,
        rationale="Enum values removed from (or added to) a request field change which calls are "
        "accepted.",
    ),
    Rule(
        id="breaking-response-enum-changed",
        severity=E,
        rationale="Enum values added to (or removed from) a response field reach clients with "
        "exhaustive handling.",
    ),
    Rule(
        id="breaking-constraint-tightened",
        severity=E,
        rationale="A tighter request constraint (maxLength, maximum, pattern...) rejects calls "
        "that used to work.",
    ),
    Rule(
        id="breaking-security-added",
        severity=E,
        rationale="New security requirements reject existing unauthenticated or differently-"
        "scoped calls.",
    ),
    Rule(
        id="breaking-media-type-removed",
        severity=E,
        rationale="Clients sending or accepting a removed media type break.",
    ),
    Rule(
        id="breaking-base-invalid",
        severity=W,
        rationale="The older version could not be loaded, so nothing was compared.",
    ),
    Rule(
        id="api-change",
        severity=N,
        rationale="A change that does not break existing clients (added path, optional parameter,"
        " new response property...), for the changelog.",
    ),
)

RULES = catalogue("openapi-lint", *_LOAD, *_REFS, *_STRUCTURE, *_RULESET, *_BREAKING)

# Rule id -> the check (phase) of the verdict that reports it.
CHECK_OF: Mapping[str, str] = {
    rule.id: check
    for check, rules in (
        ("load", _LOAD),
        ("refs", _REFS),
        ("structure", _STRUCTURE),
        ("rules", _RULESET),
        ("breaking", _BREAKING),
    )
    for rule in rules
}
