"""The sdist and wheel `python -m build` makes carry everything qualgate needs at run time:
the schemas and the files that run in the project's interpreter."""

from __future__ import annotations

import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from tests.support import REPO

pytestmark = pytest.mark.slow

NEEDED = (
    "qualgate/schemas/verdict-v1.schema.json",
    "qualgate/schemas/artifacts/adr.json",
    "qualgate/gates/run_tests/inproject/_qualgate_pytest.py",
    "qualgate/gates/migration_check/inproject/worker.py",
    "qualgate/gates/seed/inproject/metadata_worker.py",
    "qualgate/py.typed",
)


def test_sdist_and_wheel_carry_schemas_and_inproject_files(tmp_path: Path) -> None:
    pytest.importorskip("build", reason="pip install build (in the dev extra)")
    done = subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(tmp_path), str(REPO)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    wheel = next(tmp_path.glob("qualgate-*.whl"))
    sdist = next(tmp_path.glob("qualgate-*.tar.gz"))
    in_wheel = set(zipfile.ZipFile(wheel).namelist())
    with tarfile.open(sdist) as tar:
        in_sdist = {n.split("/", 1)[1] for n in tar.getnames() if "/" in n}
    for name in NEEDED:
        assert name in in_wheel, f"{name} missing from the wheel"
        assert f"src/{name}" in in_sdist, f"{name} missing from the sdist"
