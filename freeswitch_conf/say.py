"""The `languages` section FreeSWITCH's `say` application needs (1.10 and 1.11).

switch_ivr_say (src/switch_ivr_play_say.c) finds its language with switch_xml_locate_language
(src/switch_xml.c): the `<section name="languages">` of the XML registry, its child
`<language name="...">` (the name compared without case), and inside that `<phrases><macros>`;
without both it logs "Can't find phrases tag." / "Can't find macros tag." and says nothing. Only
when there is no languages section does it try the older `phrases` section, and with neither it
logs "Open of languages and phrases failed.".

From the language it reads `say-module`, the say interface to call ("en" is the name mod_say_en
registers), and `sound-prefix`, which becomes the channel's `sound_prefix` while the value is said,
so the module's relative files (digits/1.wav, time/..., currency/...) are found under it. The prefix
is used exactly as written, never expanded at run time, so it is an absolute path.

Without those sounds (no en-us-callie pack installed) `say` still runs and completes, but every file
it plays fails to open (mod_sndfile "Error Opening File", mod_dptools "Can't open file
.../digits/2.wav", seen on 1.10.12 and 1.11.2): the caller hears silence where the value should be.
So `say_by` decides, when the conf is rendered on the switch's host, how values are read: "say" with
the sounds, "tts" by text-to-speech of the value written out (esl_handlers/say_args.spoken_text), or
"auto": "say" when `<sound-prefix>/digits` exists, else "tts" when there is a TTS engine. The choice
reaches the application as the channel variable `cc_say_by`, set by the DIDs' dialplan.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

SayBy = Literal["auto", "say", "tts"]

# What `say en ...` asks for (esl_handlers/say_args.py) and what mod_say_en answers to.
SAY_LANGUAGE = "en"
SAY_MODULE = "en"
SAY_MODULE_LIBRARY = "mod_say_en"
LANGUAGES_SECTION = "languages"
# Where FreeSWITCH's Debian packages (--with-soundsdir) put the freeswitch-sounds-en-us-callie files.
PACKAGED_SOUNDS_DIR = Path("/usr/share/freeswitch/sounds")
DEFAULT_SAY_SOUND_PREFIX = PACKAGED_SOUNDS_DIR / "en" / "us" / "callie"


SAY_BY_CHOICES: tuple[SayBy, ...] = ("auto", "say", "tts")
# The channel variable the DIDs' dialplan sets to the resolved choice ("say" or "tts").
SAY_BY_VARIABLE = "cc_say_by"


def say_by_setting(text: str) -> SayBy:
    """CALLCENTER_SAY_BY as a choice; ValueError naming the choices for anything else."""
    for choice in SAY_BY_CHOICES:
        if text == choice:
            return choice
    raise ValueError(f"CALLCENTER_SAY_BY must be one of {', '.join(SAY_BY_CHOICES)}, got {text[:20]!r}")


def say_sounds_present(sound_prefix: Path) -> bool:
    """Whether mod_say_en's files are there: the packs keep digits/ (digits/8000/1.wav...) there."""
    return (sound_prefix / "digits").is_dir()


def resolve_say_by(say_by: SayBy, sound_prefix: Path, tts_engine: str | None) -> Literal["say", "tts"]:
    """How values are read on this switch (module docstring); "tts" without an engine stays "say"."""
    if say_by == "auto":
        return "tts" if tts_engine and not say_sounds_present(sound_prefix) else "say"
    if say_by == "tts" and not tts_engine:
        return "say"
    return say_by


@dataclass(frozen=True)
class SayLanguage:
    """One `<language>` element of the languages section."""

    name: str
    say_module: str
    sound_prefix: Path
    tts_engine: str | None = None
    """For phrase macros' speak-text actions; `say` itself never uses it."""
    tts_voice: str | None = None

    @property
    def file_name(self) -> str:
        return f"lang/{self.name}.xml"


def say_languages(sound_prefix: Path, tts_engine: str | None, tts_voice: str) -> tuple[SayLanguage, ...]:
    """The languages to render: English, read by mod_say_en from the en-us-callie sounds."""
    voice = tts_voice if tts_engine else None
    return (SayLanguage(SAY_LANGUAGE, SAY_MODULE, sound_prefix, tts_engine, voice),)
