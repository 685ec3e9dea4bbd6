"""The ESL exchanges captured from real FreeSWITCH: where they are, and their entries.

They live in ../shared/esl_transcripts/<version>/<name>.jsonl, one {"dir", "t", "raw"} object a line;
ESL_TRANSCRIPTS_DIR points elsewhere. The project's own captures, in the same format, are in
tests/transcripts/<version>/ (CAPTURES_DIR; recaptured by `python -m tests.captures.capture`).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Final

VERSIONS: Final = ("1.10.12", "1.11.2")
CAPTURES_DIR: Final = Path(__file__).resolve().parents[1] / "transcripts"


@dataclass(frozen=True)
class Entry:
    direction: str  # "fs>app" or "app>fs"
    t: float
    raw: str

    @property
    def from_switch(self) -> bool:
        return self.direction == "fs>app"


def transcripts_dir() -> Path:
    override = os.environ.get("ESL_TRANSCRIPTS_DIR")
    root = Path(override) if override else Path(__file__).resolve().parents[3] / "shared" / "esl_transcripts"
    if not root.is_dir():
        raise FileNotFoundError(
            f"no captured ESL transcripts at {root}: set ESL_TRANSCRIPTS_DIR to the folder that holds them"
        )
    return root


def transcript_files(versions: tuple[str, ...] = VERSIONS) -> list[Path]:
    root = transcripts_dir()
    return [path for version in versions for path in sorted((root / version).glob("*.jsonl"))]


def read_entries(path: Path) -> tuple[Entry, ...]:
    entries = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            item = json.loads(line)
            entries.append(Entry(item["dir"], float(item["t"]), item["raw"]))
    return tuple(entries)


@cache
def load(version: str, name: str, root: Path | None = None) -> tuple[Entry, ...]:
    """A transcript of the shared folder, or of `root` (e.g. CAPTURES_DIR) when given."""
    return read_entries((root or transcripts_dir()) / version / f"{name}.jsonl")
