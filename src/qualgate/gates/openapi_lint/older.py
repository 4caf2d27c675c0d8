"""The older version of a document, from ``--against FILE`` or git at ``--base REF``,
compared with the current one: the findings of the ``breaking`` check.

Files the older root document refers to are read at the same ref (or next to FILE).
An older version that cannot be loaded, or a comparison that a structurally invalid
side stops, is one ``breaking-base-invalid`` finding rather than silence.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from qualgate import git
from qualgate.context import GateContext
from qualgate.gates.openapi_lint import loader, structure
from qualgate.gates.openapi_lint.appspec import Generated
from qualgate.gates.openapi_lint.breaking import compare
from qualgate.gates.openapi_lint.discovery import shown
from qualgate.gates.openapi_lint.issues import Issue
from qualgate.gates.openapi_lint.lint import RULE_FAULTS, Settings, load_spec, to_findings
from qualgate.gates.openapi_lint.loader import Document, LoadProblem
from qualgate.gates.openapi_lint.model import Spec
from qualgate.gates.openapi_lint.rules import CHECK_OF, RULES
from qualgate.verdict import Finding

_BASE_INVALID = "breaking-base-invalid"


def compare_for(
    ctx: GateContext,
    new: Spec,
    path: Path,
    rel: str,
    against: Path | None,
    settings: Settings,
) -> Iterator[Finding]:
    """Findings comparing ``new`` with ``against`` or with its version at ``--base``."""
    if against is not None:
        old_spec, problems, extra = _from_file(ctx.root, against, settings)
    elif ctx.base is not None:
        loaded = _at_base(ctx.root, ctx.base, new, path, rel, settings)
        if loaded is None:
            return  # new since the base, or unchanged: nothing it could break
        old_spec, problems, extra = loaded
    else:
        return
    if old_spec is None:
        reason = problems[0].message if problems else "unknown"
        yield from _base_invalid(
            settings,
            f"the older version of {rel} could not be loaded ({reason}); "
            "breaking changes were not checked",
            rel,
            extra,
        )
        return
    try:
        issues = compare(old_spec, new)
    except RULE_FAULTS as exc:
        # Like the rules: only a structurally invalid side may stop the comparison.
        if not any(structure.validate(s.doc, s.version) for s in (old_spec, new)):
            raise
        yield from _base_invalid(
            settings,
            f"comparing {rel} with its older version stopped: a side is not a "
            f"valid OpenAPI document ({type(exc).__name__})",
            rel,
            extra,
        )
        return
    yield from to_findings(issues, settings, extra=extra)


def _base_invalid(
    settings: Settings, message: str, rel: str, extra: dict[str, str]
) -> Iterator[Finding]:
    severity = settings.severity(_BASE_INVALID)
    if severity is not None:
        yield RULES.finding(
            _BASE_INVALID,
            message,
            severity=severity,
            path=rel,
            check=CHECK_OF[_BASE_INVALID],
            data={"pointer": "", **extra},
        )


Older = tuple[Spec | None, list[Issue], dict[str, str]]


def _from_file(root: Path, against: Path, settings: Settings) -> Older:
    # Removals are located in FILE: shown relative to the root ("../old.yaml" when
    # outside it), as findings never carry absolute paths.
    old_rel = shown(against, root)
    old_root = root if not old_rel.startswith("../") else against.parent
    old_spec, problems, _ = load_spec(against, old_rel, old_root, settings)
    return old_spec, problems, {"against": old_rel}


def _at_base(
    root: Path, base: str, new: Spec, path: Path, rel: str, settings: Settings
) -> Older | None:
    text = git.show_file(root, base, rel)
    if text is None:
        return None  # new since the base: nothing it could break
    texts: dict[str, str | None] = {rel: text}

    def read_at_base(target: Path, target_rel: str) -> tuple[Document | None, list[LoadProblem]]:
        if target_rel not in texts:
            texts[target_rel] = git.show_file(root, base, target_rel)
        old_text = texts[target_rel]
        if old_text is None:
            return None, [LoadProblem(rule="document-missing", message="missing")]
        return loader.load_text(old_text, target, target_rel)

    old_spec, problems, _ = load_spec(path, rel, root, settings, text=text, read=read_at_base)
    if old_spec is not None and _same_files(old_spec, new):
        return None  # the root and every file it refers to are unchanged
    return old_spec, problems, {"base": base}


def _same_files(old: Spec, new: Spec) -> bool:
    """Whether both versions are made of the same files with the same text: a split
    document whose change lives only in a referenced file differs here."""

    def texts(spec: Spec) -> dict[str, str]:
        return {d.rel: d.text for d in spec.documents()}

    return texts(old) == texts(new)


def compare_generated(
    ctx: GateContext, new: Spec, base: Generated | str | None, settings: Settings
) -> Iterator[Finding]:
    """Breaking changes of the app's generated document since ``--base``, where the app
    was generated again (`appspec.generate_at_base`): None when it did not exist there,
    a reason when it could not be generated."""
    if base is None or ctx.base is None:
        return
    extra = {"base": ctx.base}
    if isinstance(base, str):
        yield from _base_invalid(
            settings,
            f"the app's OpenAPI document could not be generated at {ctx.base} ({base}); "
            "breaking changes were not checked",
            new.doc.rel,
            extra,
        )
        return
    old_spec, problems, _ = load_spec(base.doc.path, base.doc.rel, ctx.root, settings, doc=base.doc)
    if old_spec is None:
        reason = problems[0].message if problems else "unknown"
        yield from _base_invalid(
            settings,
            f"the app's OpenAPI document at {ctx.base} is not a valid description ({reason})",
            new.doc.rel,
            extra,
        )
        return
    yield from to_findings(compare(old_spec, new), settings, extra=extra)
