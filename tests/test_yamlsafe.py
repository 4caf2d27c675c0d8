"""The bounded YAML loader: same values as yaml.safe_load, bombs and depth refused fast."""

from __future__ import annotations

import contextlib
import time

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from qualgate.yamlsafe import YamlTooLarge, safe_load, safe_load_all

BOMB = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
    f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
    f"*{chr(97 + i)}, *{chr(97 + i)}]\n"
    for i in range(9)
)


def test_alias_bomb_is_refused_in_milliseconds() -> None:
    started = time.monotonic()
    with pytest.raises(YamlTooLarge, match="alias bomb"):
        safe_load(BOMB)
    assert time.monotonic() - started < 1.0


def test_deep_nesting_is_refused() -> None:
    with pytest.raises(YamlTooLarge, match="nested"):
        safe_load("[" * 600 + "]" * 600)
    with pytest.raises(yaml.YAMLError):  # libyaml's own limit, still a YAML error
        safe_load("[" * 20000 + "]" * 20000)


def test_self_reference_is_refused() -> None:
    with pytest.raises(YamlTooLarge, match="itself"):
        safe_load("a: &a\n  b: *a\n")


def test_same_values_and_errors_as_pyyaml() -> None:
    text = "a: yes\nb: 2024-01-01\nc: &x [1, 2]\nd: *x\ne: {<<: {k: v}, z: 1}\n"
    assert safe_load(text) == yaml.safe_load(text)
    assert safe_load_all("a: 1\n---\nb: 2\n") == [{"a": 1}, {"b": 2}]
    assert safe_load("") is None
    with pytest.raises(yaml.YAMLError):
        safe_load("a: [1, 2\n")
    with pytest.raises(yaml.YAMLError):
        safe_load("!!python/object:os.system 'x'\n")


_scalars = st.one_of(st.none(), st.booleans(), st.integers(-(10**6), 10**6), st.text(max_size=20))
_values = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=30,
)


@settings(max_examples=200, deadline=None)
@given(_values)
def test_round_trips_like_pyyaml(value: object) -> None:
    text = yaml.safe_dump(value)
    assert safe_load(text) == yaml.safe_load(text)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_any_text_gives_a_value_or_a_yaml_error(text: str) -> None:
    with contextlib.suppress(yaml.YAMLError):
        safe_load(text)
