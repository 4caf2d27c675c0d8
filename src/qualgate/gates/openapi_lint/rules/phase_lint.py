"""The catalogue of the built-in ruleset (the `rules` phase); `ruleset` runs them."""

from __future__ import annotations

from qualgate.rules import Rule
from qualgate.verdict import Severity

E, W, N = Severity.ERROR, Severity.WARNING, Severity.NOTE

RULESET: tuple[Rule, ...] = (
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
        rationale="An operation needs a 2xx or 3xx response (or a `default` one) so clients know "
        "what success looks like. OpenAPI 3.1 makes `responses` optional: an operation "
        "without it is not reported there.",
    ),
    Rule(
        id="operation-4xx-response",
        severity=W,
        rationale="Clients need to know what a rejected request looks like: document a 4xx "
        "response (a `default` response counts).",
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
        severity=N,
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
