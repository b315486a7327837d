"""Rendering a command's answer: a table for people, JSON or JSON lines for programs.

Every command hands over its answer twice: as data (JSON values, what ``-o json`` prints
whole and ``-o jsonl`` prints one item a line) and as the lines of its table. Tables are
plain text with aligned columns, so that ``grep`` and ``awk`` work on them too.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TextIO

FORMATS = ("table", "json", "jsonl")


class Output:
    """Where and how a command prints its answer."""

    def __init__(self, format: str, stream: TextIO) -> None:
        self.format = format
        self.stream = stream

    @property
    def is_table(self) -> bool:
        """Whether the answer is for a person."""
        return self.format == "table"

    def emit(self, data: Any, lines: Iterable[str]) -> None:
        """Print ``data`` as JSON (a list one item a line for jsonl), or ``lines`` for a table."""
        if self.format == "json":
            self.write(json.dumps(data, indent=2, ensure_ascii=False, default=str))
        elif self.format == "jsonl":
            for item in data if isinstance(data, list) else [data]:
                self.write(json.dumps(item, ensure_ascii=False, default=str))
        else:
            for line in lines:
                self.write(line)

    def write(self, line: str) -> None:
        """One line, flushed at once (a followed history is read as it comes)."""
        self.stream.write(line + "\n")
        self.stream.flush()


def table(rows: Sequence[Sequence[str]], headers: Sequence[str]) -> list[str]:
    """Rows under headers, each column as wide as its widest cell."""
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=False)]
    return [_row(row, widths) for row in [headers, *rows]]


def _row(cells: Sequence[str], widths: Sequence[int]) -> str:
    return "  ".join(str(cell).ljust(width) for cell, width in zip(cells, widths, strict=False)).rstrip()


def fields(pairs: Mapping[str, Any], indent: str = "") -> list[str]:
    """``Name  value`` lines, names aligned; empty values are left out."""
    shown = {name: value for name, value in pairs.items() if value not in (None, "", [], {})}
    width = max((len(name) for name in shown), default=0)
    return [f"{indent}{name.ljust(width)}  {value}".rstrip() for name, value in shown.items()]


def section(title: str, lines: Sequence[str]) -> list[str]:
    """A titled block of indented lines; nothing when there are no lines."""
    if not lines:
        return []
    return ["", f"{title}:", *(f"  {line}" for line in lines)]
