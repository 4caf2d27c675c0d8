"""Every registered gate has a module, a command, a wrapper, tests and docs."""

from __future__ import annotations

import importlib

import pytest

from qualgate.cli.build import build_gate_command
from qualgate.gates import GATES
from qualgate.options import Option
from qualgate.render import RENDERERS
from tests.support import REPO


@pytest.mark.parametrize("name", sorted(GATES))
def test_gate_is_complete(name: str) -> None:
    info = GATES[name]
    module = importlib.import_module(info.module)
    assert callable(module.run)
    assert isinstance(module.DEFAULT_TIMEOUT, float) and module.DEFAULT_TIMEOUT > 0
    assert all(isinstance(o, Option) for o in module.OPTIONS)
    names = [o.name for o in module.OPTIONS]
    assert len(names) == len(set(names)), "duplicate option names"
    assert not {"timeout", "require", "verdict-dir", "format", "base", "config"} & set(names)
    command = build_gate_command(name)
    assert command.name == name
    wrapper = REPO / info.wrapper
    assert wrapper.is_file()
    assert f" {name} " in wrapper.read_text(encoding="utf-8")
    parts = info.module.split(".")
    stem = parts[2] if parts[1] == "gates" else parts[1]
    tests = (
        list((REPO / "tests" / "gates").glob(f"test_{stem}*.py"))
        + list((REPO / "tests" / "gates" / stem).glob("test_*.py"))
        + list((REPO / "tests").glob(f"test_{stem}*.py"))
    )
    assert tests, f"no tests for {name} under tests/gates"
    doc = REPO / "docs" / "gates" / f"{name}.md"
    assert doc.is_file(), f"{doc} is missing"
    text = doc.read_text(encoding="utf-8")
    for option in names:
        assert f"--{option}" in text or f"`{option}`" in text, f"{doc}: {option} undocumented"


def test_every_renderer_is_documented() -> None:
    text = (REPO / "docs" / "output-formats.md").read_text(encoding="utf-8")
    for fmt in RENDERERS:
        assert f"`{fmt}`" in text
