"""A dialplan to hand the FreeSWITCH conf renderer without loading a file."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from dialplans.models import Dialplan


@dataclass(frozen=True)
class Loaded:
    """Stands in for dialplans.loader.LoadedDialplan: the renderer reads only these two fields."""

    model: Dialplan
    sounds_dir: Path
