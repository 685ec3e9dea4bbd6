"""The voicemail overflow of a queue, as the ACD server records and runs it.

`on_max_wait: {voicemail: BOX}` sends the caller to `voicemail <profile> <domain> BOX` (EslChannel.voicemail)
and writes EXITWITHTIMEOUT with the data `voicemail:BOX`, so reports can tell it from a plain timeout.
"""

from __future__ import annotations

import datetime as dt
from typing import Final

from dialplans.vocabulary import EXITWITHTIMEOUT
from ivr_scripts.acd import QueueEventName, QueueEventSink, QueueSettings
from ivr_scripts.acd.settings import VoicemailOverflow

# The mod_voicemail profile freeswitch_conf renders (freeswitch_conf.voicemail.VOICEMAIL_PROFILE).
VOICEMAIL_PROFILE: Final = "default"


class VoicemailExitEvents:
    """The queue's events, with EXITWITHTIMEOUT's data naming the mailbox the caller goes to."""

    def __init__(self, sink: QueueEventSink, mailbox: str) -> None:
        self._sink = sink
        self._data = f"voicemail:{mailbox}"

    def record(
        self,
        event: QueueEventName,
        call_uuid: str,
        queue: str,
        *,
        agent_id: str | None = None,
        wait_s: float | None = None,
        talk_s: float | None = None,
        position: int | None = None,
        at: dt.datetime,
        data: str | None = None,
    ) -> None:
        if event == EXITWITHTIMEOUT and data is None:
            data = self._data
        self._sink.record(
            event,
            call_uuid,
            queue,
            agent_id=agent_id,
            wait_s=wait_s,
            talk_s=talk_s,
            position=position,
            at=at,
            data=data,
        )


def with_exit_data(sink: QueueEventSink, settings: QueueSettings) -> QueueEventSink:
    overflow = settings.max_wait_overflow
    return VoicemailExitEvents(sink, overflow.mailbox) if isinstance(overflow, VoicemailOverflow) else sink
