"""The outbound side of the stand-in: it plays FreeSWITCH's `socket` application against a server.

switch = OutboundSwitch(server.address)   # OutboundSwitch(server.address, inbound=mod_event_socket)
call = switch.place_call(CallScript(keys=["12#"], hangup_at=4))
call.wait(5)
assert call.executed[:2] == [("answer", None), ("playback", "/sounds/welcome.wav")]
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

import gevent

from tests.support.standin.call import ScriptedCall, SequenceCounter
from tests.support.standin.script import CallScript
from tests.support.standin.templates import TemplateLibrary, default_library

if TYPE_CHECKING:
    from tests.support.standin.inbound import InboundSwitch


class OutboundSwitch:
    def __init__(
        self,
        target: tuple[str, int],
        *,
        library: TemplateLibrary | None = None,
        inbound: InboundSwitch | None = None,
    ) -> None:
        """`inbound`: the mod_event_socket side of the same switch. Its uuid_bridge, uuid_kill
        and show see this side's calls, and its event listeners get their events."""
        self.target = target
        self._library = library
        self.inbound = inbound
        self._sequence = SequenceCounter()
        self.calls: list[ScriptedCall] = []

    def place_call(self, script: CallScript | None = None, **changes: Any) -> ScriptedCall:
        """Connect a new call to the target now; `changes` override fields of `script`."""
        script = replace(script or CallScript(), **changes)
        library = self._library or default_library(script.version)
        phones = self.inbound.agents if self.inbound is not None else None
        call = ScriptedCall(script, library, self._sequence, phones)
        if phones is not None:
            phones.attach(call)
        self.calls.append(call)
        gevent.spawn(call.run, self.target)
        return call

    def run_call(
        self, script: CallScript | None = None, timeout: float = 10.0, **changes: Any
    ) -> ScriptedCall:
        """Place a call and wait until its socket is closed."""
        call = self.place_call(script, **changes)
        if not call.wait(timeout):
            call.close()
            call.wait(1.0)
            raise TimeoutError(f"call {call.uuid} still open after {timeout:g}s; commands: {call.executed}")
        return call
