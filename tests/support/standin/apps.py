"""The dialplan applications the stand-in runs, with the events and variables FreeSWITCH gives.

Sources (FreeSWITCH src/): mod_dptools.c (playback's FILE PLAYED / FILE NOT FOUND / PLAYBACK
ERROR, bridge), switch_ivr_play_say.c (switch_ivr_read, switch_play_and_get_digits),
switch_ivr_originate.c (originate_disposition, DIALSTATUS), switch_channel.c
(switch_channel_handle_cause: a failed bridge hangs the caller up unless continue_on_fail, except
for NO_ANSWER, NO_USER_RESPONSE and ORIGINATOR_CANCEL), switch_core_session.c (an unknown
application hangs the channel up with DESTINATION_OUT_OF_ORDER, without CHANNEL_EXECUTE).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Final

from tests.support.standin.script import Collected, Execution, Said
from tests.support.standin.wire import separate_string

if TYPE_CHECKING:
    from tests.support.standin.call import ScriptedCall

FAILED_BRIDGE_CAUSES: Final = {"no_answer": "NO_ANSWER", "busy": "USER_BUSY", "failed": "USER_NOT_REGISTERED"}
DIALSTATUS: Final = {
    "ORIGINATOR_CANCEL": "CANCEL",
    "USER_BUSY": "BUSY",
    "NO_ANSWER": "NOANSWER",
    "DESTINATION_OUT_OF_ORDER": "INVALIDARGS",
    "INVALID_PROFILE": "INVALIDARGS",
    "CALL_REJECTED": "DONTCALL",
}
ALWAYS_CONTINUE: Final = frozenset({"NO_ANSWER", "NO_USER_RESPONSE", "ORIGINATOR_CANCEL"})
# Left on the caller's channel by a bridge that happened; absent after one that failed.
BRIDGE_VARS: Final = frozenset(
    {
        "originated_legs",
        "switch_m_sdp",
        "originate_causes",
        "bridge_to",
        "last_bridge_to",
        "bridge_channel",
        "bridge_uuid",
        "signal_bond",
        "last_sent_callee_id_name",
        "last_sent_callee_id_number",
        "sip_term_status",
        "proto_specific_hangup_cause",
        "sip_term_cause",
        "last_bridge_role",
        "sip_hangup_disposition",
        "bridge_hangup_cause",
    }
)
OTHER_LEG: Final = ("Other-Leg-", "Other-Type")
# Music that never ends by itself (mod_local_stream): played until a uuid_break or a key.
ENDLESS_MEDIA: Final = "local_stream://"
# mod_tone_stream: a tone spec with loops=-1 repeats for ever, like a stream.
TONE_STREAM: Final = "tone_stream://"
ENDLESS_TONE: Final = ";loops=-1"


def unknown_local_stream(arg: str, streams: frozenset[str]) -> bool:
    """mod_local_stream's local_stream_file_open: the source named by the path (its "<name>/<rate>"
    variant first), else 'default'; none running means "Unknown source" and the open fails, so
    switch_ivr_play_file returns NOTFOUND at once (no PLAYBACK_START) and playback answers
    FILE NOT FOUND. A stream whose directory is missing stops at load and is never running."""
    if not arg.startswith(ENDLESS_MEDIA):
        return False
    name = arg.removeprefix(ENDLESS_MEDIA)
    return not ({name, name.split("/", 1)[0], "default"} & streams)


def _true(value: str | None) -> bool:
    return (value or "").lower() in ("true", "yes", "on", "1", "enabled", "active", "allow")


class AppRunner:
    def __init__(self, call: ScriptedCall) -> None:
        self.call = call
        self._collects = 0
        self._bridges = 0
        self._holds = 0
        self._prompts = 0
        self._handlers: dict[str, Callable[[Execution, str, int], None]] = {
            "answer": self._answer,
            "pre_answer": self._simple,
            # switch_ivr_park refuses a channel the socket app already controls ("Cannot park
            # channels that are under control already"): EXECUTE, then COMPLETE at once (both
            # releases, tests/transcripts/*/park_hold_outbound.jsonl).
            "park": self._simple,
            "playback": self._playback,
            "speak": self._speak,
            "say": self._say,
            "sleep": self._sleep,
            "play_and_get_digits": self._play_and_get_digits,
            "set": self._set,
            "export": self._set,
            "unset": self._unset,
            "record_session": self._record_session,
            "stop_record_session": self._stop_record_session,
            "transfer": self._transfer,
            "bridge": self._bridge,
            "hangup": self._hangup,
            "voicemail": self._voicemail,
        }

    def run(self, execution: Execution, index: int) -> None:
        call = self.call
        handler = self._handlers.get(execution.app)
        if handler is None:
            call.hangup("DESTINATION_OUT_OF_ORDER", by="switch")
            return
        arg = call.expand(execution.arg) if execution.arg else ""
        call.last_response = None
        call.current_app = (execution.app, arg or None)
        call.emitter.emit(f"CHANNEL_EXECUTE:{execution.app}", app_headers=self._headers(execution, arg, None))
        call.media.clear_break()
        handler(execution, arg, index)

    def complete(
        self,
        execution: Execution,
        arg: str,
        *,
        drop_vars: frozenset[str] = frozenset(),
        drop_prefixes: tuple[str, ...] = (),
    ) -> None:
        response = self.call.last_response or "_none_"
        self.call.emitter.emit(
            f"CHANNEL_EXECUTE_COMPLETE:{execution.app}",
            app_headers=self._headers(execution, arg, response),
            drop_vars=drop_vars,
            drop_prefixes=drop_prefixes,
        )

    @staticmethod
    def _headers(execution: Execution, arg: str, response: str | None) -> list[tuple[str, str]]:
        headers = [("Application", execution.app)]
        if arg:
            headers.append(("Application-Data", arg))
        if response is not None:
            headers.append(("Application-Response", response))
        if execution.event_uuid:
            headers.append(("Application-UUID", execution.event_uuid))
        return headers

    # -- applications ----------------------------------------------------------------------------

    def _simple(self, execution: Execution, arg: str, index: int) -> None:
        self.call.scripted_hangup_point(index)
        self.complete(execution, arg)

    def _answer(self, execution: Execution, arg: str, index: int) -> None:
        call = self.call
        if not call.scripted_hangup_point(index) and not call.answered:
            call.answered = True
            call.emitter.emit("CHANNEL_ANSWER")
        self.complete(execution, arg)

    def _playback(self, execution: Execution, arg: str, index: int) -> None:
        call = self.call
        call.set_var("playback_terminator_used", "")  # playback_function clears it first
        if call.scripted_hangup_point(index):
            outcome = "hangup"
        elif unknown_local_stream(arg, call.script.local_streams):
            call.last_response = "FILE NOT FOUND"
            self.complete(execution, arg)
            return
        elif arg.startswith(ENDLESS_MEDIA) or (arg.startswith(TONE_STREAM) and arg.endswith(ENDLESS_TONE)):
            script = call.script
            keys = script.hold_keys[self._holds] if self._holds < len(script.hold_keys) else ""
            self._holds += 1
            outcome = call.media.play(None, keys, script.hold_key_after)
        else:
            outcome = call.media.play(call.script.media_seconds, self._prompt_keys())
        if outcome not in ("hangup", "redirect"):
            call.recorder.prompt()
        if outcome == "redirect" or (outcome == "hangup" and not call.hangup_parsed_by_app):
            call.last_response = "PLAYBACK ERROR"  # switch_ivr_play_file: channel not ready
        elif arg in call.script.missing_files:
            call.last_response = "FILE NOT FOUND"
        else:
            call.last_response = "FILE PLAYED"  # a broken or terminated playback too
        self.complete(execution, arg)

    def _speak(self, execution: Execution, arg: str, index: int) -> None:
        """speak_function clears playback_terminator_used and speaks with mod_dptools on_dtmf, as playback.
        (`sleep` has no such callback: keys pressed during it stay queued.)"""
        call = self.call
        keys = ""
        if execution.app == "speak":
            call.set_var("playback_terminator_used", "")
            keys = self._prompt_keys()
        if (
            not call.scripted_hangup_point(index)
            and call.media.play(call.script.media_seconds, keys) != "hangup"
        ):
            call.recorder.prompt()
        self.complete(execution, arg)

    def _prompt_keys(self) -> str:
        """The keys pressed during this playback, speak or say of a prompt (CallScript.prompt_keys)."""
        keys = self.call.script.prompt_keys
        pressed = keys[self._prompts] if self._prompts < len(keys) else ""
        self._prompts += 1
        return pressed

    def _say(self, execution: Execution, arg: str, index: int) -> None:
        """mod_dptools say_function: 4 or 5 tokens (`<module>[:<lang>] <type> <method> [gender] <text>`),
        else it logs its usage and returns; it clears playback_terminator_used and plays like playback."""
        call = self.call
        call.set_var("playback_terminator_used", "")
        argv = separate_string(arg, limit=5)
        understood = len(argv) in (4, 5) and all(argv)
        if understood:
            call.said.append(Said(argv[0], argv[1], argv[2], argv[3] if len(argv) == 5 else None, argv[-1]))
        if not call.scripted_hangup_point(index) and understood:
            call.media.play(call.script.media_seconds, self._prompt_keys())
            call.recorder.prompt()
        self.complete(execution, arg)

    def _set(self, execution: Execution, arg: str, index: int) -> None:
        call = self.call
        if not call.scripted_hangup_point(index) and "=" in arg:
            name, value = arg.split("=", 1)
            call.set_var(name.removeprefix("nolocal:"), value)
        self.complete(execution, arg)

    def _unset(self, execution: Execution, arg: str, index: int) -> None:
        if not self.call.scripted_hangup_point(index):
            self.call.set_var(arg, None)
        self.complete(execution, arg)

    def _record_session(self, execution: Execution, arg: str, index: int) -> None:
        """record_session_function: a trailing " +<seconds>" is a time limit (not modelled)."""
        if not self.call.scripted_hangup_point(index):
            self.call.recordings.append(arg)
            path = re.sub(r" \+[0-9]+$", "", arg).strip()
            self.call.recorder.start(path)
        self.complete(execution, arg)

    def _stop_record_session(self, execution: Execution, arg: str, index: int) -> None:
        call = self.call
        if not call.scripted_hangup_point(index):
            for path in call.recorder.active if arg.lower() == "all" else [arg]:
                call.recorder.stop(path)
        self.complete(execution, arg)

    def _sleep(self, execution: Execution, arg: str, index: int) -> None:
        """mod_dptools sleep_function: switch_ivr_sleep for <ms>; CF_BREAK or a key ends it early
        (without sleep_eat_digits the key stays queued for the next application; not modelled here)."""
        call = self.call
        if not call.scripted_hangup_point(index):
            call.media.play(int(arg or "0") / 1000)
        self.complete(execution, arg)

    def _hangup(self, execution: Execution, arg: str, index: int) -> None:
        self.call.hangup(arg or "NORMAL_CLEARING", by="application")
        self.complete(execution, arg)

    def _voicemail(self, execution: Execution, arg: str, index: int) -> None:
        """mod_voicemail's leave (voicemail_leave_main): the caller records, then hangs up. The
        recording stops on the hang-up, the message is delivered, and only then does the application
        return, so CHANNEL_HANGUP comes before its CHANNEL_EXECUTE_COMPLETE."""
        call = self.call
        if not call.scripted_hangup_point(index):
            call.media.wait(call.script.media_seconds)  # the message
            call.caller_hangup()
        self.complete(execution, arg)

    def _transfer(self, execution: Execution, arg: str, index: int) -> None:
        call = self.call
        if call.scripted_hangup_point(index):
            self.complete(execution, arg)
            return
        argv = separate_string(arg)
        target = (argv[0], argv[1] if len(argv) > 1 else "XML", argv[2] if len(argv) > 2 else "default")
        self.complete(execution, arg)
        # The transfer ends the socket app's park: the channel leaves for the new extension.
        call.transferred_to = target
        call.emitter.emit("CHANNEL_UNPARK")
        call.emitter.emit_socket_complete()

    def _play_and_get_digits(self, execution: Execution, arg: str, index: int) -> None:
        call = self.call
        argv = separate_string(arg) + [""] * 11
        minimum = max(0, int(argv[0] or 0))
        maximum = max(minimum, int(argv[1] or 0))
        timeout_ms = max(1000, int(argv[3] or 0))
        terminators = argv[4] or "#"
        prompt, variable, regex = argv[5], argv[7], argv[8]
        # switch_ivr_read: the result and the variable are cleared before anything is read.
        call.set_var("read_result", None)
        if variable:
            call.set_var(variable, None)
            if regex:
                call.set_var(f"{variable}_invalid", None)
        if call.scripted_hangup_point(index) or call.media.wait(call.script.media_seconds):
            self.complete(execution, arg)
            return
        scripted = call.script.keys[self._collects] if self._collects < len(call.script.keys) else ""
        self._collects += 1
        # Keys already queued (pressed after a prompt's terminator) are read first, without new events.
        queued, call.dtmf_queue = call.dtmf_queue, ""
        keys = queued + scripted
        call.recorder.prompt()
        for position, key in enumerate(keys):
            if position >= len(queued):
                call.emitter.emit("DTMF", overrides={"DTMF-Digit": key})
            call.recorder.key(key)
        if not keys and call.script.realtime_collect and call.media.wait(timeout_ms / 1000):
            self.complete(execution, arg)
            return
        # switch_play_and_get_digits: up to max_tries reads (argv[2]); a read whose digits the regex
        # refuses leaves them in <variable>_invalid and the next read takes the keys that follow.
        tries = max(1, int(argv[2] or 1))
        left = keys
        for _ in range(tries):
            call.set_var("read_result", None)
            digits, terminator, used = "", None, 0
            for key in left:
                used += 1
                if key in terminators:
                    terminator = key
                    break
                digits += key
                if len(digits) >= maximum:
                    break
            left = left[used:]
            if terminator is not None:
                call.set_var("read_terminator_used", terminator)
            if len(digits) < max(minimum, 1):
                result = "failure"
            elif terminator is not None or len(digits) >= maximum:
                result = "success"
            else:
                result = "timeout"  # inter-digit timeout with enough digits: accepted
            call.set_var("read_result", result)
            if digits and variable:
                call.set_var(variable, digits)
                if regex and not re.search(regex, digits):
                    call.set_var(variable, None)
                    call.set_var(f"{variable}_invalid", digits)
                    continue
            if digits and len(digits) >= minimum:
                break
        kept = call.get_var(variable) if variable else None
        call.collected.append(Collected(prompt, keys, kept, variable, result))
        self.complete(execution, arg)

    def _bridge(self, execution: Execution, arg: str, index: int) -> None:
        call = self.call
        outcomes = call.script.bridges
        outcome = outcomes[self._bridges] if self._bridges < len(outcomes) else "answered"
        self._bridges += 1
        if outcome == "answered":
            self._bridge_answered(execution, arg, index)
            return
        if call.scripted_hangup_point(index) or call.media.wait(call.script.media_seconds):
            cause = "ORIGINATOR_CANCEL"
        else:
            cause = FAILED_BRIDGE_CAUSES[outcome]
        call.set_var("originate_disposition", cause)
        call.set_var("DIALSTATUS", DIALSTATUS.get(cause, cause))
        if (
            call.hangup_cause is None
            and not _true(call.get_var("continue_on_fail"))
            and cause not in ALWAYS_CONTINUE
        ):
            call.hangup(cause, by="switch")
        self.complete(execution, arg, drop_vars=BRIDGE_VARS, drop_prefixes=OTHER_LEG)

    def _bridge_answered(self, execution: Execution, arg: str, index: int) -> None:
        call = self.call
        call.set_var("originate_disposition", "SUCCESS")
        call.set_var("DIALSTATUS", "SUCCESS")
        call.bridged = True
        call.emitter.emit("CHANNEL_BRIDGE")
        caller_left = call.scripted_hangup_point(index) or call.media.wait(call.script.talk_seconds)
        call.set_var("bridge_hangup_cause", call.hangup_cause if caller_left else "NORMAL_CLEARING")
        call.emitter.emit("CHANNEL_UNBRIDGE")
        call.bridged = False
        if not caller_left and _true(call.get_var("hangup_after_bridge")):
            call.hangup("NORMAL_CLEARING", by="switch")
        self.complete(execution, arg)
