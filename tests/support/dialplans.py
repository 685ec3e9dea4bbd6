"""What the dialplan tests share: a plan written as `plan.yaml`, and the messages validation gives it."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import dialplans
from dialplans.loader import validate_file

WriteYaml = Callable[[str], Path]


def write_plan(text: str) -> Path:
    """Write `text`, dedented, as `plan.yaml` in the working directory, so messages name it just so."""
    path = Path("plan.yaml")
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def messages(path: Path) -> list[str]:
    return [str(diagnostic) for diagnostic in validate_file(path)]


EXAMPLE = Path(dialplans.__file__).parent / "main.yaml"
