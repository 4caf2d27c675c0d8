"""YAML for any gate, bounded: a "billion laughs" alias bomb or a document nested thousands
deep is refused in milliseconds, before anything is built from it.

PyYAML's safe loader follows aliases without limit while constructing; here the document
is composed first (aliases stay shared nodes, so composing is linear in the text), its
expanded size is counted with a budget, and only then is it constructed with the safe
loader's usual (YAML 1.1) semantics. openapi-lint has its own YAML 1.2 core loader with
the same kind of cap.
"""

from __future__ import annotations

from typing import Any

import yaml

# What a document may expand to once aliases are followed; real files stay far below.
MAX_EXPANDED_NODES = 1_000_000
MAX_DEPTH = 500

_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class YamlTooLarge(yaml.YAMLError):
    """The document expands past the node budget or nests past the depth limit."""

    def __init__(self, message: str, mark: yaml.Mark | None = None) -> None:
        super().__init__(message)
        self.problem = message
        self.problem_mark = mark

    def __str__(self) -> str:
        where = f" (line {self.problem_mark.line + 1})" if self.problem_mark else ""
        return f"{self.problem}{where}"


def check_node(root: yaml.Node, max_nodes: int, max_depth: int) -> None:
    """Count the nodes ``root`` expands to, aliases followed, within the budget."""
    # Sizes of shared nodes are memoised: a bomb's levels are counted once each, so the
    # check costs what the document's text does, whatever it expands to.
    sizes: dict[int, int] = {}
    on_path: set[int] = set()

    def size(node: yaml.Node, depth: int) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if depth > max_depth:
            raise YamlTooLarge(f"YAML nested more than {max_depth} deep", node.start_mark)
        if key in on_path:
            raise YamlTooLarge("YAML alias refers to itself", node.start_mark)
        total = 1
        if isinstance(node, (yaml.SequenceNode, yaml.MappingNode)):
            on_path.add(key)
            children: list[yaml.Node] = (
                list(node.value)
                if isinstance(node, yaml.SequenceNode)
                else [n for pair in node.value for n in pair]
            )
            for child in children:
                total += size(child, depth + 1)
                if total > max_nodes:
                    raise YamlTooLarge(
                        f"YAML expands to more than {max_nodes:,} values (an alias bomb?)",
                        node.start_mark,
                    )
            on_path.discard(key)
        sizes[key] = total
        return total

    size(root, 0)


def safe_load(text: str, *, max_nodes: int = MAX_EXPANDED_NODES, max_depth: int = MAX_DEPTH) -> Any:
    """``yaml.safe_load(text)`` that refuses bombs and deep nesting with `YamlTooLarge`.

    Other YAML errors are raised as PyYAML raises them (with their ``problem_mark``).
    """
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        check_node(node, max_nodes, max_depth)
        return loader.construct_document(node)
    except RecursionError as exc:
        raise YamlTooLarge(f"YAML nested more than {max_depth} deep") from exc
    finally:
        loader.dispose()


def safe_load_all(
    text: str, *, max_nodes: int = MAX_EXPANDED_NODES, max_depth: int = MAX_DEPTH
) -> list[Any]:
    """Every document of a stream, each bounded like `safe_load`."""
    loader = _Loader(text)
    out: list[Any] = []
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None:  # pragma: no cover - check_node said there is one
                break
            check_node(node, max_nodes, max_depth)
            out.append(loader.construct_document(node))
        return out
    except RecursionError as exc:
        raise YamlTooLarge(f"YAML nested more than {max_depth} deep") from exc
    finally:
        loader.dispose()
