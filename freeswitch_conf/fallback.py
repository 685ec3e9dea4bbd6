"""The fallbacks as FreeSWITCH dialplan: what a DID's caller gets when the application server is down.

Each DID's extension (dialplan/public.xml) runs `socket`, then `transfer <route> XML cc_fallback`:
when the socket application cannot connect, or the application server goes away mid-call, the
transfer runs (see the comment in public.xml). Context `cc_fallback` holds one extension per
fallback, written only with applications of FreeSWITCH itself:

- `bridge user/A@domain,user/B@domain` rings the listed agents' registered phones at once
  (a comma-separated dial string: switch_ivr_originate rings every leg and keeps the first that
  answers) for `ring_timeout` seconds (`call_timeout`); `continue_on_fail` goes on to the end when
  nobody answers, is registered or free, `hangup_after_bridge` ends the call after a conversation;
- then the greeting and `voicemail default <domain> <box>` (mod_voicemail; the box is a directory
  user, see freeswitch_conf.voicemail; VOICEMAIL_SKIPS below says why its own prompts are skipped),
  or the message (`playback` of its file when the file exists at render time, else of the file
  render synthesized from its text, else the text by `speak` with the TTS engine) and `hangup <cause>`.

A DID with no fallback at all (none of its own and no top-level one) is hung up with
NORMAL_TEMPORARY_FAILURE (SIP 503), so a carrier may route the call elsewhere.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from dialplans.fallback_models import (
    DEFAULT_FALLBACK_CAUSE,
    FallbackHangup,
    FallbackVoicemail,
    ServerDownFallback,
)
from dialplans.models import Dialplan, Prompt
from dialplans.prompt_audio import find_prompt_audio, synthesis_voices
from dialplans.sounds import audio_path
from dialplans.vocabulary import NORMAL_CLEARING
from freeswitch_conf.escaping import Built, RenderError, dialable, number_regex, runtime_safe
from freeswitch_conf.settings import SwitchSettings
from freeswitch_conf.voicemail import VOICEMAIL_PROFILE, mailbox_name

# The extension of the top-level fallback (DIDs with their own use their number): never a number.
TOP_LEVEL: Final = "main"
_CAUSE: Final = re.compile(r"^[A-Z][A-Z0-9_]{0,63}$")
# What `speak` may receive: no '$' or '\\' (run-time expansion), no '|' (speak's separator), no quotes
# (switch_separate_string), no braces.
_UNSPEAKABLE: Final = re.compile(r"[^\w .,;:?!%&()/+=-]")
_SPACES: Final = re.compile(r"\s+")
# mod_voicemail (voicemail_leave_main, create_file) speaks its greeting, instructions, "press 1 to
# listen, 2 to save", "marked urgent" and goodbye with phrase macros (lang/en/vm/sounds.xml of
# FreeSWITCH's sample conf) that this conf does not carry: a missing greeting macro ends the
# application before it records anything. These channel variables skip each of them, so the caller
# hears the built-in greeting, the profile's tone, and is recorded until hanging up, '#' or silence.
VOICEMAIL_SKIPS: Final = (
    "skip_greeting",
    "skip_instructions",
    "skip_record_check",
    "skip_record_urgent_check",
    "voicemail_skip_goodbye",
)


@dataclass(frozen=True)
class FallbackAction:
    """One dialplan action; `data` is already checked for run-time expansion."""

    application: str
    data: str


@dataclass(frozen=True)
class FallbackRoute:
    """One extension of context cc_fallback: `extension` is what a DID transfers to."""

    extension: str
    regex: Built
    label: str
    actions: tuple[FallbackAction, ...]


def fallback_extension(dialplan: Dialplan, did: str) -> str:
    """Where DID `did` sends its callers when the application server is down."""
    return dialable(did) if dialplan.dids[did].fallback is not None else TOP_LEVEL


def fallback_routes(dialplan: Dialplan, settings: SwitchSettings, sounds_dir: Path) -> list[FallbackRoute]:
    """The top-level fallback (or the plain hang-up standing in for it) and every DID's own."""
    routes: list[FallbackRoute] = []
    if any(did.fallback is None for did in dialplan.dids.values()):
        actions = (
            _steps(dialplan, dialplan.fallback, settings, sounds_dir)
            if dialplan.fallback is not None
            else (FallbackAction("hangup", DEFAULT_FALLBACK_CAUSE),)
        )
        routes.append(FallbackRoute(TOP_LEVEL, Built(f"^{TOP_LEVEL}$"), "top-level fallback", actions))
    for number, did in sorted(dialplan.dids.items()):
        if did.fallback is not None:
            actions = _steps(dialplan, did.fallback, settings, sounds_dir)
            routes.append(
                FallbackRoute(dialable(number), number_regex(number), f"fallback of {did.name}", actions)
            )
    return routes


def _steps(
    dialplan: Dialplan, fallback: ServerDownFallback, settings: SwitchSettings, sounds_dir: Path
) -> tuple[FallbackAction, ...]:
    actions: list[FallbackAction] = []
    if fallback.ring:
        actions += [
            FallbackAction("set", f"call_timeout={int(fallback.ring_timeout)}"),
            FallbackAction("set", "continue_on_fail=true"),
            FallbackAction("set", "hangup_after_bridge=true"),
            FallbackAction("bridge", _dial_string(dialplan, fallback.ring, settings.domain)),
        ]
    end = fallback.then
    if isinstance(end, FallbackVoicemail):
        box = mailbox_name(end.voicemail, "the fallback")
        actions.append(FallbackAction("answer", ""))
        if end.greeting is not None:
            actions.append(_play(_prompt(dialplan, end.greeting), settings, sounds_dir))
        actions += [FallbackAction("set", f"{name}=true") for name in VOICEMAIL_SKIPS]
        actions += [
            FallbackAction("voicemail", runtime_safe(f"{VOICEMAIL_PROFILE} {settings.domain} {box}")),
            FallbackAction("hangup", NORMAL_CLEARING),
        ]
    elif isinstance(end, FallbackHangup):
        spec = end.hangup
        if spec.prompt is not None:
            actions.append(FallbackAction("answer", ""))
            actions.append(_play(_prompt(dialplan, spec.prompt), settings, sounds_dir))
        if not _CAUSE.match(spec.cause):
            raise RenderError(f"fallback: {spec.cause!r} is not a hangup cause")
        actions.append(FallbackAction("hangup", spec.cause))
    return tuple(actions)


def _prompt(dialplan: Dialplan, name: str) -> Prompt:
    prompt = dialplan.prompts.get(name)
    if prompt is None:
        raise RenderError(f"fallback: unknown prompt {name!r}")
    return prompt


def _dial_string(dialplan: Dialplan, agents: list[str], domain: str) -> str:
    legs = []
    for agent_id in agents:
        agent = dialplan.agents.get(agent_id)
        if agent is None:
            raise RenderError(f"fallback: unknown agent {agent_id!r}")
        legs.append(f"user/{dialable(agent.extension or agent_id)}@{domain}")
    return runtime_safe(",".join(legs))


def _play(prompt: Prompt, settings: SwitchSettings, sounds_dir: Path) -> FallbackAction:
    """The prompt's recording if it exists now, else the file `callcenter render` synthesized from its
    text (settings.prompt_dir), else the text by TTS (mod_flite `speak`, ~250 ms of FreeSWITCH's CPU
    a call: too dear at the moment every call lands here because the application server is down).
    """
    if prompt.file is not None:
        path = audio_path(sounds_dir, prompt.file)
        if path.is_file() or prompt.text is None or settings.tts_engine is None:
            return FallbackAction("playback", runtime_safe(str(path)))
    if prompt.text is not None and settings.prompt_dir is not None:
        synthesized = find_prompt_audio(
            settings.prompt_dir, synthesis_voices(settings.tts_voice), prompt.text
        )
        if synthesized is not None:
            return FallbackAction("playback", runtime_safe(str(synthesized)))
    if prompt.text is None or settings.tts_engine is None:
        raise RenderError("fallback: a message prompt needs a file, or a text and a TTS engine")
    return FallbackAction("speak", f"{settings.tts_engine}|{settings.tts_voice}|{spoken(prompt.text)}")


def spoken(text: str) -> str:
    """TTS text safe in dialplan data: expansion, speak's '|' and quoting characters become spaces."""
    folded = _SPACES.sub(" ", _UNSPEAKABLE.sub(" ", text)).strip()
    if not folded:
        raise RenderError(f"nothing left to speak of {text[:60]!r}")
    return folded
