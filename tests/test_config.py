"""Config: file discovery, precedence command line > environment > file > default, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support import run_qualgate, write_files


def metrics(run_result: object) -> dict[str, object]:
    verdict = getattr(run_result, "verdict", None)
    assert verdict is not None, getattr(run_result, "stdout", "")
    result: dict[str, object] = verdict["metrics"]
    return result


PYPROJECT = """
[project]
name = "x"

[tool.qualgate.fake]
level = 7
ratio = 0.25
names = ["b", "c"]
data-file = "data/seed.csv"
rules = {no-foo = "off", depth = 2}
strict = true
"""


def test_file_values_apply(fake_gate: str, tmp_path: Path) -> None:
    write_files(tmp_path, {"pyproject.toml": PYPROJECT})
    m = metrics(run_qualgate(fake_gate, str(tmp_path)))
    assert m["level"] == 7
    assert m["ratio"] == 0.25
    assert m["names"] == ["b", "c"]
    assert m["data_file"] == str(tmp_path / "data" / "seed.csv")
    assert m["rules"] == {"no-foo": "off", "depth": 2}
    assert m["strict"] is True


def test_defaults_without_config(fake_gate: str, tmp_path: Path) -> None:
    m = metrics(run_qualgate(fake_gate, str(tmp_path)))
    assert (m["level"], m["ratio"], m["names"], m["strict"]) == (3, 0.5, ["a"], False)


def test_precedence_cli_over_env_over_file(fake_gate: str, tmp_path: Path) -> None:
    write_files(tmp_path, {"pyproject.toml": PYPROJECT})
    env = {"QUALGATE_FAKE_LEVEL": "9", "QUALGATE_FAKE_STRICT": "false"}
    m = metrics(run_qualgate(fake_gate, str(tmp_path), env=env))
    assert m["level"] == 9
    assert m["strict"] is False
    m = metrics(run_qualgate(fake_gate, str(tmp_path), "--level", "1", env=env))
    assert m["level"] == 1
    m = metrics(
        run_qualgate(
            fake_gate, str(tmp_path), "--names", "x,y", "--names", "z", "--rules", '{"a": 1}'
        )
    )
    assert m["names"] == ["x", "y", "z"]
    assert m["rules"] == {"a": 1}


def test_cli_path_is_relative_to_cwd(
    fake_gate: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "proj").mkdir()
    m = metrics(run_qualgate(fake_gate, str(tmp_path / "proj"), "--data-file", "x.csv"))
    assert m["data_file"] == str(tmp_path / "x.csv")


@pytest.mark.parametrize(
    ("table", "needle"),
    [
        ("level = 99", "`level` expects an integer from 0 to 10, got 99"),
        ('level = "3"', "`level` expects an integer from 0 to 10, got '3'"),
        ("ratio = true", "`ratio` expects a number from 0 to 1"),
        ('mode = "sideways"', "`mode` expects one of pass, fail"),
        ("names = [1, 2]", "`names` expects a list of strings"),
        ('strict = "yes"', "`strict` expects true or false"),
        ("colour = 1", "unknown key `colour`"),
    ],
)
def test_bad_file_values_are_exit_2_naming_the_key(
    fake_gate: str, tmp_path: Path, table: str, needle: str
) -> None:
    write_files(tmp_path, {"pyproject.toml": f"[tool.qualgate.fake]\n{table}\n"})
    run = run_qualgate(fake_gate, str(tmp_path))
    assert run.code == 2
    assert run.verdict is not None
    assert needle in run.verdict["summary"]
    assert "pyproject.toml [tool.qualgate.fake]" in run.verdict["summary"]


def test_unknown_key_lists_valid_keys(fake_gate: str, tmp_path: Path) -> None:
    write_files(tmp_path, {"pyproject.toml": "[tool.qualgate.fake]\ncolour = 1\n"})
    run = run_qualgate(fake_gate, str(tmp_path))
    assert run.verdict is not None
    assert "level" in run.verdict["next_steps"][0]


def test_bad_cli_value_names_the_option(fake_gate: str, tmp_path: Path) -> None:
    run = run_qualgate(fake_gate, str(tmp_path), "--level", "11")
    assert run.code == 2
    assert run.verdict is not None
    assert "--level expects an integer from 0 to 10, got 11" in run.verdict["summary"]
    env_run = run_qualgate(fake_gate, str(tmp_path), env={"QUALGATE_FAKE_RATIO": "7"})
    assert env_run.verdict is not None
    assert "$QUALGATE_FAKE_RATIO expects a number from 0 to 1" in env_run.verdict["summary"]
    bad_json = run_qualgate(fake_gate, str(tmp_path), "--rules", "{nope")
    assert bad_json.code == 2


def test_unknown_table_and_invalid_toml(fake_gate: str, tmp_path: Path) -> None:
    write_files(tmp_path, {"pyproject.toml": "[tool.qualgate.lintformat]\nx = 1\n"})
    run = run_qualgate(fake_gate, str(tmp_path))
    assert run.code == 2
    assert run.verdict is not None
    assert "unknown table [tool.qualgate.lintformat]" in run.verdict["summary"]
    write_files(tmp_path, {"pyproject.toml": "[tool.qualgate.fake\nlevel = 1\n"})
    broken = run_qualgate(fake_gate, str(tmp_path))
    assert broken.code == 2
    assert broken.verdict is not None
    assert "invalid TOML" in broken.verdict["summary"]
    assert "line 1" in broken.verdict["summary"]


def test_qualgate_toml_and_explicit_config(fake_gate: str, tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {
            "pyproject.toml": "[tool.qualgate.fake]\nlevel = 1\n",
            "qualgate.toml": "[fake]\nlevel = 2\n",
            "other/ci.toml": "[fake]\nlevel = 4\n",
            "other/pyproject.toml": "[tool.qualgate.fake]\nlevel = 5\n",
        },
    )
    assert metrics(run_qualgate(fake_gate, str(tmp_path)))["level"] == 2
    explicit = run_qualgate(fake_gate, str(tmp_path), "--config", str(tmp_path / "other/ci.toml"))
    assert metrics(explicit)["level"] == 4
    as_pyproject = run_qualgate(
        fake_gate, str(tmp_path), "--config", str(tmp_path / "other/pyproject.toml")
    )
    assert metrics(as_pyproject)["level"] == 5
    missing = run_qualgate(fake_gate, str(tmp_path), "--config", str(tmp_path / "nope.toml"))
    assert missing.code == 2


def test_common_options_in_config(fake_gate: str, tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {"pyproject.toml": '[tool.qualgate.fake]\nrequire = true\nverdict-dir = "out/v"\n'},
    )
    run = run_qualgate(fake_gate, str(tmp_path), "--mode", "skip")
    assert run.code == 1
    assert (tmp_path / "out" / "v" / "fake.json").is_file()


def test_config_command_shows_values_and_sources(fake_gate: str, tmp_path: Path) -> None:
    write_files(tmp_path, {"pyproject.toml": PYPROJECT})
    run = run_qualgate(
        "config",
        str(tmp_path),
        "--gate",
        "fake",
        "--format",
        "json",
        env={"QUALGATE_FAKE_RATIO": "0.75"},
    )
    assert run.code == 0, run.stdout + run.stderr
    data = json.loads(run.stdout)
    fake = data["gates"]["fake"]
    assert fake["level"] == {"value": 7, "source": str(tmp_path / "pyproject.toml")}
    assert fake["ratio"] == {"value": 0.75, "source": "environment"}
    assert fake["mode"] == {"value": "pass", "source": "default"}
    assert fake["timeout"]["value"] == 30.0
    text = run_qualgate("config", str(tmp_path), "--gate", "fake")
    assert "[tool.qualgate.fake]" in text.stdout
    assert "level = 7  #" in text.stdout


def test_config_command_reports_bad_config(fake_gate: str, tmp_path: Path) -> None:
    write_files(tmp_path, {"pyproject.toml": "[tool.qualgate.fake]\nlevel = 99\n"})
    run = run_qualgate("config", str(tmp_path), "--gate", "fake")
    assert run.code == 2
    assert "`level` expects" in run.stderr


def test_config_command_rejects_unknown_gate(tmp_path: Path) -> None:
    run = run_qualgate("config", str(tmp_path), "--gate", "nope")
    assert run.code == 2
    assert "unknown gate 'nope'" in run.stderr


def test_config_command_leaves_out_action_flags(fake_gate: str, tmp_path: Path) -> None:
    run = run_qualgate("config", str(tmp_path), "--gate", "fake", "--format", "json")
    assert "list-things" not in json.loads(run.stdout)["gates"]["fake"]


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("QUALGATE_FAKE_STRICT", "yes", True),
        ("QUALGATE_FAKE_STRICT", "Off", False),
        ("QUALGATE_FAKE_LEVEL", "4", 4),
        ("QUALGATE_FAKE_RATIO", "0.5", 0.5),
        ("QUALGATE_FAKE_NAMES", "a b,c", ("a", "b", "c")),
        ("QUALGATE_FAKE_MODE", "fail", "fail"),
    ],
)
def test_env_given_converts_as_click_does(
    fake_gate: str, tmp_path: Path, variable: str, value: str, expected: object
) -> None:
    from qualgate.config import env_given, load_config, resolve
    from qualgate.gates import GATES
    from qualgate.pipeline import gate_specs

    specs = gate_specs(fake_gate)[1]
    given = env_given(fake_gate, specs, {variable: value, "QUALGATE_FAKE_DATA_FILE": ""})
    assert len(given) == 1  # an empty variable is unset, as in click
    config = load_config(tmp_path, None, GATES)
    resolved = resolve(fake_gate, specs, given, config, tmp_path)
    name = variable.removeprefix("QUALGATE_FAKE_").lower().replace("_", "-")
    assert resolved[name].value == expected
    assert resolved[name].source == "environment"
    # The same variable through click (the gate run alone) gives the same value.
    alone = metrics(run_qualgate(fake_gate, str(tmp_path), env={variable: value}))
    shown = {"strict": "strict", "level": "level", "ratio": "ratio", "names": "names"}
    if name in shown:
        got = alone[shown[name]]
        assert got == (list(expected) if isinstance(expected, tuple) else expected)


def test_a_bad_variable_under_all_names_it(fake_gate: str, tmp_path: Path) -> None:
    from qualgate.config import env_given, load_config, resolve
    from qualgate.errors import ConfigError
    from qualgate.gates import GATES
    from qualgate.pipeline import gate_specs

    specs = gate_specs(fake_gate)[1]
    given = env_given(fake_gate, specs, {"QUALGATE_FAKE_STRICT": "maybe"})
    with pytest.raises(ConfigError, match=r"\$QUALGATE_FAKE_STRICT expects true or false"):
        resolve(fake_gate, specs, given, load_config(tmp_path, None, GATES), tmp_path)


def test_the_baseline_path_is_a_project_wide_key(tmp_path: Path) -> None:
    from qualgate.config import baseline_path, load_config
    from qualgate.errors import ConfigError
    from qualgate.gates import GATES

    assert baseline_path(load_config(tmp_path, None, GATES), tmp_path) == (
        tmp_path / ".qualgate/baseline.json"
    )
    write_files(tmp_path, {"pyproject.toml": '[tool.qualgate]\nbaseline = "qa/known.json"\n'})
    config = load_config(tmp_path, None, GATES)
    assert baseline_path(config, tmp_path) == tmp_path / "qa/known.json"
    write_files(tmp_path, {"qualgate.toml": 'baseline = "ci/b.json"\n[run-tests]\n'})
    assert baseline_path(load_config(tmp_path, None, GATES), tmp_path) == tmp_path / "ci/b.json"
    # The repository's own config may not point the baseline outside the project.
    write_files(tmp_path, {"qualgate.toml": 'baseline = "../elsewhere.json"\n'})
    with pytest.raises(ConfigError, match="outside the project"):
        baseline_path(load_config(tmp_path, None, GATES), tmp_path)
    write_files(tmp_path, {"qualgate.toml": "baseline = 3\n"})
    with pytest.raises(ConfigError, match="`baseline` expects a path"):
        baseline_path(load_config(tmp_path, None, GATES), tmp_path)


def test_an_unknown_project_wide_key_lists_the_valid_ones(fake_gate: str, tmp_path: Path) -> None:
    write_files(tmp_path, {"pyproject.toml": '[tool.qualgate]\nbasline = "x.json"\n'})
    run = run_qualgate(fake_gate, str(tmp_path))
    assert run.code == 2
    assert run.verdict is not None
    assert "unknown key `basline`" in run.verdict["summary"]
    assert "valid keys: baseline" in run.verdict["next_steps"][0]


def test_a_hook_table_is_the_hook_commands_not_an_unknown_gate(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        "[tool.qualgate.hook]\nmax-blocks = 5\n\n[tool.qualgate.nogate]\nx = 1\n"
    )
    run = run_qualgate("artifact-validate", str(tmp_path))
    assert run.code == 2
    assert (
        run.verdict is not None and "unknown table [tool.qualgate.nogate]" in run.verdict["summary"]
    )
    (tmp_path / "pyproject.toml").write_text("[tool.qualgate.hook]\nmax-blocks = 5\n")
    assert run_qualgate("artifact-validate", str(tmp_path)).code == 0
