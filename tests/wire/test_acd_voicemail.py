"""A queue overflowing to voicemail at max wait, end to end over real TCP (tests/support/acd_rig.py's rig):
EXITWITHTIMEOUT names the mailbox and mod_voicemail's `voicemail` runs on the caller's channel."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from ivr_scripts.acd import QueueSettings
from tests.support import acd_rig
from tests.support.acd_rig import DIALPLAN, DOMAIN, RigFactory, events_of, make_rig

__all__ = ["make_rig"]  # the fixture, used by name

pytestmark = pytest.mark.wire

VOICEMAIL_QUEUE = """queues:
  after_hours:
    extension: "2009"
    tiers: [{agent: "1003"}]
    max_wait: 10
    on_max_wait: {voicemail: care-desk}
"""
VOICEMAIL_OPTION = '      "9": {transfer: {queue: after_hours}}\n    fallback:'


@pytest.fixture
def voicemail_dialplan(tmp_path: Path, make_rig: RigFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """The rig's dialplan plus a queue on key 9 that overflows to voicemail after 0.5 s."""
    dialplan = tmp_path / "acd.yaml"
    text = dialplan.read_text()
    assert text == DIALPLAN
    text = text.replace("queues:\n", VOICEMAIL_QUEUE, 1).replace("    fallback:", VOICEMAIL_OPTION, 1)
    assert "after_hours" in text
    assert '"9"' in text
    dialplan.write_text(text)
    rig_tuning = acd_rig.shorten

    def shorten(queue: str, settings: QueueSettings) -> QueueSettings:
        if queue == "after_hours":
            return dataclasses.replace(settings, max_wait=0.5)
        return rig_tuning(queue, settings)

    monkeypatch.setattr(acd_rig, "shorten", shorten)


@pytest.mark.usefixtures("voicemail_dialplan")
def test_max_wait_sends_the_caller_to_the_mailbox(make_rig: RigFactory) -> None:
    rig = make_rig(ready=[])  # nobody answers: the caller waits out max_wait
    call = rig.finish(rig.place(keys=["9"]))

    rows = rig.queue_log(call.uuid)
    assert events_of(rows) == [("ENTERQUEUE", ""), ("EXITWITHTIMEOUT", "")]
    assert rows[1].data == "voicemail:care-desk"
    assert rows[1].wait_s is not None
    assert rows[1].wait_s >= 0.5
    executed = call.executed
    assert executed[-1] == ("voicemail", f"default {DOMAIN} care-desk")
    # The conf has no phrase macros: without these the module would end before recording.
    skips = [(name, "true") for name in ("skip_greeting", "skip_instructions", "skip_record_urgent_check")]
    assert call.api_sets[-3:] == skips, call.api_sets
    assert call.hung_up_by == "caller"  # after recording, as a caller leaving a message does
    assert rig.call_row(call.uuid).outcome == "caller_hangup"


@pytest.mark.usefixtures("voicemail_dialplan")
def test_other_overflows_keep_no_data(make_rig: RigFactory) -> None:
    rig = make_rig(ready=[])
    call = rig.finish(rig.place(keys=["5"]))  # the rig's "short" queue: a message, then hang up
    rows = rig.queue_log(call.uuid)
    assert events_of(rows) == [("ENTERQUEUE", ""), ("EXITWITHTIMEOUT", "")]
    assert rows[1].data in (None, "")
    assert "voicemail" not in [app for app, _ in call.executed]
