"""Prompt names from the dialplan resolved into `Audio` the channel can play."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from dialplans.models import Dialplan
from ivr_scripts.channel import Audio


@dataclass(frozen=True, slots=True)
class PromptBook:
    """Every prompt of a dialplan, each with its audio file when it exists and its TTS text."""

    audio: dict[str, Audio]

    @classmethod
    def build(cls, dialplan: Dialplan, sounds_dir: Path) -> PromptBook:
        resolved: dict[str, Audio] = {}
        for name, prompt in dialplan.prompts.items():
            file: str | None = None
            if prompt.file is not None:
                candidate = Path(prompt.file)
                if not candidate.is_absolute():
                    candidate = sounds_dir / candidate
                if candidate.is_file():
                    file = str(candidate)
            resolved[name] = Audio(label=name, file=file, text=prompt.text)
        return cls(resolved)

    def __getitem__(self, name: str) -> Audio:
        return self.audio[name]
