"""The media of a stand-in call: playback the caller keys over, cut short by a hang-up, a uuid_break
(CF_BREAK) or a uuid_bridge, as switch_ivr_play_file checks them on every frame."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gevent.event import Event

if TYPE_CHECKING:
    from tests.support.standin.call import ScriptedCall


class CallMedia:
    """What plays on the call now, and the flags that stop it."""

    def __init__(self, call: ScriptedCall) -> None:
        self._call = call
        self.interrupt = Event()  # set by a hang-up or a uuid_bridge: media stops for good
        self.wake = Event()  # set by a hang-up, a uuid_break or a uuid_bridge
        self.break_flag = False  # CF_BREAK

    def wait(self, seconds: float) -> bool:
        """Let media play; True if the caller hung up meanwhile."""
        if self.interrupt.is_set():
            return True
        if seconds > 0:
            self.interrupt.wait(seconds)
        return bool(self.interrupt.is_set())

    def clear_break(self) -> None:
        """switch_core_session_exec clears CF_BREAK as an application starts."""
        self.break_flag = False
        if self._call.hangup_cause is None and not self._call.redirected:
            self.wake.clear()

    def play(self, seconds: float | None, keys: str = "", key_after: float = 0.0) -> str:
        """Play media for `seconds` (None: until broken) while the caller presses `keys`.

        Returns "hangup", "break" (uuid_break), "terminator" (a key in playback_terminators,
        left in playback_terminator_used) or "done". switch_ivr_play_file checks CF_BREAK and
        the DTMF input callback (mod_dptools on_dtmf) on every frame: every key is a DTMF event,
        a key that is no terminator is swallowed, and the keys pressed after a terminator stay in
        the channel's DTMF queue for whatever reads digits next.
        """
        if keys:
            before = self._wait(key_after)
            if before != "done":
                return before
            terminators = self._call.get_var("playback_terminators")
            if terminators is None:
                terminators = "*"
            elif terminators.lower() == "any":
                terminators = "1234567890*#"
            elif terminators.lower() == "none":
                terminators = ""
            for index, key in enumerate(keys):
                self._call.emitter.emit("DTMF", overrides={"DTMF-Digit": key})
                if key in terminators:
                    self._call.set_var("playback_terminator_used", key)
                    for later in keys[index + 1 :]:
                        self._call.emitter.emit("DTMF", overrides={"DTMF-Digit": later})
                        self._call.dtmf_queue += later
                    return "terminator"
        return self._wait(seconds)

    def _wait(self, seconds: float | None) -> str:
        if self._call.hangup_cause is None and not self.break_flag and (seconds is None or seconds > 0):
            self.wake.wait(seconds)
        if self._call.hangup_cause is not None:
            return "hangup"
        if self._call.redirected:
            return "redirect"
        if self.break_flag:
            self.break_flag = False  # switch_ivr_play_file clears CF_BREAK as it stops
            return "break"
        return "done"
