"""YAML seed files loaded with the line of every mapping and sequence item, and bounded.

The bounds are `qualgate.yamlsafe`'s (an alias bomb or deep nesting is refused before
anything is built); the constructors remember where each mapping and each list item
starts, so a finding points at the row.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

import yaml

from qualgate.yamlsafe import MAX_DEPTH, MAX_EXPANDED_NODES, YamlTooLarge
from qualgate.yamlsafe import check_node as _check_bounds


class _LineList(list[Any]):
    """A YAML sequence that remembers the line of each item."""

    __slots__ = ("lines",)
    lines: list[int]


class _LineDict(dict[Hashable, Any]):
    """A mapping that remembers the line its YAML node starts on."""

    __slots__ = ("line",)
    line: int


def _make_loader() -> type[yaml.SafeLoader]:
    # The C parser when available: a 100,000-row YAML file reads several times faster.
    base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class _Loader(base):  # type: ignore[misc]
        pass

    def _mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> _LineDict:
        out = _LineDict(loader.construct_mapping(node, deep=True))
        out.line = node.start_mark.line + 1
        return out

    def _sequence(loader: yaml.SafeLoader, node: yaml.SequenceNode) -> _LineList:
        out = _LineList(loader.construct_sequence(node, deep=True))
        out.lines = [item.start_mark.line + 1 for item in node.value]
        return out

    def _timestamp(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
        # 2024-02-30 looks like a date but is none: keep the text, so the column's
        # converter reports it at its row instead of the whole file failing.
        try:
            return yaml.constructor.SafeConstructor.construct_yaml_timestamp(loader, node)
        except ValueError:
            return loader.construct_scalar(node)

    _Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)
    _Loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)
    _Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _sequence)
    loader: type[yaml.SafeLoader] = _Loader
    return loader


_LOADER = _make_loader()


def load(text: str) -> list[Any]:
    """Every document, bounded like `qualgate.yamlsafe` (alias bombs and deep nesting
    refused before anything is built), with the line-remembering constructors.

    A seed file may hold a few million values; without aliases a document cannot expand
    past its own text, so the budget is the text's length on top of yamlsafe's.
    """
    loader = _LOADER(text)
    budget = MAX_EXPANDED_NODES + len(text)
    out: list[Any] = []
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None:  # pragma: no cover - check_node said there is one
                break
            _check_bounds(node, budget, MAX_DEPTH)
            try:
                out.append(loader.construct_document(node))
            except (ValueError, TypeError) as exc:  # a constructor refusing a value
                raise Refused(str(exc), node.start_mark.line + 1) from None
        return out
    except RecursionError as exc:
        raise YamlTooLarge(f"YAML nested more than {MAX_DEPTH} deep") from exc
    finally:
        loader.dispose()


class Refused(ValueError):
    """A value the YAML constructors refuse (a 5,000-digit integer), at its document's line."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.line = line
