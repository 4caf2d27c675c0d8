"""Loading JSON Schemas and turning their errors into located, readable problems.

A schema is loaded and its validator built once per run (building a validator costs far
more than validating a small document), relative ``$ref``s resolve against the schema's
own file, and schema files may be JSON or YAML. Schema defects are the gate's
``GateError``: the gate cannot check against a schema it cannot read.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qualgate.errors import GateError

if TYPE_CHECKING:
    from jsonschema.protocols import Validator

Path_ = tuple[str | int, ...]


@dataclass(frozen=True, kw_only=True, slots=True)
class SchemaProblem:
    """One schema error: where in the instance, and what is wrong."""

    path: Path_
    message: str
    # The key the error is about when it is a key that should not be there (additional
    # properties): the finding then points at that key rather than its parent object.
    key: str | None = None
    keyword: str = ""


class Schema:
    """A compiled schema: jsonschema's validator, and a fast predicate when there is one.

    The validator may be built on first use (``build``): for qualgate's own schemas,
    which need no checking, a run where every document is valid never imports jsonschema.
    """

    __slots__ = ("_build", "_validator", "fast")

    def __init__(
        self,
        *,
        validator: Validator | None = None,
        build: Callable[[], Validator] | None = None,
        fast: Callable[[Any], bool] | None = None,
    ) -> None:
        if validator is None and build is None:
            raise ValueError("a Schema needs a validator or a way to build one")
        self._validator = validator
        self._build = build
        self.fast = fast

    @property
    def validator(self) -> Validator:
        if self._validator is None:
            assert self._build is not None  # noqa: S101 - guaranteed by __init__
            self._validator = self._build()
        return self._validator

    def problems(self, instance: Any) -> list[SchemaProblem]:
        """Every schema error of ``instance`` (none when the fast predicate says valid)."""
        if self.fast is not None and self.fast(instance):
            return []
        return problems(self.validator, instance)


def read_structured(path: Path) -> Any:
    """A schema file's content: JSON, or YAML for .yaml/.yml files."""
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() in (".yaml", ".yml"):
        import yaml

        return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506
    return json.loads(text)


def _retrieve(uri: str) -> Any:
    from referencing import Resource
    from referencing.exceptions import NoSuchResource

    if not uri.startswith("file:"):
        # Remote $refs are not fetched: a gate must not depend on the network.
        raise NoSuchResource(ref=uri)  # type: ignore[call-arg]
    from urllib.parse import unquote, urlparse

    path = Path(unquote(urlparse(uri).path))
    try:
        contents = read_structured(path)
    except Exception as exc:  # unreadable, bad JSON, bad YAML: all unresolvable
        raise NoSuchResource(ref=uri) from exc  # type: ignore[call-arg]
    return Resource.from_contents(contents, default_specification=_draft202012())


def _draft202012() -> Any:
    from referencing.jsonschema import DRAFT202012

    return DRAFT202012


def build_validator(schema: Mapping[str, Any], *, source: Path | None, label: str) -> Schema:
    """A checked validator for ``schema`` (dialect from ``$schema``, default 2020-12).

    ``source`` is the schema's file, so relative ``$ref``s find their neighbours.
    """
    validator = _validator(schema, source=source, label=label, check=True)
    from qualgate.gates.artifact_validate.fastschema import compile_check

    return Schema(validator=validator, fast=compile_check(schema))


def trusted_schema(path: Path, *, label: str) -> Schema:
    """One of qualgate's own schemas: the validator is built only when a document fails."""
    import json

    from qualgate.gates.artifact_validate.fastschema import compile_check

    schema = json.loads(path.read_text(encoding="utf-8"))
    return Schema(
        build=lambda: _validator(schema, source=path, label=label, check=False),
        fast=compile_check(schema),
    )


def _validator(
    schema: Mapping[str, Any], *, source: Path | None, label: str, check: bool
) -> Validator:
    import jsonschema
    from jsonschema.exceptions import SchemaError
    from referencing import Registry

    if not isinstance(schema, Mapping):
        raise GateError(
            f"{label}: a schema must be a JSON object, got {type(schema).__name__}",
            "fix the schema file",
        )
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    try:
        if check:
            cls.check_schema(dict(schema))
    except SchemaError as exc:
        where = "/".join(str(p) for p in exc.absolute_path) or "<root>"
        raise GateError(
            f"{label}: not a valid JSON Schema at {where}: {exc.message}", "fix the schema file"
        ) from None
    document = dict(schema)
    if source is not None and "$id" not in document:
        document["$id"] = source.resolve().as_uri()
    registry: Registry[Any] = Registry(retrieve=_retrieve)  # type: ignore[call-arg]
    validator: Validator = cls(document, registry=registry)
    return validator


def load_schema_file(path: Path, *, label: str) -> Schema:
    """Read a schema file and build its validator; unreadable schemas are a `GateError`."""
    try:
        schema = read_structured(path)
    except FileNotFoundError:
        raise GateError(f"{label}: schema file {path} does not exist", "fix the path") from None
    except OSError as exc:
        raise GateError(f"{label}: cannot read schema {path}: {exc.strerror}") from None
    except ValueError as exc:  # JSONDecodeError and YAMLError are ValueErrors or close to it
        raise GateError(f"{label}: schema {path} is not valid JSON: {exc}") from None
    except Exception as exc:  # noqa: BLE001 - yaml.YAMLError is not a ValueError
        raise GateError(f"{label}: schema {path} cannot be parsed: {exc}") from None
    return build_validator(schema, source=path, label=label)


def problems(validator: Validator, instance: Any) -> list[SchemaProblem]:
    """Every schema error of ``instance``, in document order, most specific first."""
    from referencing.exceptions import Unresolvable

    try:
        errors = list(validator.iter_errors(instance))
    except Unresolvable as exc:
        raise GateError(
            f"schema cannot be used: unresolvable $ref {exc}", "fix the schema's $ref"
        ) from None
    out = [_problem(error) for error in errors]
    out.sort(key=lambda p: tuple(str(x) for x in p.path))
    return out


def _problem(error: Any) -> SchemaProblem:
    path: Path_ = tuple(error.absolute_path)
    key = None
    if error.validator in ("additionalProperties", "unevaluatedProperties") and isinstance(
        error.instance, Mapping
    ):
        key = _extra_key(error)
    message = error.message
    if error.validator in ("anyOf", "oneOf") and error.context:
        # "is not valid under any of the given schemas" says nothing; the closest branch does.
        from jsonschema.exceptions import best_match

        closest = best_match(error.context)
        if closest is not None and not closest.relative_path:
            message = closest.message
    return SchemaProblem(path=path, message=message, key=key, keyword=str(error.validator))


def _extra_key(error: Any) -> str | None:
    schema = error.schema if isinstance(error.schema, Mapping) else {}
    known = set(schema.get("properties", {}) or {})
    patterns = list((schema.get("patternProperties", {}) or {}).keys())
    import re

    for name in error.instance:
        if name in known or any(re.search(p, str(name)) for p in patterns):
            continue
        return str(name)
    return None


def jsonable(value: Any) -> Any:
    """YAML data as JSON Schema sees it: dates become ISO strings, keys become strings.

    YAML reads ``date: 2024-01-05`` as a date object, which no JSON Schema type matches;
    tools like check-jsonschema compare it as the string it is in JSON.
    """
    if isinstance(value, dict):
        return {(k if isinstance(k, str) else _key_text(k)): jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [jsonable(v) for v in value]
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


def _key_text(key: Any) -> str:
    if key is None:
        return "null"
    if isinstance(key, bool):
        return "true" if key else "false"
    if isinstance(key, (dt.date, dt.datetime)):
        return key.isoformat()
    return str(key)


def needs_conversion(value: Any) -> bool:
    """Whether `jsonable` would change anything (a fast path for flat front matter)."""
    if isinstance(value, dict):
        return any(not isinstance(k, str) or needs_conversion(v) for k, v in value.items())
    if isinstance(value, list):
        return any(needs_conversion(v) for v in value)
    return isinstance(value, (dt.date, dt.datetime))
