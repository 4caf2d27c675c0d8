"""PEP 440 / SemVer matching against OSV ranges, alias merging, fixes, CVSS scores."""

from __future__ import annotations

from typing import Any

import pytest

from qualgate.gates.dependency_scan import cvss, matching
from qualgate.gates.dependency_scan.lookup import group
from qualgate.gates.dependency_scan.model import Advisory
from qualgate.gates.dependency_scan.osv import OsvDataError, advisory_from_osv
from qualgate.gates.dependency_scan.policy import blocks

from . import records


def adv(record: dict[str, Any]) -> Advisory:
    return advisory_from_osv(record, "test")


def record(
    events: list[dict[str, str]], versions: list[str] | None = None, **extra: Any
) -> Advisory:
    affected: dict[str, Any] = {
        "package": {"ecosystem": "PyPI", "name": "Demo_Pkg"},
        "ranges": [{"type": "ECOSYSTEM", "events": events}],
    }
    if versions is not None:
        affected["versions"] = versions
    return adv({"id": "PYSEC-1", "affected": [affected], **extra})


@pytest.mark.parametrize(
    ("version", "hit"),
    [
        ("0.1", True),
        ("1.0", True),
        ("1.4.9", True),
        ("1.5", False),
        ("1.5.0.post1", False),
        ("1.5rc1", True),  # a pre-release of the fix is still before it
        ("2.0", False),
        ("2.1", True),
        ("2.2", True),
        ("2.2.1", False),
        ("3.0", False),
    ],
)
def test_unsorted_events_several_intervals_and_last_affected(version: str, hit: bool) -> None:
    advisory = record(
        [
            {"last_affected": "2.2"},
            {"fixed": "1.5"},
            {"introduced": "2.1"},
            {"introduced": "0"},
        ]
    )
    assert matching.advisory_affects(advisory, "demo-pkg", version, "PyPI")[0] is hit


def test_fixed_versions_are_those_of_the_interval_that_contains_the_version() -> None:
    advisory = adv(records.JINJA2_RECORD)
    assert matching.advisory_affects(advisory, "jinja2", "3.0.1", "PyPI") == (True, ["3.1.3"])
    # last_affected interval: affected, but no fixed version known for it.
    assert matching.advisory_affects(advisory, "jinja2", "2.10", "PyPI") == (True, [])
    assert matching.advisory_affects(advisory, "jinja2", "2.11.4", "PyPI") == (False, [])
    assert matching.advisory_affects(advisory, "jinja2", "3.1.3", "PyPI") == (False, [])


def test_versions_list_matches_pep440_equivalents_and_names_later_fixes() -> None:
    advisory = record([{"introduced": "9.0"}, {"fixed": "9.1"}], versions=["1.0", "2.0.0"])
    assert matching.advisory_affects(advisory, "demo-pkg", "1.0.0", "PyPI") == (True, ["9.1"])
    assert matching.advisory_affects(advisory, "demo-pkg", "2.0", "PyPI")[0] is True
    assert matching.advisory_affects(advisory, "demo-pkg", "1.1", "PyPI")[0] is False


def test_other_packages_and_ecosystems_do_not_match() -> None:
    advisory = record([{"introduced": "0"}])
    assert matching.advisory_affects(advisory, "demo-pkg", "1.0", "PyPI")[0] is True
    assert matching.advisory_affects(advisory, "other", "1.0", "PyPI")[0] is False
    assert matching.advisory_affects(advisory, "demo-pkg", "1.0.0", "npm")[0] is False


def test_invalid_versions_never_match_and_never_raise() -> None:
    advisory = record([{"introduced": "0"}, {"fixed": "not a version"}])
    assert matching.advisory_affects(advisory, "demo-pkg", "1.0", "PyPI")[0] is True
    assert matching.advisory_affects(advisory, "demo-pkg", "garbage!", "PyPI")[0] is False


def test_semver_ordering_and_npm_ranges() -> None:
    assert matching.SemVer("1.0.0-alpha") < matching.SemVer("1.0.0-alpha.1")
    assert matching.SemVer("1.0.0-alpha.1") < matching.SemVer("1.0.0-alpha.beta")
    assert matching.SemVer("1.0.0-beta.2") < matching.SemVer("1.0.0-beta.11")
    assert matching.SemVer("1.0.0-rc.1") < matching.SemVer("1.0.0")
    assert matching.SemVer("1.0.0+build.5") == matching.SemVer("1.0.0")
    assert str(matching.SemVer("v2.1.0-rc.1")) == "2.1.0-rc.1"
    with pytest.raises(ValueError, match="not a semantic version"):
        matching.SemVer("one.two")
    lodash = adv(records.LODASH)
    assert matching.advisory_affects(lodash, "lodash", "4.17.20", "npm") == (True, ["4.17.21"])
    assert matching.advisory_affects(lodash, "lodash", "4.17.21", "npm")[0] is False


def test_smallest_fix_clears_every_advisory_of_the_package() -> None:
    advisories = [adv(records.PYYAML_PYSEC_2020_96), adv(records.PYYAML_PYSEC_2021_142)]
    assert matching.smallest_fix(advisories, "pyyaml", "5.3", "PyPI") == "5.4"
    assert matching.smallest_fix(advisories[:1], "pyyaml", "5.3", "PyPI") == "5.3.1"
    # 2.10 sits in a last_affected interval: the first clean release the record names is
    # the fix of the later interval.
    jinja = [adv(records.JINJA2_RECORD)]
    assert matching.smallest_fix(jinja, "jinja2", "2.10", "PyPI") == "3.1.3"
    only_last = [record([{"introduced": "0"}, {"last_affected": "2.0"}])]
    assert matching.smallest_fix(only_last, "demo-pkg", "1.0", "PyPI") is None
    assert matching.smallest_fix(jinja, "jinja2", "bad version!", "PyPI") is None


def test_smallest_fix_skips_a_fix_that_a_later_range_reopens() -> None:
    reopened = record(
        [{"introduced": "0"}, {"fixed": "1.1"}, {"introduced": "1.1"}, {"fixed": "1.3"}]
    )
    assert matching.advisory_affects(reopened, "demo-pkg", "1.1", "PyPI") == (True, ["1.3"])
    assert matching.smallest_fix([reopened], "demo-pkg", "1.0", "PyPI") == "1.3"


def test_aliases_merge_into_one_match_led_by_the_ghsa_record() -> None:
    hits = [
        (adv(records.PYYAML_PYSEC_2021_142), ["5.4"]),
        (adv(records.PYYAML_GHSA), ["5.4"]),
        (adv(records.PYYAML_PYSEC_2020_96), ["5.3.1"]),
    ]
    matches = group(hits, "pyyaml", "5.3", "PyPI")
    assert [(m.id, m.aliases, m.severity, m.score, m.fixed) for m in matches] == [
        (
            "GHSA-8q59-q68h-6hv4",
            ("PYSEC-2021-142", "CVE-2020-14343"),
            "critical",
            9.8,
            ("5.4",),
        ),
        ("PYSEC-2020-96", ("GHSA-6757-jp84-gxfx", "CVE-2020-1747"), "unknown", None, ("5.3.1",)),
    ]
    assert matches[0].summary == "Improper Input Validation in PyYAML"


def test_records_without_id_are_rejected_and_odd_entries_skipped() -> None:
    with pytest.raises(OsvDataError):
        advisory_from_osv({"summary": "no id"}, "x")
    with pytest.raises(OsvDataError):
        advisory_from_osv(["not", "a", "mapping"], "x")
    odd = advisory_from_osv(
        {
            "id": "X-1",
            "details": "first line\nsecond line",
            "affected": [
                "junk",
                {"package": "junk"},
                {"package": {"ecosystem": "Go", "name": "x"}},
                {
                    "package": {"ecosystem": "PyPI", "name": "Zope.Interface"},
                    "ranges": [
                        "junk",
                        {"type": "ECOSYSTEM", "events": ["junk", {"introduced": "0"}]},
                    ],
                    "severity": [
                        {"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H"}
                    ],
                },
            ],
        },
        "x",
    )
    assert odd.summary == "first line"
    assert [(a.ecosystem, a.name) for a in odd.affected] == [("PyPI", "zope-interface")]
    assert odd.severity == (("CVSS_V3", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H"),)


@pytest.mark.parametrize(
    ("vector", "score"),
    [
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8),
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10.0),
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", 7.5),
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1),
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:L/I:L/A:N", 5.4),
        ("CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", 7.8),
        ("CVSS:3.0/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N", 5.9),
        ("CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H", 7.2),
        ("CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:L/I:L/A:N", 6.4),
        ("CVSS:3.1/AV:P/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N", 0.0),
    ],
)
def test_cvss_v3_base_scores(vector: str, score: float) -> None:
    assert cvss.base_score(vector) == score


@pytest.mark.parametrize(
    "vector",
    [
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
        "AV:N/AC:L/Au:N/C:P/I:P/A:P",
        "CVSS:3.1/AV:N/AC:L",
        "CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:Q/C:H/I:H/A:H",
        "CVSS:3.1/AVN",
    ],
)
def test_cvss_invalid_or_other_versions_have_no_v3_score(vector: str) -> None:
    assert cvss.base_score(vector) is None


def test_severity_levels_labels_and_policy() -> None:
    assert [cvss.level(s) for s in (9.0, 7.0, 6.9, 4.0, 0.1, 0.0)] == [
        "critical",
        "high",
        "medium",
        "medium",
        "low",
        None,
    ]
    v3 = ("CVSS_V3", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H")
    v4 = ("CVSS_V4", "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N")
    assert cvss.severity_of((v4, v3), None) == ("high", 7.5, v3[1])
    assert cvss.severity_of((v4,), "MODERATE") == ("medium", None, None)
    assert cvss.severity_of((v4,), "Critical") == ("critical", None, None)
    assert cvss.severity_of((), None) == ("unknown", None, None)
    assert blocks("high", "high", "warn") and not blocks("medium", "high", "warn")
    assert blocks("unknown", "critical", "fail") and not blocks("unknown", "low", "warn")
