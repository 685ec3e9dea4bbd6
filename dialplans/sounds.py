"""Where a dialplan's audio files live, and which of them are missing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path, PurePath

from dialplans.errors import Finding
from dialplans.models import Dialplan


def resolve_sounds_dir(dialplan_file: Path, sounds_dir: str) -> Path:
    """`sounds_dir` as an absolute path: relative ones start at the YAML file's folder."""
    folder = Path(sounds_dir)
    if not folder.is_absolute():
        folder = dialplan_file.parent / folder
    return folder.resolve()


def audio_path(sounds_dir: Path, file: str) -> Path:
    path = Path(file)
    return path if path.is_absolute() else sounds_dir / path


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
