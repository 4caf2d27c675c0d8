"""Loading JSON Schemas and turning their errors into located, readable problems.

A schema is loaded and its validator built once per run (building a validator costs far
more than validating a small document), relative ``$ref``s resolve against the schema's
own file, and schema files may be JSON or YAML. Schema defects are the gate's
``GateError``: the gate cannot check against a schema it cannot read. A schema is the
repository's, so it is read bounded and only inside the project, and its ``$ref``s resolve
only to files inside the project (`RefRefused` otherwise: the network is never asked).
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qualgate.errors import GateError
from qualgate.fsutil import ReadRefused, read_text_bounded
from qualgate.yamlsafe import safe_load

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


class RefRefused(GateError):
    """A schema's ``$ref`` that is not resolved: remote, a file outside the project, or not a
    readable schema. Documents checked against that schema cannot be validated."""

    def __init__(self, *, ref: str, why: str, schema: str | None, line: int | None) -> None:
        where = f"{schema}:{line}" if schema and line else schema or "schema"
        super().__init__(
            f"{where}: $ref {ref} is not resolved ({why}); the files checked against this "
            "schema were not validated",
            "point the $ref at a schema file inside the project (a relative path resolves "
            "against the schema's own file)",
        )
        self.ref = ref
        self.why = why
        self.schema = schema
        self.line = line


class _Retriever:
    """Resolves ``$ref``s to files inside ``root`` only; remembers why it refused one.

    Never the network (a gate does not fetch), never a file outside the project (a
    ``$ref: file:///etc/passwd`` or ``../../secrets.json`` would put the runner's files
    into findings), never a device (bounded reads of regular files).
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(os.path.realpath(root))
        self.refused: str | None = None

    def __call__(self, uri: str) -> Any:
        from urllib.parse import unquote, urlparse

        from referencing import Resource
        from referencing.exceptions import NoSuchResource

        parsed = urlparse(uri)
        if parsed.scheme != "file" or parsed.netloc not in ("", "localhost"):
            self.refused = "remote schemas are not fetched"
            raise NoSuchResource(ref=uri)  # type: ignore[call-arg]
        path = Path(os.path.realpath(unquote(parsed.path)))
        if not path.is_relative_to(self.root):
            self.refused = "it names a file outside the project"
            raise NoSuchResource(ref=uri)  # type: ignore[call-arg]
        try:
            contents = read_structured(path)
        except Exception as exc:  # unreadable, bad JSON, bad YAML: all unresolvable
            self.refused = "not a readable JSON or YAML schema inside the project"
            raise NoSuchResource(ref=uri) from exc  # type: ignore[call-arg]
        return Resource.from_contents(contents, default_specification=_draft202012())


class Schema:
    """A compiled schema: jsonschema's validator, and a fast predicate when there is one.

    The validator may be built on first use (``build``): for qualgate's own schemas,
    which need no checking, a run where every document is valid never imports jsonschema.
    """

    __slots__ = ("_build", "_validator", "fast", "retriever", "shown", "text")

    def __init__(
        self,
        *,
        validator: Validator | None = None,
        build: Callable[[], Validator] | None = None,
        fast: Callable[[Any], bool] | None = None,
        retriever: _Retriever | None = None,
        shown: str | None = None,
        text: str = "",
    ) -> None:
        if validator is None and build is None:
            raise ValueError("a Schema needs a validator or a way to build one")
        self._validator = validator
        self._build = build
        self.fast = fast
        self.retriever = retriever
        self.shown = shown  # the schema file as findings name it
        self.text = text  # its text, to locate a refused $ref

    @property
    def validator(self) -> Validator:
        if self._validator is None:
            assert self._build is not None  # noqa: S101 - guaranteed by __init__
            self._validator = self._build()
        return self._validator

    def problems(self, instance: Any) -> list[SchemaProblem]:
        """Every schema error of ``instance`` (none when the fast predicate says valid)."""
        from referencing.exceptions import Unresolvable

        if self.fast is not None and self.fast(instance):
            return []
        try:
            return problems(self.validator, instance)
        except Unresolvable as exc:
            ref = str(getattr(exc, "ref", "")) or str(exc)
            why = (self.retriever.refused if self.retriever else None) or "it cannot be found"
            raise RefRefused(
                ref=ref, why=why, schema=self.shown, line=_line_of(self.text, ref)
            ) from None


def _line_of(text: str, needle: str) -> int | None:
    at = text.find(needle) if needle else -1
    return text.count("\n", 0, at) + 1 if at >= 0 else None


# The largest schema file read.
MAX_SCHEMA_BYTES = 16 * 1024 * 1024


def read_schema_text(path: Path) -> str:
    """A schema file's text: a regular file, bounded (a link to /dev/zero is refused)."""
    return read_text_bounded(path, MAX_SCHEMA_BYTES)


def parse_structured(text: str, path: Path) -> Any:
    """A schema's content: JSON, or YAML (bounded: no alias bombs) for .yaml/.yml files."""
    if path.suffix.lower() in (".yaml", ".yml"):
        return safe_load(text)
    return json.loads(text)


def read_structured(path: Path) -> Any:
    return parse_structured(read_schema_text(path), path)


def _draft202012() -> Any:
    from referencing.jsonschema import DRAFT202012

    return DRAFT202012


def build_validator(
    schema: Mapping[str, Any],
    *,
    source: Path | None,
    label: str,
    root: Path,
    shown: str | None = None,
    text: str = "",
) -> Schema:
    """A checked validator for ``schema`` (dialect from ``$schema``, default 2020-12).

    ``source`` is the schema's file, so relative ``$ref``s find their neighbours; ``$ref``s
    resolve inside ``root`` only.
    """
    retriever = _Retriever(root)
    validator = _validator(schema, source=source, label=label, check=True, retrieve=retriever)
    from qualgate.gates.artifact_validate.fastschema import compile_check

    return Schema(
        validator=validator,
        fast=compile_check(schema),
        retriever=retriever,
        shown=shown,
        text=text,
    )


def trusted_schema(path: Path, *, label: str) -> Schema:
    """One of qualgate's own schemas: the validator is built only when a document fails."""
    import json

    from qualgate.gates.artifact_validate.fastschema import compile_check

    schema = json.loads(path.read_text(encoding="utf-8"))
    retriever = _Retriever(path.parent)
    return Schema(
        build=lambda: _validator(schema, source=path, label=label, check=False, retrieve=retriever),
        fast=compile_check(schema),
        retriever=retriever,
        shown=label,
    )


def _validator(
    schema: Mapping[str, Any],
    *,
    source: Path | None,
    label: str,
    check: bool,
    retrieve: _Retriever,
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
    except RecursionError:
        raise GateError(
            f"{label}: the schema is nested too deeply", "fix the schema file"
        ) from None
    document = dict(schema)
    if source is not None and "$id" not in document:
        document["$id"] = source.resolve().as_uri()
    registry: Registry[Any] = Registry(retrieve=retrieve)  # type: ignore[call-arg]
    validator: Validator = cls(document, registry=registry)
    return validator


def load_schema_file(path: Path, *, label: str, root: Path) -> Schema:
    """Read a schema file inside ``root`` and build its validator; a schema that cannot be
    read (missing, outside the project, not a regular file, not JSON/YAML) is a `GateError`."""
    real_root = Path(os.path.realpath(root))
    if not Path(os.path.realpath(path)).is_relative_to(real_root):
        raise GateError(
            f"{label}: schema {path} is outside the project: not read",
            "keep the schema file inside the project",
        )
    try:
        shown = path.resolve().relative_to(real_root).as_posix()
    except (OSError, ValueError):
        shown = str(path)
    try:
        text = read_schema_text(path)
        schema = parse_structured(text, path)
    except FileNotFoundError:
        raise GateError(f"{label}: schema file {path} does not exist", "fix the path") from None
    except ReadRefused:
        raise GateError(
            f"{label}: schema {path} is not a regular file (or larger than 16 MiB): not read",
            "point it at a schema file",
        ) from None
    except OSError as exc:
        raise GateError(f"{label}: cannot read schema {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise GateError(
            f"{label}: schema {path} is not UTF-8 text", "fix the schema file"
        ) from None
    except RecursionError:
        raise GateError(f"{label}: schema {path} is nested too deeply") from None
    except ValueError as exc:  # JSONDecodeError and a 5,000-digit number
        raise GateError(f"{label}: schema {path} is not valid JSON: {_first(exc)}") from None
    except Exception as exc:  # noqa: BLE001 - yaml.YAMLError is not a ValueError
        raise GateError(f"{label}: schema {path} cannot be parsed: {_first(exc)}") from None
    return build_validator(schema, source=path, label=label, root=root, shown=shown, text=text)


def _first(exc: BaseException) -> str:
    return (str(exc).splitlines() or [type(exc).__name__])[0][:200]


def problems(validator: Validator, instance: Any) -> list[SchemaProblem]:
    """Every schema error of ``instance``, in document order, most specific first.

    An unresolvable ``$ref`` raises referencing's ``Unresolvable`` (`Schema.problems`
    turns it into `RefRefused`).
    """
    errors = list(validator.iter_errors(instance))
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
