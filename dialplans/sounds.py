"""Where a dialplan's audio files live, and which of them are missing."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path, PurePath

from dialplans.errors import Finding
from dialplans.models import Dialplan

# What FreeSWITCH reads back unchanged as a sound path in each place it gets one: vars.xml's
# `sound_prefix` (the pre-processor's `set` takes the raw text up to the next `"` and expands
# `$${…}`), the fallback's `playback` data (expanded at run time: `${…}`), and `playback` over ESL.
# None of them splits a file name on spaces, so a space is fine.
_SOUND_PATH_CHARACTER = re.compile(r"[A-Za-z0-9 _.,:/@+=-]")
_WHY = {
    "$": "FreeSWITCH expands $${…} and ${…} in it",
    '"': "it would end the XML attribute FreeSWITCH reads it from",
}


def resolve_sounds_dir(dialplan_file: Path, sounds_dir: str) -> Path:
    """`sounds_dir` as an absolute path: relative ones start at the YAML file's folder."""
    folder = Path(sounds_dir)
    if not folder.is_absolute():
        folder = dialplan_file.parent / folder
    return folder.resolve()


def audio_path(sounds_dir: Path, file: str) -> Path:
    path = Path(file)
    return path if path.is_absolute() else sounds_dir / path


def sound_path_findings(plan: Dialplan, sounds_dir: Path) -> Iterator[Finding]:
    """The sounds folder, and each prompt's file in it, as text FreeSWITCH can be given as is."""
    problem = _sound_path_problem(str(sounds_dir))
    if problem is not None:
        yield Finding(("sounds_dir",), f"the sounds folder {str(sounds_dir)!r} {problem}")
        return
    for name, prompt in plan.prompts.items():
        if prompt.file is not None:
            problem = _sound_path_problem(str(audio_path(sounds_dir, prompt.file)))
            if problem is not None:
                yield Finding(("prompts", name, "file"), f"the audio file {prompt.file!r} {problem}")


def _sound_path_problem(text: str) -> str | None:
    for character in text:
        if not _SOUND_PATH_CHARACTER.fullmatch(character):
            why = _WHY.get(character, "FreeSWITCH cannot be given it safely")
            return (
                f"holds {character!r}: {why}; a sound path may hold ASCII letters, digits, "
                "spaces and _ . , : / @ + = -"
            )
    if text.endswith(" "):
        return "ends with a space, which nobody would see in the rendered files"
    return None


def audio_findings(plan: Dialplan, sounds_dir: Path) -> Iterator[Finding]:
    """A missing recording is a warning when TTS can speak the text instead, an error when it cannot."""
    for name, prompt in plan.prompts.items():
        if prompt.file is None:
            if prompt.text is None:
                yield Finding(("prompts", name), "a prompt needs a file to play, a text to speak, or both")
            continue
        if audio_path(sounds_dir, prompt.file).is_file():
            continue
        # Name the file as the engineer wrote it, not as this machine resolved it.
        shown = (
            PurePath(prompt.file)
            if PurePath(prompt.file).is_absolute()
            else PurePath(plan.sounds_dir, prompt.file)
        )
        if prompt.text is not None:
            yield Finding(
                ("prompts", name, "file"),
                f"audio file {str(shown)!r} not found; callers will hear its text by TTS",
                "warning",
            )
        else:
            yield Finding(
                ("prompts", name, "file"),
                f"audio file {str(shown)!r} not found, and the prompt has no text to speak",
            )
