"""Artifact types: the built-in ``rfc``, ``adr`` and ``task``, plus the project's own.

A type is a front-matter JSON Schema, a list of required headings and the folders whose
files are of that type. Built-in schemas ship as package data
(``qualgate/schemas/artifacts/<type>.json``). The ``types`` config key adds types or
overrides parts of a built-in one::

    [tool.qualgate.artifact-validate]
    types = {rfc = {headings = ["Summary", "Design"]},
             runbook = {schema = "schemas/runbook.json", headings = ["Steps"]}}

Schema paths are relative to the project root. A key left out of an override keeps the
built-in value.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qualgate.gates.artifact_validate.schemas import Schema, load_schema_file, trusted_schema

_SCHEMA_DIR = Path(__file__).resolve().parents[2] / "schemas" / "artifacts"


@dataclass(frozen=True, kw_only=True, slots=True)
class ArtifactType:
    """One kind of Markdown artifact."""

    name: str
    description: str
    schema_path: Path
    headings: tuple[str, ...]
    folders: tuple[str, ...]
    builtin_schema: bool = True

    @property
    def schema_label(self) -> str:
        return f"built-in {self.name} schema" if self.builtin_schema else str(self.schema_path)


BUILTIN: dict[str, ArtifactType] = {
    t.name: t
    for t in (
        ArtifactType(
            name="rfc",
            description="Request for comments: a proposal and where it stands.",
            schema_path=_SCHEMA_DIR / "rfc.json",
            headings=("Summary", "Motivation", "Design"),
            folders=("rfc", "rfcs"),
        ),
        ArtifactType(
            name="adr",
            description="Architecture decision record (MADR).",
            schema_path=_SCHEMA_DIR / "adr.json",
            headings=("Context and Problem Statement", "Considered Options", "Decision Outcome"),
            folders=("adr", "adrs", "decisions"),
        ),
        ArtifactType(
            name="task",
            description="A unit of work with acceptance criteria.",
            schema_path=_SCHEMA_DIR / "task.json",
            headings=("Acceptance Criteria",),
            folders=("task", "tasks"),
        ),
    )
}

_TYPE_KEYS = {"schema", "headings", "folders", "description"}


def validate_types_option(value: Any) -> dict[str, dict[str, Any]]:
    """Check the ``types`` option's shape (used as the option's ``validate``)."""
    if not isinstance(value, Mapping):
        raise ValueError(
            'expects a table of types, e.g. {rfc = {schema = "schemas/rfc.json", '
            'headings = ["Summary"]}}'
        )
    out: dict[str, dict[str, Any]] = {}
    for name, spec in value.items():
        if (
            not isinstance(name, str)
            or not name
            or not name.replace("-", "").replace("_", "").isalnum()
        ):
            raise ValueError(f"types: {name!r} is not a type name (letters, digits, - and _)")
        if not isinstance(spec, Mapping):
            raise ValueError(
                f"types.{name}: expects a table with keys {', '.join(sorted(_TYPE_KEYS))}"
            )
        unknown = set(spec) - _TYPE_KEYS
        if unknown:
            raise ValueError(
                f"types.{name}: unknown key {sorted(unknown)[0]!r} "
                f"(valid keys: {', '.join(sorted(_TYPE_KEYS))})"
            )
        for key in ("schema", "description"):
            if key in spec and (not isinstance(spec[key], str) or not spec[key]):
                raise ValueError(f"types.{name}.{key}: expects a non-empty string")
        if "\x00" in str(spec.get("schema", "")) or any(
            "\x00" in f for f in spec.get("folders") or ()
        ):
            raise ValueError(f"types.{name}: a path may not hold a NUL byte")
        for key in ("headings", "folders"):
            if key in spec and (
                not isinstance(spec[key], list)
                or not all(isinstance(h, str) and h for h in spec[key])
            ):
                raise ValueError(f"types.{name}.{key}: expects a list of non-empty strings")
        out[name] = dict(spec)
    return out


def resolve_types(
    overrides: Mapping[str, Mapping[str, Any]] | None, root: Path
) -> dict[str, ArtifactType]:
    """Built-in types with the project's additions and overrides applied."""
    types = dict(BUILTIN)
    for name, spec in (overrides or {}).items():
        base = types.get(name)
        schema = spec.get("schema")
        if schema is not None:
            schema_path, builtin = root / schema, False
        elif base is not None:
            schema_path, builtin = base.schema_path, base.builtin_schema
        else:
            schema_path, builtin = _SCHEMA_DIR / "any.json", True
        types[name] = ArtifactType(
            name=name,
            description=spec.get("description", base.description if base else "project type"),
            schema_path=schema_path,
            headings=tuple(spec.get("headings", base.headings if base else ())),
            folders=tuple(spec.get("folders", base.folders if base else (name, name + "s"))),
            builtin_schema=builtin,
        )
    return types


class TypeSet:
    """The types of one run, each validator built once and only when first needed."""

    def __init__(self, types: Mapping[str, ArtifactType], root: Path) -> None:
        self.types = dict(types)
        self.root = root
        self._validators: dict[str, Schema] = {}
        self.by_folder: dict[str, str] = {}
        # Project types come after the built-in ones, so a folder a project type claims
        # (e.g. "decisions") is that type's, not the built-in one's.
        for t in self.types.values():
            for folder in t.folders:
                self.by_folder[folder.lower()] = t.name

    def validator(self, name: str) -> Schema:
        found = self._validators.get(name)
        if found is None:
            t = self.types[name]
            label = f"artifact type {name!r}"
            if not t.builtin_schema:
                try:
                    shown = t.schema_path.relative_to(self.root).as_posix()
                except ValueError:
                    shown = str(t.schema_path)
                label += f" (schema {shown})"
            if t.builtin_schema:
                found = trusted_schema(t.schema_path, label=label)
            else:
                found = load_schema_file(t.schema_path, label=label, root=self.root)
            self._validators[name] = found
        return found


def describe_types(types: Mapping[str, ArtifactType] | None = None) -> str:
    """The text ``--list-types`` prints: each type's fields, values and headings."""
    lines = []
    for t in (types or BUILTIN).values():
        schema: dict[str, Any] = json.loads(t.schema_path.read_text(encoding="utf-8"))
        required = schema.get("required", [])
        props = schema.get("properties", {})
        fields = []
        for key in required:
            fields.append(key + _values(props.get(key, {})))
        optional = [k for k in props if k not in required and k != "type"]
        lines.append(f"{t.name}: {t.description}")
        lines.append(
            f"  folders:   {', '.join(f + '/' for f in t.folders)} (or front matter type: {t.name})"
        )
        lines.append(f"  required:  {', '.join(fields) or '-'}")
        if optional:
            lines.append(f"  optional:  {', '.join(optional)}")
        lines.append(f"  headings:  {', '.join(t.headings) or '-'}")
        lines.append(f"  schema:    {t.schema_label}")
        lines.append("")
    return "\n".join(lines)


def _values(prop: Mapping[str, Any]) -> str:
    if "enum" in prop:
        return " (" + "|".join(str(v) for v in prop["enum"]) + ")"
    for branch in prop.get("anyOf", ()):
        if "enum" in branch:
            return " (" + "|".join(str(v) for v in branch["enum"]) + "|...)"
    return ""
