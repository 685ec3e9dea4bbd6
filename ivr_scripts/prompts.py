"""Prompt names from the dialplan resolved into `Audio` the channel can play.

A prompt's audio, in order: the engineer's recorded `file`; else the file `callcenter render`
synthesized from its `text` (dialplans.prompt_audio names it); else the text itself, which the
channel speaks by TTS (nothing rendered yet, or no synthesizer on the render machine).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from dialplans.models import Dialplan
from dialplans.prompt_audio import Voice, find_prompt_audio
from ivr_scripts.channel import Audio

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PromptAudio:
    """Where `callcenter render` put synthesized prompts, and the voices it may have used."""

    directory: Path
    voices: Sequence[Voice]


@dataclass(frozen=True, slots=True)
class PromptBook:
    """Every prompt of a dialplan, each with its audio file when it exists and its TTS text."""

    audio: dict[str, Audio]

    @classmethod
    def build(
        cls, dialplan: Dialplan, sounds_dir: Path, synthesized: PromptAudio | None = None
    ) -> PromptBook:
        resolved: dict[str, Audio] = {}
        spoken: list[str] = []
        for name, prompt in dialplan.prompts.items():
            file: str | None = None
            if prompt.file is not None:
                candidate = Path(prompt.file)
                if not candidate.is_absolute():
                    candidate = sounds_dir / candidate
                if candidate.is_file():
                    file = str(candidate)
            if file is None and prompt.text is not None and synthesized is not None:
                found = find_prompt_audio(synthesized.directory, synthesized.voices, prompt.text)
                if found is not None:
                    file = str(found)
                else:
                    spoken.append(name)
            resolved[name] = Audio(label=name, file=file, text=prompt.text)
        if spoken:
            log.warning(
                "%d prompt(s) have no synthesized audio in %s and will be spoken by TTS "
                "(run `callcenter render`): %s",
                len(spoken),
                synthesized.directory if synthesized is not None else "-",
                ", ".join(spoken),
            )
        return cls(resolved)

    def __getitem__(self, name: str) -> Audio:
        return self.audio[name]
