"""Generate benchmark trees: N Markdown artifacts (RFC/ADR/task mix) and N YAML files."""

from __future__ import annotations

import json
from pathlib import Path

RFC = """---
id: RFC-{n}
type: rfc
title: Proposal number {n}
status: {status}
authors: [alice, bob]
date: 2024-01-{day:02d}
tags: [platform, api]
---
# Summary

One paragraph about proposal {n}. See [the design](#design) and
[the previous one](rfc-{prev}.md#motivation).

## Motivation

Why we need it, with `inline [code](nowhere.md)` that is not a link.

```python
x = "[not a link](missing.md)"
```

## Design

The design, linking to [ADR {adr}](../adr/adr-{adr}.md) and ![a diagram](../img/diagram.png).

## Alternatives

Nothing else.
"""

ADR = """---
id: ADR-{n}
title: Decision {n}
status: accepted
date: 2024-02-{day:02d}
deciders: [carol]
---
# Decision {n}

## Context and Problem Statement

Why decide, see [RFC {n}](../rfc/rfc-{n}.md#summary).

## Considered Options

* Option A
* Option B

## Decision Outcome

Chosen option: A.
"""

TASK = """---
id: TASK-{n}
title: Do thing {n}
status: todo
---
Thing {n}
=========

## Acceptance Criteria

- [ ] it works ([spec](../rfc/rfc-{n}.md#design))
"""

SETTINGS = """service:
  name: svc-{n}
  port: {port}
  debug: false
database:
  url: postgresql://db/{n}
  pool_size: 5
features:
  - name: search
    enabled: true
  - name: export
    enabled: false
"""

SETTINGS_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["service", "database"],
    "additionalProperties": False,
    "properties": {
        "service": {
            "type": "object",
            "required": ["name", "port"],
            "additionalProperties": False,
            "properties": {
                "name": {"type": "string", "minLength": 1},
                "port": {"type": "integer", "minimum": 1, "maximum": 65535},
                "debug": {"type": "boolean"},
            },
        },
        "database": {
            "type": "object",
            "required": ["url"],
            "properties": {
                "url": {"type": "string"},
                "pool_size": {"type": "integer", "minimum": 1},
            },
        },
        "features": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["name", "enabled"],
                "properties": {"name": {"type": "string"}, "enabled": {"type": "boolean"}},
            },
        },
    },
}


def artifacts(root: Path, count: int) -> None:
    """``count`` artifacts under root/artifacts (half RFCs, a quarter ADRs, a quarter tasks)."""
    statuses = ("draft", "proposed", "accepted", "rejected", "superseded")
    (root / "artifacts" / "img").mkdir(parents=True, exist_ok=True)
    (root / "artifacts" / "img" / "diagram.png").write_bytes(b"\x89PNG\r\n")
    per = count // 4
    folders = {"rfc": 2 * per, "adr": per, "task": count - 3 * per}
    for kind, total in folders.items():
        folder = root / "artifacts" / kind
        folder.mkdir(parents=True, exist_ok=True)
        for n in range(total):
            day = n % 28 + 1
            if kind == "rfc":
                text = RFC.format(
                    n=n, prev=max(n - 1, 0), adr=n % folders["adr"], status=statuses[n % 5], day=day
                )
            elif kind == "adr":
                text = ADR.format(n=n, day=day)
            else:
                text = TASK.format(n=n)
            (folder / f"{kind}-{n}.md").write_text(text, encoding="utf-8")


def yaml_files(root: Path, count: int) -> Path:
    """``count`` YAML files under root/config and their schema; returns the schema path."""
    folder = root / "config"
    folder.mkdir(parents=True, exist_ok=True)
    for n in range(count):
        (folder / f"settings-{n}.yaml").write_text(
            SETTINGS.format(n=n, port=8000 + n % 1000), encoding="utf-8"
        )
    schema = root / "settings.schema.json"
    schema.write_text(json.dumps(SETTINGS_SCHEMA, indent=2), encoding="utf-8")
    return schema
