"""lint-format's entry module loads none of the tools' modules: `--help`, `qualgate config`
and an answer from the result cache do not pay for them; its copies of their names stay
equal to the originals."""

from __future__ import annotations

import json
import subprocess
import sys

from qualgate.gates.lint_format import gate, judge, toolchain


def test_the_names_gate_py_repeats_are_the_tools_modules_own() -> None:
    assert gate.CHECK_NAMES == toolchain.CHECKS
    assert gate.STANDARDS_CHECK == judge.STANDARDS_CHECK
    order = gate._order()
    assert len(set(order)) == len(order) and order[-1] == judge.STANDARDS_CHECK


def test_importing_the_gate_and_its_inputs_loads_no_tool_module() -> None:
    code = (
        "import json, sys\n"
        "from pathlib import Path\n"
        "from qualgate.context import GateContext\n"
        "from qualgate.pipeline import gate_specs\n"
        "module, specs = gate_specs('lint-format')\n"
        "values = {o.name: o.default for o in specs}\n"
        "module.INPUTS(GateContext(gate='lint-format', root=Path('.'), options=values))\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith('qualgate.gates.'))))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    loaded = json.loads(done.stdout)
    assert "qualgate.gates.lint_format.gate" in loaded
    assert [m for m in loaded if m.startswith("qualgate.gates.lint_format.")] == [
        "qualgate.gates.lint_format.gate"
    ]
