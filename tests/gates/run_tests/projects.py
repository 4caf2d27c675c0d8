"""Fixture projects shaped like real ones, as {relative path: text}, built in temp dirs."""

from __future__ import annotations

CORE = """\
def add(a, b):
    return a + b


def clamp(value, low, high):
    if value < low:
        return low
    if value > high:
        return high
    return value


def describe(values):
    if not values:
        return "empty"
    total = sum(values)
    return f"{len(values)} values, total {total}"


def rarely(flag):
    if flag:  # pragma: no cover
        raise RuntimeError("never")
    return "ok"
"""

MODELS = """\
from dataclasses import dataclass


@dataclass
class Item:
    name: str
    price: int

    def discounted(self, percent):
        if percent <= 0:
            return self.price
        return self.price * (100 - percent) // 100
"""

# Nothing imports it: it must count as 0%, as `pytest --cov=app` shows it.
UNUSED = """\
def never_called(x):
    if x:
        return x * 2
    return 0


class Forgotten:
    def method(self):
        return 1
"""

TEST_CORE = """\
import pytest

from app.core import add, clamp, describe, rarely


def test_add():
    assert add(2, 3) == 5


@pytest.mark.parametrize(("value", "expected"), [(-1, 0), (5, 5), (11, 10)])
def test_clamp(value, expected):
    assert clamp(value, 0, 10) == expected


def test_describe():
    assert describe([]) == "empty"


def test_rarely():
    assert rarely(False) == "ok"
"""

TEST_MODELS = """\
from app.models import Item


def test_discount():
    assert Item("a", 200).discounted(10) == 180


def test_no_discount():
    assert Item("a", 200).discounted(0) == 200
"""

TEST_INTEGRATION = """\
import pytest

from app.core import describe


@pytest.mark.integration
def test_describe_values():
    assert describe([1, 2]) == "2 values, total 3"
"""


def pytest_cov_project(addopts: str, *, branch: bool = True) -> dict[str, str]:
    """A package with pytest-cov (and usually xdist) in ``addopts``, as most projects do."""
    return {
        "pyproject.toml": f"""\
[project]
name = "app"
version = "0.1.0"

[tool.pytest.ini_options]
addopts = "{addopts}"
testpaths = ["tests"]
markers = ["integration: needs the whole app"]

[tool.coverage.run]
branch = {"true" if branch else "false"}
omit = ["app/generated_*.py"]

[tool.coverage.report]
exclude_lines = ["pragma: no cover", "if TYPE_CHECKING:"]
""",
        "app/__init__.py": "",
        "app/core.py": CORE,
        "app/models.py": MODELS,
        "app/unused.py": UNUSED,
        "app/generated_client.py": "def generated():\n    return 1\n",
        "tests/__init__.py": "",
        "tests/test_core.py": TEST_CORE,
        "tests/test_models.py": TEST_MODELS,
        "tests/integration/__init__.py": "",
        "tests/integration/test_flow.py": TEST_INTEGRATION,
        "tests/test_more.py": TEST_MODELS.replace("test_discount", "test_discount_again"),
    }


BRIDGE = """\
\"\"\"Run synchronous code inside greenlets from asyncio, as SQLAlchemy's asyncio layer does.\"\"\"
import greenlet


def await_only(awaitable):
    current = greenlet.getcurrent()
    return current.parent.switch(awaitable)


async def greenlet_spawn(fn, *args):
    context = greenlet.greenlet(fn)
    result = context.switch(*args)
    while not context.dead:
        try:
            value = await result
        except BaseException as exc:
            result = context.throw(exc)
        else:
            result = context.switch(value)
    return result
"""

SERVICE = """\
import asyncio

from app.bridge import await_only


async def fetch(n):
    await asyncio.sleep(0)
    return n * 2


def compute(n):
    total = 0
    for i in range(n):
        value = await_only(fetch(i))
        if value % 4 == 0:
            total += value
        else:
            total -= 1
    return total


def describe(n):
    if n < 0:
        raise ValueError("negative")
    label = "small" if n < 10 else "large"
    return f"{label}:{compute(n)}"


def unused_branchy(x):
    if x:
        return 1
    return 2
"""

TEST_SERVICE = """\
import asyncio

import pytest

from app import service
from app.bridge import greenlet_spawn


def test_compute_{n}():
    assert asyncio.run(greenlet_spawn(service.compute, 4)) == 2


def test_describe_{n}():
    assert asyncio.run(greenlet_spawn(service.describe, 3)) == "small:3"


def test_describe_negative_{n}():
    with pytest.raises(ValueError):
        asyncio.run(greenlet_spawn(service.describe, -1))
"""


def greenlet_project() -> dict[str, str]:
    """An async app whose sync code runs in greenlets; coverage told so in its config."""
    files = {
        "pyproject.toml": """\
[project]
name = "app"
version = "0.1.0"

[tool.pytest.ini_options]
addopts = "--cov=app --cov-report=term-missing -n 2"

[tool.coverage.run]
concurrency = ["greenlet"]
branch = true
""",
        "app/__init__.py": "",
        "app/bridge.py": BRIDGE,
        "app/service.py": SERVICE,
    }
    for n in range(4):
        files[f"tests/test_service_{n}.py"] = TEST_SERVICE.format(n=n)
    return files


SRC_CALC = """\
def mean(values):
    if not values:
        raise ValueError("no values")
    return sum(values) / len(values)


def spread(values):
    return max(values) - min(values)
"""

SRC_UNTESTED = """\
def export(rows, sep=","):
    lines = []
    for row in rows:
        lines.append(sep.join(str(cell) for cell in row))
    return "\\n".join(lines)
"""


def src_layout_project(extra_pyproject: str = "") -> dict[str, str]:
    """src layout, no coverage source anywhere: a subpackage no test imports."""
    return {
        "pyproject.toml": f"""\
[project]
name = "calc-tools"
version = "0.1.0"

[tool.pytest.ini_options]
pythonpath = ["src"]
testpaths = ["tests"]
{extra_pyproject}""",
        "src/calc_tools/__init__.py": "",
        "src/calc_tools/stats.py": SRC_CALC,
        "src/calc_tools/export/__init__.py": "",
        "src/calc_tools/export/csv.py": SRC_UNTESTED,
        "tests/test_stats.py": """\
import pytest

from calc_tools.stats import mean, spread


def test_mean():
    assert mean([1, 2, 3]) == 2


def test_mean_empty():
    with pytest.raises(ValueError):
        mean([])


def test_spread():
    assert spread([1, 5]) == 4
""",
    }
