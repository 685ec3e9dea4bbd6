"""The voicemail overflow of a queue, as the ACD server records and runs it.

`on_max_wait: {voicemail: BOX}` sends the caller to `voicemail <profile> <domain> BOX` (EslChannel.voicemail)
and writes EXITWITHTIMEOUT with the data `voicemail:BOX`, so reports can tell it from a plain timeout.
"""

from __future__ import annotations

import dataclasses
from typing import Final

from dialplans.vocabulary import EXITWITHTIMEOUT
from ivr_scripts.acd import QueueEventReport, QueueEventSink, QueueSettings
from ivr_scripts.acd.agent_legs import AgentLegReport
from ivr_scripts.acd.settings import VoicemailOverflow

# The mod_voicemail profile freeswitch_conf renders (freeswitch_conf.voicemail.VOICEMAIL_PROFILE).
VOICEMAIL_PROFILE: Final = "default"


class VoicemailExitEvents:
    """The queue's events, with EXITWITHTIMEOUT's data naming the mailbox the caller goes to."""

    def __init__(self, sink: QueueEventSink, mailbox: str) -> None:
        self._sink = sink
        self._data = f"voicemail:{mailbox}"

    def record(self, event: QueueEventReport) -> None:
        if event.event == EXITWITHTIMEOUT and event.data is None:
            event = dataclasses.replace(event, data=self._data)
        self._sink.record(event)

    def leg(self, report: AgentLegReport) -> None:
        self._sink.leg(report)


def with_exit_data(sink: QueueEventSink, settings: QueueSettings) -> QueueEventSink:
    overflow = settings.max_wait_overflow
    return VoicemailExitEvents(sink, overflow.mailbox) if isinstance(overflow, VoicemailOverflow) else sink
