"""JSON with positions: the line where each seed document and each of its rows starts.

The standard parser gives no positions, so the document objects and their ``rows`` arrays
are walked here, and every row is decoded with ``JSONDecoder.raw_decode`` (C speed, one
call per row), which returns where the row ends. Offsets become lines in one pass.
"""

from __future__ import annotations

import json
from typing import Any


class _JsonRows:
    def __init__(self, text: str) -> None:
        self.text = text
        self.decoder = json.JSONDecoder()
        self._offset = 0
        self._line = 1

    def line_at(self, offset: int) -> int:
        # Offsets are visited in increasing order, so counting is incremental.
        if offset < self._offset:
            self._offset, self._line = 0, 1
        self._line += self.text.count("\n", self._offset, offset)
        self._offset = offset
        return self._line

    def skip_ws(self, i: int) -> int:
        text = self.text
        while i < len(text) and text[i] in " \t\r\n":
            i += 1
        return i


class _Decoder:
    """``raw_decode`` that turns a value Python refuses (an integer past the digit limit,
    nesting past the recursion limit) into a `JSONDecodeError` at that value."""

    def __init__(self) -> None:
        self.inner = json.JSONDecoder()

    def raw_decode(self, text: str, index: int) -> tuple[Any, int]:
        try:
            return self.inner.raw_decode(text, index)
        except json.JSONDecodeError:
            raise
        except RecursionError:
            raise json.JSONDecodeError("JSON nested too deeply", text, index) from None
        except ValueError as exc:  # "Exceeds the limit (4300 digits)..."
            raise json.JSONDecodeError(str(exc).split(";")[0], text, index) from None


def parse(text: str) -> tuple[Any, dict[int, int], dict[tuple[int, int], int]]:
    """Parse ``text``; return (data, {doc index: offset}, {(doc, row): offset}).

    Accepts a document object or a list of document objects at the top level.
    """
    scanner = _JsonRows(text)
    decoder = _Decoder()
    i = scanner.skip_ws(0)
    doc_offsets: dict[int, int] = {}
    row_offsets: dict[tuple[int, int], int] = {}

    def parse_doc(i: int, doc_index: int) -> tuple[Any, int]:
        # Walk one object: keys and values via raw_decode, except "rows" whose items are
        # decoded one by one so their start offsets are known.
        if i >= len(text) or text[i] != "{":
            return decoder.raw_decode(text, i)
        doc_offsets[doc_index] = i
        out: dict[str, Any] = {}
        i = scanner.skip_ws(i + 1)
        if text[i : i + 1] == "}":
            return out, i + 1
        while True:
            key, i = decoder.raw_decode(text, scanner.skip_ws(i))
            i = scanner.skip_ws(i)
            if text[i : i + 1] != ":":
                raise json.JSONDecodeError("Expecting ':' delimiter", text, i)
            i = scanner.skip_ws(i + 1)
            if key == "rows" and text[i : i + 1] == "[":
                rows: list[Any] = []
                i = scanner.skip_ws(i + 1)
                if text[i : i + 1] == "]":
                    i += 1
                else:
                    while True:
                        row_offsets[(doc_index, len(rows))] = i
                        row, i = decoder.raw_decode(text, i)
                        rows.append(row)
                        i = scanner.skip_ws(i)
                        if text[i : i + 1] == ",":
                            i = scanner.skip_ws(i + 1)
                            continue
                        if text[i : i + 1] == "]":
                            i += 1
                            break
                        raise json.JSONDecodeError("Expecting ',' delimiter", text, i)
                value: Any = rows
            else:
                value, i = decoder.raw_decode(text, i)
            out[key] = value
            i = scanner.skip_ws(i)
            if text[i : i + 1] == ",":
                i += 1
                continue
            if text[i : i + 1] == "}":
                return out, i + 1
            raise json.JSONDecodeError("Expecting ',' delimiter", text, i)

    if text[i : i + 1] == "[":
        data: Any = []
        i = scanner.skip_ws(i + 1)
        if text[i : i + 1] == "]":
            i += 1
        else:
            while True:
                item, i = parse_doc(scanner.skip_ws(i), len(data))
                data.append(item)
                i = scanner.skip_ws(i)
                if text[i : i + 1] == ",":
                    i += 1
                    continue
                if text[i : i + 1] == "]":
                    i += 1
                    break
                raise json.JSONDecodeError("Expecting ',' delimiter", text, i)
    else:
        data, i = parse_doc(i, 0)
    if scanner.skip_ws(i) != len(text):
        raise json.JSONDecodeError("Extra data", text, scanner.skip_ws(i))
    # Turn offsets into lines in one increasing pass.
    lines = _JsonRows(text)
    points = sorted(
        [(off, ("doc", key)) for key, off in doc_offsets.items()]
        + [(off, ("row", key)) for key, off in row_offsets.items()]
    )
    doc_lines: dict[int, int] = {}
    row_lines: dict[tuple[int, int], int] = {}
    for off, (kind, key) in points:
        if kind == "doc":
            doc_lines[key] = lines.line_at(off)  # type: ignore[index]
        else:
            row_lines[key] = lines.line_at(off)  # type: ignore[index]
    return data, doc_lines, row_lines
