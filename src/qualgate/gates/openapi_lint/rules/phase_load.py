"""The catalogue of the load, refs and structure phases: the document could be read and is
valid OpenAPI. Rules marked configurable=False mean the document could not be read or
checked at all: turning them off would let the gate pass a document it never read.
"""

from __future__ import annotations

from qualgate.rules import Rule
from qualgate.verdict import Severity

E, W, N = Severity.ERROR, Severity.WARNING, Severity.NOTE

LOAD: tuple[Rule, ...] = (
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
        id="document-outside-root",
        severity=E,
        rationale="A document that is (or links to) a file outside the project is not read: a "
        "repository may not make the gate read the runner's files. Name such a file on the "
        "command line to check it.",
        configurable=False,
    ),
    Rule(
        id="document-unreadable",
        severity=E,
        rationale="The file cannot be read, or is not a regular file (a device such as /dev/zero, "
        "a FIFO, a socket).",
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
REFS: tuple[Rule, ...] = (
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
STRUCTURE: tuple[Rule, ...] = (
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
