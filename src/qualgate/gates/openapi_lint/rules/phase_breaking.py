"""The catalogue of the breaking phase: changes from the older version that break clients.

The categories and their judgement follow oasdiff's checker (an oasdiff ERR is an error
here, a WARN a warning, an INFO the `api-change` note), except where a rationale says
why not. The direction decides: a request schema may only widen (clients keep sending
what they sent), a response schema may only narrow (clients keep understanding what
they get).
"""

from __future__ import annotations

from qualgate.rules import Rule
from qualgate.verdict import Severity

E, W, N = Severity.ERROR, Severity.WARNING, Severity.NOTE

BREAKING: tuple[Rule, ...] = (
    Rule(
        id="breaking-path-removed", severity=E, rationale="Clients calling a removed path get 404."
    ),
    Rule(
        id="breaking-operation-removed",
        severity=E,
        rationale="Clients calling a removed operation get 404/405. Removing an operation that "
        "was marked `deprecated` (and whose `x-sunset` date, if any, has passed) is a note.",
    ),
    Rule(
        id="breaking-webhook-removed",
        severity=E,
        rationale="Subscribers of a removed webhook stop receiving its calls.",
    ),
    Rule(
        id="breaking-parameter-removed",
        severity=W,
        rationale="Clients still send the removed parameter, now ignored or rejected (a warning, "
        "as oasdiff judges it: many servers ignore unknown parameters).",
    ),
    Rule(
        id="breaking-parameter-required",
        severity=E,
        rationale="A new required parameter (or one made required, or a new path parameter) "
        "rejects every existing call without it.",
    ),
    Rule(
        id="breaking-parameter-default-changed",
        severity=E,
        rationale="Clients that omit a parameter rely on its default: adding, removing or "
        "changing it changes what their calls mean.",
    ),
    Rule(
        id="breaking-request-property-required",
        severity=E,
        rationale="A new required request property (or request body, or one made required) "
        "rejects every existing request without it.",
    ),
    Rule(
        id="breaking-request-property-removed",
        severity=W,
        rationale="Clients still send the removed property; a server that rejects unknown "
        "properties now refuses their requests (a warning, as in oasdiff).",
    ),
    Rule(
        id="breaking-request-body-removed",
        severity=E,
        rationale="Clients still send a body the operation no longer takes.",
    ),
    Rule(
        id="breaking-success-response-removed",
        severity=E,
        rationale="Removing a 2xx/3xx response changes what success means for every client "
        "(a removed error response is a note: clients never meet it again).",
    ),
    Rule(
        id="breaking-response-property-removed",
        severity=E,
        rationale="Clients reading a removed required response property (or one that is no "
        "longer required, so may be absent) break.",
    ),
    Rule(
        id="breaking-response-optional-property-removed",
        severity=W,
        rationale="An optional response property could be absent already, but clients that use "
        "it lose the data (a warning, as in oasdiff).",
    ),
    Rule(
        id="breaking-response-header-removed",
        severity=E,
        rationale="Clients reading a removed required response header (or a required one made "
        "optional) break.",
    ),
    Rule(
        id="breaking-response-optional-header-removed",
        severity=W,
        rationale="An optional response header could be absent already, but clients that use "
        "it lose the data (a warning, as in oasdiff).",
    ),
    Rule(
        id="breaking-type-changed",
        severity=E,
        rationale="A request type that accepts less (a type or `null` dropped), a response type "
        "that returns more (a type or `null` added), or an unrelated type breaks "
        "(de)serialisation. Widening a request (integer -> number, nullable) or narrowing "
        "a response is a note.",
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
        rationale="Enum (or x-extensible-enum) values removed from a request field, or a request "
        "field newly restricted to an enum, reject calls that used to work.",
    ),
    Rule(
        id="breaking-response-enum-changed",
        severity=W,
        rationale="Enum values added to a response field reach clients with exhaustive "
        "handling (a warning, as in oasdiff; removed values are a note).",
    ),
    Rule(
        id="breaking-constraint-tightened",
        severity=E,
        rationale="A request constraint made stricter (maxLength down, minimum up, a pattern "
        "added...) rejects calls that used to work; a response constraint relaxed "
        "(maximum up, minLength down, a limit dropped) returns values clients did not "
        "expect.",
    ),
    Rule(
        id="breaking-constraint-added",
        severity=W,
        rationale="A limit newly set on a request value (maxLength, minimum, minItems...) or a "
        "pattern replaced by another may reject calls that used to work (a warning, as in "
        "oasdiff: it often states a limit the server already had).",
    ),
    Rule(
        id="breaking-subschema-changed",
        severity=E,
        rationale="oneOf/anyOf alternatives removed from a request or added to a response, an "
        "allOf part added to a request, or a schema wrapped into oneOf, change which "
        "values are valid on the side that cannot adapt.",
    ),
    Rule(
        id="breaking-subschema-removed",
        severity=W,
        rationale="An allOf part removed from a request schema may drop constraints the server "
        "relies on (a warning, as in oasdiff).",
    ),
    Rule(
        id="breaking-keyword-changed",
        severity=E,
        rationale="A JSON Schema keyword that restricts values (const, contains, minContains/"
        "maxContains, if/then/else, dependentRequired, dependentSchemas, patternProperties, "
        "propertyNames, prefixItems, unevaluated*, additionalProperties, content*) added to "
        "a request or removed from a response.",
    ),
    Rule(
        id="breaking-security-added",
        severity=E,
        rationale="New security requirements reject existing unauthenticated or differently-"
        "scoped calls (oasdiff reports security changes as information; a call that "
        "is now refused is breaking, so this gate does not).",
    ),
    Rule(
        id="breaking-media-type-removed",
        severity=E,
        rationale="Clients sending or accepting a removed media type break; a schema added to a "
        "request media type that had none constrains what was free.",
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
        " new response property, widened request, narrowed response...), for the changelog.",
    ),
)
