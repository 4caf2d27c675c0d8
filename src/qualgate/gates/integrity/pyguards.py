"""The guards that read Python files: new skip marks, new suppression comments, deleted and
emptied tests.

A mark or comment counts as new only when its file holds more of that kind than at the
base; moved code (the same line text elsewhere in the file) is matched with the base and
not reported, so a refactor does not read as cheating.
"""

from __future__ import annotations

import fnmatch
from collections import Counter
from collections.abc import Iterable, Sequence

from qualgate.gates.integrity.change import Change
from qualgate.gates.integrity.pysource import (
    Occurrence,
    TestFunction,
    parse,
    skip_marks,
    suppressions,
    test_functions,
)
from qualgate.gates.integrity.rules import RULES
from qualgate.git import ChangedLines
from qualgate.verdict import Finding, plural

PY_SUFFIXES = (".py", ".pyi")


def matches(path: str, patterns: Iterable[str]) -> bool:
    """Whether ``path`` matches a glob: patterns without ``/`` match the file name, others
    the whole path (``**/`` also matching no folder at all)."""
    name = path.rsplit("/", 1)[-1]
    for pattern in patterns:
        if "/" not in pattern:
            if fnmatch.fnmatchcase(name, pattern):
                return True
            continue
        if fnmatch.fnmatchcase(path, pattern) or fnmatch.fnmatchcase(
            path, pattern.replace("**/", "")
        ):
            return True
    return False


def new_occurrences(
    old: Sequence[Occurrence], new: Sequence[Occurrence], path: str, lines: ChangedLines
) -> list[Occurrence]:
    """The occurrences in ``new`` that the base did not have (see the module docstring)."""

    def group(o: Occurrence) -> str:
        return o.kind.rsplit(".", 1)[-1]

    before = Counter(group(o) for o in old)
    after = Counter(group(o) for o in new)
    reported: list[Occurrence] = []
    for kind, count in after.items():
        increase = count - before.get(kind, 0)
        if increase <= 0:
            continue
        base_texts = Counter(o.text for o in old if group(o) == kind)
        unmatched: list[Occurrence] = []
        matched: list[Occurrence] = []
        for o in (o for o in new if group(o) == kind):
            if base_texts[o.text] > 0:
                base_texts[o.text] -= 1
                matched.append(o)
            else:
                unmatched.append(o)

        def order(o: Occurrence) -> tuple[bool, int]:
            return (not lines.contains(path, o.line), o.line)

        picked = sorted(unmatched, key=order)[:increase]
        if len(picked) < increase:
            picked += sorted(matched, key=order)[: increase - len(picked)]
        reported += picked
    return sorted(reported, key=lambda o: o.line)


_SKIP_MESSAGE = "new {kind}: the test no longer proves anything"
_SUPPRESSION_WORDS = {
    "new-noqa": "new `# noqa`: the linter is silenced here",
    "new-type-ignore": "new type-checker suppression: the type error is silenced here",
    "new-no-cover": "new `# pragma: no cover`: this code stops counting for coverage",
}


def python_guards(change: Change) -> tuple[list[Finding], list[Finding]]:
    """(skip-mark findings, suppression findings) of every changed Python file."""
    skips: list[Finding] = []
    quiet: list[Finding] = []
    for f in change.files:
        if f.new is None or not f.new.endswith(PY_SUFFIXES):
            continue
        new_text = change.new_text(f.new)
        if new_text is None:
            continue
        old_text = change.old_text(f.old) or ""
        for o in new_occurrences(
            suppressions(old_text), suppressions(new_text), f.new, change.lines
        ):
            quiet.append(
                RULES.finding(
                    o.kind,
                    _SUPPRESSION_WORDS[o.kind],
                    path=f.new,
                    line=o.line,
                    check="suppressions",
                )
            )
        new_tree = parse(new_text)
        if new_tree is None:
            continue
        old_tree = parse(old_text)
        old_marks = skip_marks(old_tree, old_text.splitlines()) if old_tree else []
        for o in new_occurrences(
            old_marks, skip_marks(new_tree, new_text.splitlines()), f.new, change.lines
        ):
            skips.append(
                RULES.finding(
                    "new-skip-mark",
                    _SKIP_MESSAGE.format(kind=f"`{o.kind}`"),
                    path=f.new,
                    line=o.line,
                    check="skip-marks",
                )
            )
    return skips, quiet


def _tests_of(text: str | None) -> dict[str, TestFunction] | None:
    tree = parse(text) if text is not None else None
    return test_functions(tree) if tree is not None else None


def test_guards(change: Change, test_globs: Sequence[str]) -> list[Finding]:
    """Deleted and emptied test functions in the changed test files."""
    files = [
        f
        for f in change.files
        if f.path.endswith(".py") and matches(f.new or f.old or "", test_globs)
    ]
    now: dict[str, dict[str, TestFunction]] = {}
    then: dict[str, dict[str, TestFunction]] = {}
    for f in files:
        current = _tests_of(change.new_text(f.new)) if f.new else {}
        if f.new and current is None:
            continue  # does not parse now: lint-format reports the syntax error
        now[f.path] = current or {}
        then[f.path] = (_tests_of(change.old_text(f.old)) if f.old else None) or {}
    # A test moved to another changed test file, or renamed with the same body, is not
    # deleted.
    elsewhere: Counter[str] = Counter(t.name for tests in now.values() for t in tests.values())
    old_names = {(path, q) for path, tests in then.items() for q in tests}
    new_bodies = {
        t.body
        for path, tests in now.items()
        for q, t in tests.items()
        if (path, q) not in old_names
    }
    findings: list[Finding] = []
    for path, old_tests in then.items():
        new_tests = now[path]
        for qualname, old in old_tests.items():
            now_fn = new_tests.get(qualname)
            if now_fn is None:
                moved = elsewhere[old.name] > sum(
                    1 for t in new_tests.values() if t.name == old.name
                )
                if moved or old.body in new_bodies:
                    continue
                findings.append(_deleted(change, path, qualname, old))
            elif _emptied(old, now_fn):
                findings.append(
                    RULES.finding(
                        "emptied-test",
                        f"`{qualname}` {_emptied_words(old, now_fn)}",
                        path=path,
                        line=now_fn.line,
                        check="tests",
                    )
                )
    return findings


def _deleted(change: Change, path: str, qualname: str, old: TestFunction) -> Finding:
    exists = any(f.path == path and f.new is not None for f in change.files)
    where = "" if exists else f" (its file was deleted; it was at {path}:{old.line})"
    return RULES.finding(
        "deleted-test",
        f"test `{qualname}` was deleted{where}",
        path=path,
        check="tests",
        data={"test": qualname, "base_line": old.line},
    )


def _emptied(old: TestFunction, new: TestFunction) -> bool:
    return (old.checks > 0 and new.checks == 0) or (new.trivial and not old.trivial)


def _emptied_words(old: TestFunction, new: TestFunction) -> str:
    if new.trivial:
        return "now does nothing (pass, ..., or assert True)"
    return f"has no assertion left ({plural(old.checks, 'check')} at the base)"
