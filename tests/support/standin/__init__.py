"""A stand-in FreeSWITCH speaking ESL over real TCP, built from the captured transcripts.

Outbound (the `socket` dialplan app): `OutboundSwitch(address).place_call(CallScript(...))`
connects to an outbound server and plays one scripted call; the returned `ScriptedCall` records
the commands it received and the bytes it sent.

Inbound (mod_event_socket on 8021): `InboundSwitch(password=...)` accepts event listeners,
answers auth / event / api / bgapi / exit, and emits a call's events to its subscribers.
"""

from tests.support.standin.call import ScriptedCall
from tests.support.standin.inbound import InboundCall, InboundSession, InboundSwitch
from tests.support.standin.outbound import OutboundSwitch
from tests.support.standin.script import CallScript, Collected, Execution, Said
from tests.support.standin.templates import TemplateLibrary, default_library

__all__ = [
    "CallScript",
    "Collected",
    "Execution",
    "InboundCall",
    "InboundSession",
    "InboundSwitch",
    "OutboundSwitch",
    "Said",
    "ScriptedCall",
    "TemplateLibrary",
    "default_library",
]
