"""git helpers: changed lines since a base ref, untracked files, refs, file at a ref."""

from __future__ import annotations

from pathlib import Path

import pytest

from qualgate import git
from qualgate.errors import GateError
from tests.support import git as run_git
from tests.support import git_init, write_files


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    write_files(
        tmp_path,
        {
            "a.py": "one\ntwo\nthree\nfour\n",
            "pkg/b.py": "b1\nb2\n",
            "gone.py": "x\n",
            ".gitignore": "ignored.txt\n",
        },
    )
    return git_init(tmp_path)


def test_changed_lines_committed_staged_and_untracked(repo: Path) -> None:
    (repo / "a.py").write_text("one\nTWO\nthree\nfour\nfive\n", encoding="utf-8")
    (repo / "gone.py").unlink()
    (repo / "new.py").write_text("n\n", encoding="utf-8")
    (repo / "ignored.txt").write_text("i\n", encoding="utf-8")
    run_git(repo, "add", "a.py")
    changed = git.changed_lines(repo, "HEAD")
    assert changed.lines["a.py"] == frozenset({2, 5})
    assert "new.py" in changed.whole
    assert "ignored.txt" not in changed.files
    assert "gone.py" not in changed.files
    assert changed.contains("a.py", 2)
    assert not changed.contains("a.py", 3)
    assert changed.contains("a.py", None)
    assert changed.contains("new.py", 1)
    assert not changed.contains("pkg/b.py", 1)
    assert not changed.contains(None, 1)


def test_changed_lines_in_a_subdirectory_project(repo: Path) -> None:
    (repo / "pkg" / "b.py").write_text("b1\nB2\n", encoding="utf-8")
    (repo / "pkg" / "c.py").write_text("c\n", encoding="utf-8")
    (repo / "a.py").write_text("changed outside\n", encoding="utf-8")
    changed = git.changed_lines(repo / "pkg", "HEAD")
    assert changed.lines == {"b.py": frozenset({2})}
    assert changed.whole == frozenset({"c.py"})


def test_changes_since_an_older_commit(repo: Path) -> None:
    base = run_git(repo, "rev-parse", "HEAD").strip()
    (repo / "pkg" / "b.py").write_text("b1\nb2\nb3\n", encoding="utf-8")
    run_git(repo, "commit", "-qam", "more")
    changed = git.changed_lines(repo, base)
    assert changed.lines["pkg/b.py"] == frozenset({3})
    assert changed.base == base


def test_refs_and_file_at_ref(repo: Path) -> None:
    assert git.head_commit(repo) == run_git(repo, "rev-parse", "HEAD").strip()
    assert git.is_dirty(repo) is False
    (repo / "a.py").write_text("dirty\n", encoding="utf-8")
    assert git.is_dirty(repo) is True
    assert git.show_file(repo, "HEAD", "a.py") == "one\ntwo\nthree\nfour\n"
    assert git.show_file(repo, "HEAD", "missing.py") is None
    assert git.toplevel(repo / "pkg") == repo.resolve()
    assert git.tracked_files(repo) is not None


def test_bad_refs_are_gate_errors(repo: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    with pytest.raises(GateError, match="no such commit"):
        git.changed_lines(repo, "no-such-branch")
    with pytest.raises(GateError, match="not a git ref"):
        git.verify_ref(repo, "--output=/tmp/x")
    outside = tmp_path_factory.mktemp("plain")
    with pytest.raises(GateError, match="not inside a git repository"):
        git.verify_ref(outside, "main")
    assert git.head_commit(outside) is None
    assert git.is_dirty(outside) is None
    assert git.tracked_files(outside) is None


def test_changed_lines_are_computed_per_run(repo: Path) -> None:
    from qualgate.context import GateContext

    first = GateContext(gate="g", root=repo, base="HEAD").changed_lines()
    assert first is not None and not first.files
    (repo / "a.py").write_text("one\nchanged\n", encoding="utf-8")
    ctx = GateContext(gate="g", root=repo, base="HEAD")
    second = ctx.changed_lines()
    assert second is not None and "a.py" in second.files
    assert ctx.changed_lines() is second
    assert GateContext(gate="g", root=repo).changed_lines() is None
