"""PCI: card digits keyed in a sensitive menu or lookup are masked in recordings, collected as sensitive,
and reach no step, no recording fact, no channel variable and no log line."""

from __future__ import annotations

import copy
import datetime as dt
import logging
from contextlib import AbstractContextManager
from typing import Any

import pytest

from dialplans.models import Dialplan
from ivr_scripts.channel import Audio, CallerHungUp, CallInfo, Channel
from ivr_scripts.crm import CrmUnavailable, CustomerRecord
from ivr_scripts.journal import StepResult
from ivr_scripts.recording import CallRecorder
from tests.fakes.crm import FakeDirectory
from tests.fakes.ivr_channel import HANG_UP, FakeChannel
from tests.fakes.recording_log import MemoryRecordingLog
from tests.support.ivr_calls import MONDAY_NOON_LONDON, PLAN, CrmCall, crm_plan, run_crm_call

CARD = "4111111111111111"
OTHER_CARD = "5500005555555559"
REC = "/rec/2026/11/23/uuid-crm.wav"
JANE = CustomerRecord(7, "Jane Doe", fields={"status": "Approved"})
LOOKUP: dict[str, Any] = {
    "ask": "ask_account",
    "min_digits": 12,
    "max_digits": 16,
    "not_found": "not_found",
    "sensitive": True,
    "answer": [{"field": "status"}],
}
PAY_MENU: dict[str, Any] = {
    "prompt": "help",
    "sensitive": True,
    "max_retries": 2,
    "invalid_prompt": "invalid",
    "options": {"1": {"transfer": {"extension": "1001"}}},
    "fallback": {"hangup": {}},
}


def pci_plan(*, recorded: bool = True) -> Dialplan:
    """Main menu: 5 pays by card (a sensitive lookup), 6 enters the sensitive `pay` menu."""
    main = copy.deepcopy(PLAN["menus"]["main"])
    main["options"].update({"5": {"lookup": "card"}, "6": {"menu": "pay"}})
    policies = {"all": {"mode": "all", "stereo": False}}
    return crm_plan(
        self_service={"card": LOOKUP},
        menus={"main": main, "pay": PAY_MENU},
        recording={"directory": "/rec", "policies": policies, "default_policy": "all" if recorded else None},
    )


class LeakyDirectory(FakeDirectory):
    """A store whose error quotes the query's parameters, as database drivers do."""

    def find(self, by: str, keys: str) -> list[CustomerRecord]:
        raise CrmUnavailable(f"timeout [parameters: ({by!r}, {keys!r})]")


def card_call(
    answers: list[str], *, recorded: bool = True, directory: FakeDirectory | None = None
) -> tuple[CrmCall, MemoryRecordingLog]:
    log = MemoryRecordingLog()
    book = directory or FakeDirectory({}, {("account", CARD): [JANE]})
    return run_crm_call(pci_plan(recorded=recorded), answers, directory=book, recordings=log), log


def assert_no_card_anywhere(call: CrmCall, log: MemoryRecordingLog, caplog: pytest.LogCaptureFixture) -> None:
    for card in (CARD, OTHER_CARD):
        assert not any(card in repr(step) for step in call.steps)
        assert card not in repr(log.planned_recordings) + repr(log.pauses)
        assert card not in repr(call.channel.variables)
        assert card not in caplog.text
        assert not any(card in record.getMessage() for record in caplog.records)


def test_a_sensitive_lookup_is_masked_around_the_entry_and_never_kept(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    call, log = card_call(["5", CARD, "7"])
    events = call.channel.events
    entry = events.index("collect:ask_account")
    assert events[entry - 1 : entry + 2] == [
        f"record:mask:{REC}",
        "collect:ask_account",
        f"record:unmask:{REC}",
    ]
    assert call.channel.sensitive == [False, True, False]
    assert log.pauses == [(REC, MONDAY_NOON_LONDON)]
    assert "main:lookup_found:" in call.results()  # the result is kept, the keys are not
    assert "play:field:status=Approved" in events
    assert "main:ok:7" in call.results()  # keys outside sensitive entries are kept as before
    assert_no_card_anywhere(call, log, caplog)


def test_every_failed_try_of_a_sensitive_lookup_hides_the_keys_too(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    call, log = card_call(["5", CARD[:6], OTHER_CARD, ""])
    results: list[StepResult] = [step.result for step in call.steps if step.prompt == "ask_account"]
    assert results == ["invalid", "lookup_not_found", "timeout", "fallback"]
    assert all(step.digits is None for step in call.steps if step.prompt == "ask_account")
    assert call.channel.events.count(f"record:mask:{REC}") == 3
    assert call.channel.events.count(f"record:unmask:{REC}") == 3
    assert CARD[:6] not in " ".join(repr(step) for step in call.steps)
    assert_no_card_anywhere(call, log, caplog)


def test_a_store_error_quoting_the_keys_is_logged_without_them(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    call, log = card_call(["5", CARD], directory=LeakyDirectory())
    assert "self-service lookup failed" in caplog.text
    assert "main:fallback:" in call.results()
    assert_no_card_anywhere(call, log, caplog)


def test_a_sensitive_menu_masks_each_try_and_keeps_no_key() -> None:
    call, log = card_call(["6", "8", "1"])
    pay_events = call.channel.events[call.channel.events.index("collect:options") + 1 :]
    assert pay_events == [
        f"record:mask:{REC}",
        "collect:help",
        f"record:unmask:{REC}",
        "play:invalid",
        f"record:mask:{REC}",
        "collect:help",
        f"record:unmask:{REC}",
        "transfer:1001@default",
    ]
    assert call.channel.sensitive == [False, True, True]
    assert [r for r in call.results() if r.startswith("pay:")] == [
        "pay:invalid:",
        "pay:played:",
        "pay:ok:",
        "pay:transfer:1001",
    ]
    assert "main:ok:6" in call.results()
    assert len(log.pauses) == 2


def test_hanging_up_while_masked_ends_the_call_once(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    call, log = card_call(["5", HANG_UP])
    assert call.outcome.kind == "caller_hangup"
    assert call.results()[-1] == "main:caller_hangup:"
    assert call.channel.events[-2:] == [f"record:mask:{REC}", "collect:ask_account"]
    # The unmask was tried (and failed: the caller had gone) without hiding the hang-up.
    assert call.channel.after_hangup == ["unmask_recording"]
    assert log.pauses == [(REC, MONDAY_NOON_LONDON)]


@pytest.mark.parametrize("with_log", [False, True])
def test_without_a_running_recording_the_entry_is_still_sensitive(with_log: bool) -> None:
    if not with_log:  # a runner with no recording log at all
        call = run_crm_call(pci_plan(), ["5", CARD], directory=FakeDirectory({}, {("account", CARD): [JANE]}))
        pauses: list[tuple[str, dt.datetime]] = []
    else:  # a recording log, but the DID records nothing
        call, log = card_call(["5", CARD], recorded=False)
        pauses = log.pauses
    assert not any(event.startswith("record:") for event in call.channel.events)
    assert call.channel.sensitive[:3] == [False, True, False]
    assert pauses == []
    assert not any(CARD in repr(step) for step in call.steps)


# --- CallRecorder.masked on its own -----------------------------------------------------------------


class BareCall:
    """The least a CallRecorder needs of a call: its channel and prompts by name."""

    menu: str | None = None

    def __init__(self, channel: FakeChannel) -> None:
        self._channel = channel

    @property
    def channel(self) -> Channel:
        return self._channel

    def step(self, result: StepResult, *, prompt: str | None = None, digits: str | None = None) -> None:
        raise AssertionError("the recorder records no steps")

    def audio(self, prompt: str) -> Audio:
        return Audio(prompt, text=prompt)

    def play(self, prompt: str, *, type_ahead: bool = False) -> None:
        self._channel.play(self.audio(prompt), type_ahead=type_ahead)

    def masked(self) -> AbstractContextManager[None]:
        raise AssertionError("the recorder is what masks")


@pytest.fixture
def recorder_and_channel() -> tuple[CallRecorder, FakeChannel]:
    channel = FakeChannel(CallInfo("abc", "1", "c", "4001"))
    recorder = CallRecorder(
        BareCall(channel), channel, MemoryRecordingLog(), "/rec", lambda: MONDAY_NOON_LONDON
    )
    recorder.start_for_line(("all", pci_plan().recording.policies["all"]))
    return recorder, channel


def test_a_hang_up_right_after_the_entry_surfaces_from_the_unmask(
    recorder_and_channel: tuple[CallRecorder, FakeChannel],
) -> None:
    recorder, channel = recorder_and_channel
    with pytest.raises(CallerHungUp), recorder.masked():
        channel.gone = True  # the keys were read, then the caller went
    assert channel.after_hangup == ["unmask_recording"]


def test_an_error_inside_the_masked_entry_is_the_one_raised(
    recorder_and_channel: tuple[CallRecorder, FakeChannel],
) -> None:
    recorder, channel = recorder_and_channel

    def hang_up_while_keying() -> None:
        with recorder.masked():
            channel.gone = True
            raise CallerHungUp("LOSE_RACE")

    with pytest.raises(CallerHungUp, match="LOSE_RACE") as raised:
        hang_up_while_keying()
    assert raised.value.__context__ is None  # nothing chained behind it
    assert channel.after_hangup == ["unmask_recording"]
