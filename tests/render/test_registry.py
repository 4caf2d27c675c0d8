"""Every registered renderer handles every sample verdict; ``json`` is the verdict itself."""

from __future__ import annotations

import json

import pytest

from qualgate.render import RENDERERS, render
from qualgate.verdict import from_dict, to_dict, to_json
from tests.render.samples import SAMPLES
from tests.support import assert_valid_verdict


@pytest.mark.parametrize("sample", sorted(SAMPLES))
def test_samples_match_the_verdict_schema(sample: str) -> None:
    assert_valid_verdict(to_dict(SAMPLES[sample]()))


@pytest.mark.parametrize("fmt", sorted(RENDERERS))
@pytest.mark.parametrize("sample", sorted(SAMPLES))
def test_every_renderer_handles_every_sample(fmt: str, sample: str) -> None:
    verdict = SAMPLES[sample]()
    out = render(fmt, verdict)
    assert isinstance(out, str)
    # rdjsonl is one line per finding: a verdict without findings is empty (a blank line
    # would be a parse error for reviewdog).
    if out or fmt != "rdjsonl":
        assert out.endswith("\n")
        assert out.strip()
    # Rendering is a pure function of the verdict: a verdict read back from its JSON
    # document (as `qualgate all` and later tools do) renders the same.
    assert render(fmt, from_dict(json.loads(to_json(verdict)))) == out
    # No raw control character survives (they would rewrite terminals and CI logs).
    assert not any(ord(c) < 32 and c not in "\t\n" for c in out.replace("\r\n", "\n")), fmt


@pytest.mark.parametrize("sample", sorted(SAMPLES))
def test_json_renders_the_verdict_document(sample: str) -> None:
    verdict = SAMPLES[sample]()
    out = render("json", verdict)
    assert out == to_json(verdict)
    document = json.loads(out)
    assert document == to_dict(verdict)
    assert_valid_verdict(document)


def test_the_registry_lists_the_documented_formats() -> None:
    assert set(RENDERERS) == {
        "text", "json", "sarif", "junit", "github", "markdown", "agent", "gitlab", "rdjsonl",
    }  # fmt: skip
