"""What the dialplan layer reports: located diagnostics, and the one exception it raises."""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]
# A node's address in the document: mapping keys and list indexes from the root.
PathPart = str | int
NodePath = tuple[PathPart, ...]

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def format_path(path: Sequence[PathPart]) -> str:
    """`menus.main.options."7"`: identifiers bare, other keys quoted, list indexes as `[3]`."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
            continue
        key = part if _IDENTIFIER.match(part) else json.dumps(part, ensure_ascii=False)
        text += f".{key}" if text else key
    return text


def unknown_reference(kind: str, name: str, known: Mapping[str, object]) -> str:
    """`unknown menu 'sales'; did you mean 'sale'?`, or the names that do exist."""
    close = difflib.get_close_matches(name, list(known), n=1)
    if close:
        return f"unknown {kind} {name!r}; did you mean {close[0]!r}?"
    if not known:
        return f"unknown {kind} {name!r}: no {kind}s are defined"
    listed = ", ".join(sorted(known)[:10]) + (", ..." if len(known) > 10 else "")
    return f"unknown {kind} {name!r}; the {kind}s are: {listed}"


@dataclass(frozen=True, slots=True)
class Finding:
    """A problem found on the typed model, before it is given a place in the file."""

    path: NodePath
    message: str
    severity: Severity = "error"


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One problem in a dialplan file, at a 1-based line and column."""

    file: str
    line: int
    column: int
    path: str
    message: str
    severity: Severity = "error"

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}"
        what = f"warning: {self.message}" if self.severity == "warning" else self.message
        return f"{where} {self.path}: {what}" if self.path else f"{where}: {what}"


class DialplanError(Exception):
    """A dialplan that cannot be used. `diagnostics` holds every error found, in file order."""

    def __init__(self, diagnostics: Iterable[Diagnostic]) -> None:
        self.diagnostics = list(diagnostics)
        super().__init__("\n".join(str(diagnostic) for diagnostic in self.diagnostics))
