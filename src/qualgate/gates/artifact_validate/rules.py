"""Every rule artifact-validate reports: default severity, why it matters, how to fix it.

The ``api-contract`` check reports openapi-lint's own rules (their ids and help come from
that gate's validation).
"""

from __future__ import annotations

from qualgate.rules import Rule, catalogue
from qualgate.verdict import Severity

_E = Severity.ERROR
# A finding names what is wrong; it does not copy a 200,000-character value into every
# output format (where each later pass over the text would pay for it again).
MAX_MESSAGE = 1000


def shorten(text: str, limit: int = MAX_MESSAGE) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


RULES = catalogue(
    "artifact-validate",
    # -- Markdown artifacts ------------------------------------------------------------
    Rule(
        id="front-matter-missing",
        severity=_E,
        rationale="An artifact without YAML front matter has no type, id or status to check.",
        fix="Start the file with a YAML front matter block between --- lines.",
    ),
    Rule(
        id="front-matter-unclosed",
        severity=_E,
        rationale="A front matter block that is never closed swallows the whole document.",
        fix="Close the front matter with a --- line.",
    ),
    Rule(
        id="front-matter-syntax",
        severity=_E,
        rationale="Front matter that is not valid YAML cannot be read by any tool.",
        fix="Fix the YAML syntax of the front matter.",
    ),
    Rule(
        id="front-matter-not-mapping",
        severity=_E,
        rationale="The front matter must be a mapping of keys to be checked against a schema.",
        fix="Write the front matter as YAML key: value lines.",
    ),
    Rule(
        id="front-matter-schema",
        severity=_E,
        rationale="The front matter does not match its artifact type's schema.",
        fix="Make it match the type's schema (qualgate artifact-validate --list-types).",
    ),
    Rule(
        id="unknown-type",
        severity=_E,
        rationale="The front matter names an artifact type that no schema describes.",
        fix="Use a type listed by --list-types, or add it under `types` in the config.",
    ),
    Rule(
        id="untyped-artifact",
        severity=_E,
        rationale="An artifact with no `type:` outside every type folder cannot be checked.",
        fix="Add `type:` to the front matter, or move the file into a type's folder.",
    ),
    Rule(
        id="missing-heading",
        severity=_E,
        rationale="The artifact lacks a heading its type requires.",
        fix="Add the heading (any level; matched case-insensitively).",
    ),
    Rule(
        id="broken-link",
        severity=_E,
        rationale="A relative link or image points at a file that does not exist.",
        fix="Point the link at an existing file (paths are relative to this file).",
    ),
    Rule(
        id="broken-anchor",
        severity=_E,
        rationale="A link's #anchor names no heading of its target.",
        fix="Point the #anchor at a heading of the target (GitHub-style slug).",
    ),
    Rule(
        id="link-escapes-root",
        severity=_E,
        rationale="A link leaves the project, so it breaks wherever the project is read.",
        fix="Link only to files inside the project.",
    ),
    Rule(
        id="duplicate-id",
        severity=_E,
        rationale="Two artifacts share an id, so references to it are ambiguous.",
        fix="Give each artifact its own id.",
    ),
    Rule(
        id="unreadable",
        severity=_E,
        rationale="A file that is not UTF-8 text (or cannot be read) cannot be checked.",
        fix="Save the file as UTF-8.",
        configurable=False,
    ),
    # -- Structured files ------------------------------------------------------------
    Rule(
        id="file-syntax",
        severity=_E,
        rationale="A YAML, JSON or TOML file that does not parse cannot be validated.",
        fix="Fix the syntax error at that line.",
        configurable=False,
    ),
    Rule(
        id="file-schema",
        severity=_E,
        rationale="A structured file does not match the schema configured for it.",
        fix="Make the file match its schema.",
    ),
    Rule(
        id="file-type",
        severity=_E,
        rationale="A `schemas` glob matched a file that is not YAML, JSON or TOML.",
        fix="Use a .yaml, .yml, .json or .toml file, or narrow the glob.",
        configurable=False,
    ),
    Rule(
        id="glob-no-match",
        severity=_E,
        rationale="A configured glob that matches no file checks nothing, usually by mistake.",
        fix="Fix the glob, or remove the entry from the config.",
    ),
    Rule(
        id="path-escapes-root",
        severity=_E,
        rationale="A matched file or folder that a symbolic link leads out of the project, or "
        "a glob that climbs out of it (../, an absolute path), is not read: what it holds "
        "goes unchecked, and the runner's own files stay private.",
        fix="Keep the files inside the project and the globs relative to its root.",
        configurable=False,
    ),
    Rule(
        id="schema-ref-refused",
        severity=_E,
        rationale="A schema $ref that is remote (http, https) or names a file outside the "
        "project (file:///..., ../) is never resolved: the gate fetches nothing and reads "
        "nothing outside the project, so the files checked against that schema are not "
        "validated (the check errors).",
        fix="Point the $ref at a schema file inside the project (relative to the schema).",
        configurable=False,
    ),
    # -- qualgate's own verdict files ---------------------------------------------------
    Rule(
        id="verdict-syntax",
        severity=_E,
        rationale="A verdict file that is not valid JSON cannot be read by what consumes it.",
        fix="Rerun the gate that wrote this verdict file (or delete the file).",
        configurable=False,
    ),
    Rule(
        id="verdict-schema",
        severity=_E,
        rationale="A verdict file that does not match the verdict schema misleads its readers.",
        fix="Rerun the gate that wrote this verdict file (or delete the file).",
    ),
)
