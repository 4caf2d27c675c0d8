"""Building small OpenAPI projects in tmp_path and running the gate on them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.support import Run, run_qualgate, write_files

CLEAN_3 = """\
openapi: {version}
info:
  title: Pets
  version: "1.0"
  description: Pet store.
  contact: {{name: Team}}
  license: {{name: MIT}}
servers:
  - url: https://api.example.com/v1
tags:
  - name: pets
    description: Pets.
paths:
  /pets/{{petId}}:
    get:
      operationId: getPet
      summary: Get a pet
      description: One pet.
      tags: [pets]
      parameters:
        - name: petId
          in: path
          required: true
          schema: {{type: integer}}
      responses:
        "200":
          description: The pet.
          content:
            application/json:
              schema: {{$ref: "#/components/schemas/Pet"}}
        "404":
          description: Not found.
components:
  schemas:
    Pet:
      type: object
      properties:
        name: {{type: string}}
"""

CLEAN_2 = """\
swagger: "2.0"
info:
  title: Pets
  version: "1.0"
  description: Pet store.
  contact: {name: Team}
  license: {name: MIT}
host: api.example.com
tags:
  - name: pets
    description: Pets.
paths:
  /pets/{petId}:
    get:
      operationId: getPet
      summary: Get a pet
      description: One pet.
      tags: [pets]
      parameters:
        - name: petId
          in: path
          required: true
          type: integer
      responses:
        "200":
          description: The pet.
          schema: {$ref: "#/definitions/Pet"}
        "404":
          description: Not found.
definitions:
  Pet:
    type: object
    properties:
      name: {type: string}
"""

VERSIONS = ("2.0", "3.0", "3.1")


def clean(version: str) -> str:
    """A document of ``version`` with no finding at all."""
    if version == "2.0":
        return CLEAN_2
    return CLEAN_3.format(version="3.0.3" if version == "3.0" else "3.1.0")


def replace_line(text: str, number: int, new: str) -> str:
    """``text`` with its line ``number`` (1-based) replaced by ``new`` (no newline)."""
    lines = text.splitlines()
    lines[number - 1] = new
    return "\n".join(lines) + "\n"


def lint(
    root: Path, text: str | None = None, *args: str, name: str = "openapi.yaml", **files: str
) -> Run:
    """Write ``text`` as ``name`` (plus ``files``) under ``root`` and run the gate."""
    contents = dict(files)
    if text is not None:
        contents[name] = text
    write_files(root, contents)
    return run_qualgate("openapi-lint", str(root), *args)


def hits(run: Run, rule: str) -> list[tuple[str, int | None]]:
    """(path, line) of every finding of ``rule``."""
    return [(f["path"], f.get("line")) for f in run.findings if f["rule"] == rule]


def lines(run: Run, rule: str) -> list[int | None]:
    return [f.get("line") for f in run.findings if f["rule"] == rule]


def by_rule(run: Run) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for f in run.findings:
        out.setdefault(f["rule"], []).append(f)
    return out
