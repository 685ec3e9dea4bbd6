"""Load a YAML dialplan into typed models in one pass, or say precisely what is wrong with it.

    loaded = load_dialplan(Path("dialplans/main.yaml"))    # raises DialplanError
    diagnostics = validate_file(Path("dialplans/main.yaml"))  # errors and warnings, never raises

The pass: a byte limit before anything is parsed; safe YAML composed under a node
budget (see `yaml_source`); pydantic validation, each error mapped back to its
file:line:column; the cross-reference checks (`checks`, which runs the ACD's and the CRM's
too); and the audio files on disk.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from dialplans.checks import check_dialplan
from dialplans.errors import Diagnostic, DialplanError, Finding, format_path
from dialplans.messages import describe
from dialplans.models import Dialplan
from dialplans.sounds import audio_findings, audio_path, resolve_sounds_dir, sound_path_findings
from dialplans.yaml_source import Position, SourceDocument, read_yaml

__all__ = [
    "DEFAULT_MAX_BYTES",
    "Diagnostic",
    "DialplanError",
    "LoadedDialplan",
    "load_dialplan",
    "validate_file",
]

DEFAULT_MAX_BYTES = 1_048_576
EXTENSION_PREFIX = "x-"


@dataclass(frozen=True)
class LoadedDialplan:
    """A dialplan that passed every check: its model, where it came from, and what to keep in mind."""

    model: Dialplan
    path: Path
    sounds_dir: Path
    warnings: list[Diagnostic] = field(default_factory=list)

    def prompt_file(self, name: str) -> Path | None:
        """The audio file of prompt `name`, if it has one and the file exists right now."""
        prompt = self.model.prompts.get(name)
        if prompt is None or prompt.file is None:
            return None
        path = audio_path(self.sounds_dir, prompt.file)
        return path if path.is_file() else None


def load_dialplan(path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> LoadedDialplan:
    """The checked dialplan at `path`; DialplanError lists every error found if it has any."""
    loaded, diagnostics = _load(path, max_bytes)
    if loaded is None:
        raise DialplanError(d for d in diagnostics if d.severity == "error")
    return loaded


def validate_file(path: Path) -> list[Diagnostic]:
    """Every error and warning about the dialplan at `path`, in file order."""
    return _load(path, DEFAULT_MAX_BYTES)[1]


def _load(path: Path, max_bytes: int) -> tuple[LoadedDialplan | None, list[Diagnostic]]:
    document = SourceDocument(str(path))
    text = _read_text(path, max_bytes, document)
    if text is None:
        return None, document.diagnostics
    document = read_yaml(text, str(path))
    if document.data is None:
        return None, _in_file_order(document)
    data = _without_extensions(document.data)
    try:
        model = Dialplan.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():
            node_path, at_key, message = describe(error, data)
            if not document.is_faulty(node_path):
                document.report(document.locate(node_path, key=at_key), format_path(node_path), message)
        return None, _in_file_order(document)
    sounds_dir = resolve_sounds_dir(path, model.sounds_dir)
    findings: list[Finding] = [
        *check_dialplan(model),
        *sound_path_findings(model, sounds_dir),
        *audio_findings(model, sounds_dir),
    ]
    for finding in findings:
        document.report(
            document.locate(finding.path), format_path(finding.path), finding.message, finding.severity
        )
    diagnostics = _in_file_order(document)
    if any(d.severity == "error" for d in diagnostics):
        return None, diagnostics
    warnings = [d for d in diagnostics if d.severity == "warning"]
    return LoadedDialplan(model, path, sounds_dir, warnings), diagnostics


def _without_extensions(data: Any) -> Any:
    """Top-level keys starting with `x-` are the engineer's own, e.g. a home for YAML anchors."""
    if not isinstance(data, dict):
        return data
    return {key: value for key, value in data.items() if not key.startswith(EXTENSION_PREFIX)}


def _read_text(path: Path, max_bytes: int, document: SourceDocument) -> str | None:
    """The file as text, refusing it before parsing when it is too big or not UTF-8."""
    start = Position(1, 1)
    try:
        size = path.stat().st_size
        if size <= max_bytes:
            with path.open("rb") as stream:
                raw = stream.read(max_bytes + 1)
            size = len(raw)
    except OSError as exc:
        document.report(start, "", f"cannot read the dialplan: {exc.strerror or exc}")
        return None
    if size > max_bytes:
        document.report(
            start,
            "",
            f"the file is {size:,} bytes, over the {max_bytes:,}-byte limit for a dialplan; not parsed",
        )
        return None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line_start = raw.rfind(b"\n", 0, exc.start) + 1
        line = raw.count(b"\n", 0, exc.start) + 1
        column = len(raw[line_start : exc.start].decode("utf-8", errors="replace")) + 1
        document.report(
            Position(line, column), "", f"not UTF-8 text: byte 0x{raw[exc.start]:02x} cannot be decoded"
        )
        return None


def _in_file_order(document: SourceDocument) -> list[Diagnostic]:
    return sorted(document.diagnostics, key=lambda d: (d.line, d.column, d.severity != "error"))
