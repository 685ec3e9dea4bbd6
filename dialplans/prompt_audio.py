"""Where a prompt's synthesized audio lives: one path function the renderer and the server share.

`callcenter render` synthesizes every prompt that has a text but no recorded file into
`<prompt dir>/<hash>.wav` (freeswitch_conf.prompt_audio); the application server finds the same
file with the same function and plays it. The hash covers the audio format, the synthesizer and
its voice and the text, so an unchanged prompt is found again and a changed one gets a new file.

It lives in dialplans/ because that is the one room both sides may import (freeswitch_conf and
ivr_scripts import dialplans only). No synthesis here: paths and the rule for valid directories.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

# Changing the output format (rate, channels, sample size, file type) must change every name.
AUDIO_FORMAT: Final = "wav/8000Hz/mono/s16le/v1"
SAMPLE_RATE: Final = 8000
SUFFIX: Final = ".wav"
# espeak-ng's voice when flite is missing (flite uses the configured tts_voice, as mod_flite does).
ESPEAK_VOICE: Final = "en-us"
# The directory goes into playback and play_and_get_digits arguments as is: absolute, and none of
# ' ' '$' '{' '!' ':' ',' quotes or backslashes, which FreeSWITCH would split, expand or parse.
_SAFE_DIR: Final = re.compile(r"^(/[A-Za-z0-9_.+@=%-]+)+/?$")


@dataclass(frozen=True, slots=True)
class Voice:
    """A synthesizer (the Debian binary's name) and one of its voices."""

    engine: str
    voice: str


# 96 bits name a prompt without collision in any dialplan; the path is sent to FreeSWITCH with every
# playback, and mod_event_socket reads commands one byte per recv() (docs/performance.md).
NAME_HEX_DIGITS: Final = 24


def synthesis_voices(tts_voice: str) -> tuple[Voice, ...]:
    """The voices the renderer tries, in its order: flite with mod_flite's voice, then espeak-ng."""
    return (Voice("flite", tts_voice), Voice("espeak-ng", ESPEAK_VOICE))


def prompt_audio_path(prompt_dir: Path, voice: Voice, text: str) -> Path:
    """`<prompt_dir>/<hash>.wav`: the first NAME_HEX_DIGITS of the sha256 of format, engine, voice, text."""
    key = json.dumps([AUDIO_FORMAT, voice.engine, voice.voice, text], ensure_ascii=False)
    return prompt_dir / (hashlib.sha256(key.encode("utf-8")).hexdigest()[:NAME_HEX_DIGITS] + SUFFIX)


def find_prompt_audio(prompt_dir: Path, voices: Sequence[Voice], text: str) -> Path | None:
    """The first synthesized file of `text` present, in the renderer's order of voices."""
    for voice in voices:
        path = prompt_audio_path(prompt_dir, voice, text)
        if path.is_file():
            return path
    return None


def check_prompt_dir(path: Path) -> Path:
    """`path` if FreeSWITCH can take it in an application argument as is; else ValueError."""
    if not _SAFE_DIR.match(str(path)):
        raise ValueError(
            "prompt_dir must be an absolute path of letters, digits and _ . + @ = % - "
            f"(it goes into FreeSWITCH application arguments), got {str(path)!r}"
        )
    return path
