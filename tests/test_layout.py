"""The shape of the code, checked rather than remembered: layers, sizes, gate skeletons."""

from __future__ import annotations

import ast
import importlib
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from qualgate.gates import GATES, catalogue_of
from qualgate.rules import Catalogue, render_markdown
from tests.support import REPO

SRC = REPO / "src" / "qualgate"
MAX_LINES = 400
GATE_PACKAGES = sorted(
    {info.module.rsplit(".", 1)[0] for info in GATES.values() if info.module.endswith(".gate")}
)


def _modules() -> list[Path]:
    return sorted(p for p in SRC.rglob("*.py") if "__pycache__" not in p.parts)


def test_no_module_over_the_size_limit() -> None:
    # Files under inproject/ run alone in the project's interpreter: they may not split
    # into qualgate imports, so they are the one exception.
    too_long = {
        p.relative_to(SRC).as_posix(): n
        for p in _modules()
        if "inproject" not in p.parts
        and (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert not too_long, f"modules over {MAX_LINES} lines: {too_long}"


def test_code_run_in_the_projects_interpreter_parses_on_python_3_9() -> None:
    # inproject/ modules run in the project's interpreter, which may be as old as 3.9:
    # ruff reports syntax that a 3.9 parser rejects (match, except*, PEP 695, ...).
    folders = sorted(str(p) for p in SRC.glob("gates/*/inproject"))
    done = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", "--isolated", "--preview",
         "--target-version", "py39", "--select", "E9,F63,F7,F82", *folders],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]


def test_import_contracts_hold() -> None:
    lint_imports = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    if lint_imports is None:
        pytest.skip("import-linter is not installed (pip install -e '.[dev]')")
    done = subprocess.run(
        [lint_imports, "--no-cache"], cwd=REPO, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]


@pytest.mark.parametrize("package", GATE_PACKAGES)
def test_gate_package_has_the_skeleton(package: str) -> None:
    folder = SRC.joinpath(*package.split(".")[1:])
    init = ast.parse((folder / "__init__.py").read_text(encoding="utf-8"))
    # The package itself is a docstring: importing it costs nothing.
    assert ast.get_docstring(init), f"{package}/__init__.py needs a docstring"
    assert all(
        isinstance(node, ast.Expr)
        or (isinstance(node, ast.ImportFrom) and node.module == "__future__")
        for node in init.body
    ), f"{package}/__init__.py holds code: it belongs in gate.py"
    assert (folder / "gate.py").is_file()
    rules = importlib.import_module(f"{package}.rules")
    assert isinstance(rules.RULES, Catalogue) and len(rules.RULES) > 0
    others = [
        p
        for p in folder.rglob("*.py")
        if "inproject" not in p.parts and (p.stem.startswith("worker") or "_inject" in p.parts)
    ]
    assert not others, f"code run in the project's interpreter belongs in inproject/: {others}"


@pytest.mark.parametrize("gate", [g for g, i in GATES.items() if i.rules])
def test_rule_docs_are_generated_from_the_catalogue(gate: str) -> None:
    cat = catalogue_of(gate)
    assert cat is not None, f"{gate} has no rule catalogue"
    assert cat.gate == gate
    doc = REPO / "docs" / "rules" / f"{gate}.md"
    assert doc.is_file(), f"{doc} is missing: write it with qualgate.rules.render_markdown"
    assert doc.read_text(encoding="utf-8") == render_markdown(cat, gate), (
        f"{doc} is stale: regenerate it with qualgate.rules.render_markdown"
    )


def test_no_comment_cites_a_file_users_do_not_have() -> None:
    cited = [p.relative_to(SRC).as_posix() for p in _modules() if "DESIGN.md" in p.read_text()]
    assert not cited, f"DESIGN.md is not shipped; say it in the code's own words: {cited}"


def test_no_import_cycles() -> None:
    """No module imports itself through others (function-level imports count too)."""
    grimp = pytest.importorskip("grimp", reason="comes with import-linter (the dev extra)")
    graph = grimp.build_graph("qualgate")
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []
    counter = 0

    def visit(module: str) -> None:  # Tarjan's strongly connected components
        nonlocal counter
        index[module] = low[module] = counter
        counter += 1
        stack.append(module)
        on_stack.add(module)
        for other in graph.find_modules_directly_imported_by(module):
            if other not in index:
                visit(other)
                low[module] = min(low[module], low[other])
            elif other in on_stack:
                low[module] = min(low[module], index[other])
        if low[module] == index[module]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == module:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    assert not cycles, f"import cycles: {cycles}"
