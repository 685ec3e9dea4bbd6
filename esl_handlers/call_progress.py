"""Listening to a campaign call's first seconds in the switch, and reading back what it heard.

The dialer originates with `listening_steps(settings, then)` as the inline dialplan the leg runs once
answered, so the switch decides on its own with no round trip to this server (checked against the
FreeSWITCH source, src/switch_ivr_play_say.c, src/switch_ivr_async.c, mod_avmd.c):

- `avmd_start` puts mod_avmd's beep detector on the leg for the rest of the call; a beep sets the
  channel variable avmd_detect=TRUE and fires the CUSTOM event avmd::beep (with its Frequency).
- `tone_detect cc_fax 2100 r +<s>` listens for a fax's answer tone (CED, 2100 Hz) for <s> seconds (its
  timeout is in seconds); a hit sets tone_detect_cc_fax_total_time.
- `wait_for_silence <thresh> <silence_hits> <listen_hits> <timeout_ms>` reads 20 ms frames: a frame
  whose mean absolute sample is >= thresh is sound (wait_for_silence_listenhits counts them); once
  more than listen_hits were sound, silence_hits quiet frames in a row end it, 25 frames (500 ms) later;
  wait_for_silence_timeout is "true" when timeout_ms passed first, else "false".
- then `then` (the socket to this server, or park) runs with the answer known.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final

from esl_handlers import app_args
from esl_handlers.after_answer import AfterAnswer, inline
from ivr_scripts.campaigns.call_progress import FRAME_MS, DetectionSettings, Heard

FAX_TONE_KEY: Final = "cc_fax"
FAX_TONE_HZ: Final = 2100
# wait_for_silence's own delay after the silence it looks for (its `countdown = 25` frames).
SILENCE_COUNTDOWN_MS: Final = 25 * FRAME_MS
MACHINE_MESSAGE_WAIT_MS: Final = 30_000


def originate_timeout(ring_seconds: int) -> int:
    """originate's timeout for a callee who must ring at least `ring_seconds`: one more. The switch
    compares whole seconds of its cached clock (switch_ivr_originate: `elapsed > timelimit_sec` with
    switch_epoch_time_now), and a 15 s timeout was seen to end 14.6 s after the originate was sent."""
    return ring_seconds + 1


def listening_steps(settings: DetectionSettings, then: Sequence[tuple[str, str]]) -> AfterAnswer:
    """The inline dialplan: start the beep and fax detectors, wait for the greeting to end, then `then`."""
    fax_seconds = -(-settings.decision_ms // 1000) + 1
    wait = (
        f"{settings.energy_threshold} {settings.silence_after_ms // FRAME_MS} "
        f"{settings.speech_start_ms // FRAME_MS} {settings.decision_ms}"
    )
    return inline(
        [
            ("avmd_start", ""),
            ("tone_detect", f"{FAX_TONE_KEY} {FAX_TONE_HZ} r +{fax_seconds}"),
            ("wait_for_silence", wait),
            *then,
        ]
    )


def message_steps(audio: str) -> AfterAnswer:
    """Play `audio` (an absolute file path) to the end, then hang up: a dropped call's identification."""
    return inline([("playback", app_args.recording_path(audio)), ("hangup", "NORMAL_CLEARING")])


def machine_message_steps(audio: str, settings: DetectionSettings) -> AfterAnswer:
    """Leave `audio` on an answering machine: wait until `silence_after_ms` of unbroken quiet (its greeting
    and beep over; wait_for_silence with listen_hits 0 counts quiet from the start), then play and hang up.
    A machine still talking after 30 s gets the message anyway."""
    wait = f"{settings.energy_threshold} {settings.silence_after_ms // FRAME_MS} 0 {MACHINE_MESSAGE_WAIT_MS}"
    return inline(
        [
            ("wait_for_silence", wait),
            ("playback", app_args.recording_path(audio)),
            ("hangup", "NORMAL_CLEARING"),
        ]
    )


def heard_from(variables: Mapping[str, str]) -> Heard | None:
    """What the switch heard, from the leg's channel variables (an event's `variable_*` headers with the
    prefix removed, or uuid_getvar answers); None while wait_for_silence has not finished."""
    timed_out = variables.get("wait_for_silence_timeout")
    if timed_out not in ("true", "false"):
        return None
    try:
        frames = int(variables.get("wait_for_silence_listenhits", "0"))
    except ValueError:
        frames = 0
    return Heard(
        speech_ms=max(0, frames) * FRAME_MS,
        timed_out=timed_out == "true",
        beep=variables.get("avmd_detect", "").upper() == "TRUE",
        fax_tone=bool(variables.get(f"tone_detect_{FAX_TONE_KEY}_total_time")),
    )


def event_variables(headers: Mapping[str, str]) -> dict[str, str]:
    """The channel variables an event carries (`variable_x: v` -> `x: v`)."""
    return {name[9:]: value for name, value in headers.items() if name.startswith("variable_")}
