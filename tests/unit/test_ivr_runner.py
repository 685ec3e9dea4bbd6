"""The IVR runner over a scripted channel: digits, retries, timeouts, nesting, hang-ups, schedules."""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path

import pytest

from dialplans.models import Dialplan, GotoMenu, Transfer
from ivr_scripts.channel import CallInfo
from ivr_scripts.journal import ListSink, Outcome
from ivr_scripts.prompts import PromptBook
from ivr_scripts.runner import IvrRunner, QueueResult
from ivr_scripts.terminal import TerminalChannel
from tests.fakes.queues import ScriptedQueues
from tests.support.ivr_calls import MONDAY_NOON_LONDON, PLAN, crm_plan, run_crm_call

SUNDAY_NOON_LONDON = dt.datetime(2026, 11, 22, 12, 0, tzinfo=dt.UTC)
CHRISTMAS_NOON = dt.datetime(2026, 12, 25, 12, 0, tzinfo=dt.UTC)


def run_call(
    keys: str, *, did: str = "4001", at: dt.datetime = MONDAY_NOON_LONDON, hang_up_after: int | None = None
) -> tuple[Outcome, list[str], TerminalChannel, list[str]]:
    dialplan = Dialplan.model_validate(PLAN)
    runner = IvrRunner(dialplan, PromptBook.build(dialplan, Path("/nonexistent")), clock=lambda: at)
    heard: list[str] = []
    channel = TerminalChannel(
        CallInfo("uuid-1", "+15551230001", "Caller", did), keys, out=heard.append, hang_up_after=hang_up_after
    )
    sink = ListSink()
    outcome = runner.run(channel.leg, sink)
    results = [f"{step.menu}:{step.result}:{step.digits or ''}" for _, step in sink.steps]
    assert [step.seq for _, step in sink.steps] == list(range(1, len(sink.steps) + 1))
    return outcome, results, channel, heard


def test_valid_key_queues_the_call() -> None:
    outcome, steps, channel, _ = run_call("2")
    assert outcome == Outcome("queued", "queue:sales", ("main",))
    assert steps == ["None:open:", "main:played:", "main:ok:2", "main:queue:2001"]
    assert channel.ended == "transfer to 2001 in context default"
    assert channel.get_variable("cc_queue") == "sales"
    assert channel.get_variable("cc_ivr_path") == "main"


def test_nested_menu_then_extension() -> None:
    outcome, steps, _, _ = run_call("11")
    assert outcome == Outcome("transferred", "1001", ("main", "sub"))
    assert steps[-2:] == ["sub:ok:1", "sub:transfer:1001"]


def test_invalid_then_valid_plays_invalid_prompt() -> None:
    outcome, steps, _, heard = run_call("87")
    assert outcome.destination == "1007"
    assert steps[2:5] == ["main:invalid:8", "main:played:", "main:ok:7"]
    assert any("invalid (TTS)" in line for line in heard)


def test_retries_exhausted_runs_fallback() -> None:
    outcome, steps, _, heard = run_call("8..")
    assert outcome == Outcome("queued", "queue:operators", ("main",))
    assert [s for s in steps if ":invalid:" in s or ":timeout:" in s] == [
        "main:invalid:8",
        "main:timeout:",
        "main:timeout:",
    ]
    assert "main:fallback:" in steps
    # No retry prompt after the last try: it goes straight to the fallback.
    assert sum("timeout (TTS)" in line for line in heard) == 1


def test_play_then_return_replays_options_without_greeting() -> None:
    outcome, _, _, heard = run_call("32")
    assert outcome.destination == "queue:sales"
    assert sum("hello (TTS)" in line for line in heard) == 1
    assert sum("options (TTS)" in line for line in heard) == 2
    assert outcome.menu_path == ("main",)


def test_play_then_hangup_and_hangup_action() -> None:
    outcome, _, channel, _ = run_call("4")
    assert outcome == Outcome("hangup", "NORMAL_CLEARING", ("main",))
    outcome, _, channel, heard = run_call("9")
    assert outcome.kind == "hangup"
    assert channel.ended == "hang up (NORMAL_CLEARING)"
    assert any("bye (TTS)" in line for line in heard)


@pytest.mark.parametrize("prompts_before_hangup", range(5))
def test_caller_hanging_up_at_every_step(prompts_before_hangup: int) -> None:
    outcome, steps, channel, _ = run_call("87", hang_up_after=prompts_before_hangup)
    if prompts_before_hangup >= 4:
        assert outcome.kind == "transferred"
        return
    assert outcome.kind == "caller_hangup"
    assert steps[-1].split(":")[1] == "caller_hangup"
    assert channel.ended is None


def test_closed_hours_and_holidays_use_closed_menu() -> None:
    for when in (SUNDAY_NOON_LONDON, CHRISTMAS_NOON):
        outcome, steps, _, _ = run_call("1", at=when)
        assert steps[0] == "None:closed:"
        assert outcome == Outcome("queued", "queue:operators", ("closed",))


def test_24x7_line_and_unknown_did() -> None:
    outcome, steps, _, _ = run_call("1", did="4002", at=SUNDAY_NOON_LONDON)
    assert steps[0] == "None:open:"
    assert outcome.destination == "1001"
    outcome, steps, channel, _ = run_call("1", did="9999")
    assert outcome.kind == "unknown_did"
    assert channel.ended == "hang up (UNALLOCATED_NUMBER)"


def test_wandering_caller_is_stopped_by_loop_limit() -> None:
    # 1 then * forever: main -> sub -> main -> ... never exits on its own.
    outcome, steps, _, _ = run_call("1*" * 100)
    assert outcome.kind == "loop_limit"
    assert steps[-1].endswith("loop_limit:")


def run_with_queues(keys: str, queues: ScriptedQueues) -> tuple[Outcome, list[str], TerminalChannel]:
    dialplan = Dialplan.model_validate(PLAN)
    runner = IvrRunner(
        dialplan,
        PromptBook.build(dialplan, Path("/nonexistent")),
        clock=lambda: MONDAY_NOON_LONDON,
        queues=queues,
    )
    channel = TerminalChannel(CallInfo("uuid-q", "+15551230001", "Caller", "4001"), keys, out=lambda _: None)
    sink = ListSink()
    outcome = runner.run(channel.leg, sink)
    return outcome, [f"{step.menu}:{step.result}:{step.digits or ''}" for _, step in sink.steps], channel


def test_queue_with_an_acd_keeps_the_call_instead_of_transferring() -> None:
    queues = ScriptedQueues(QueueResult("answered", agent_id="1001"))
    outcome, steps, channel = run_with_queues("2", queues)
    assert queues.joined == [("sales", ("main",))]
    assert outcome == Outcome("answered", "queue:sales", ("main",))
    assert steps[-2:] == ["main:queue:sales", "main:answered:1001"]
    assert channel.ended is None


def test_queue_overflow_action_runs_like_a_menu_choice() -> None:
    overflow = Transfer.model_validate({"transfer": {"queue": "operators"}})
    queues = ScriptedQueues(QueueResult("action", action=overflow), QueueResult("abandoned"))
    outcome, _, _ = run_with_queues("2", queues)
    assert [queue for queue, _ in queues.joined] == ["sales", "operators"]
    assert outcome == Outcome("abandoned", "queue:operators", ("main",))


def test_queue_exit_action_can_go_back_to_a_menu() -> None:
    back = GotoMenu(menu="sub")
    queues = ScriptedQueues(QueueResult("action", action=back))
    outcome, _, _ = run_with_queues("21", queues)
    assert outcome == Outcome("transferred", "1001", ("main", "sub"))


def test_queue_result_needs_its_action_exactly_when_kind_is_action() -> None:
    with pytest.raises(ValueError, match="exactly when"):
        QueueResult("action")
    with pytest.raises(ValueError, match="exactly when"):
        QueueResult("answered", action=GotoMenu(menu="sub"))


def test_no_directory_keeps_the_runner_as_it_was() -> None:
    call = run_crm_call(crm_plan(), ["7"])
    assert call.channel.events[0] == "answer"
    assert call.channel.variables == {"cc_ivr_path": "main"}
    assert call.sink.screenings == []
    assert call.outcome == Outcome("transferred", "1007", ("main",))


def test_the_greeting_retry_prompts_and_returning_messages_may_be_typed_over() -> None:
    call = run_crm_call(Dialplan.model_validate(PLAN), ["8", "3", "9"], with_sink=False)
    assert call.channel.heard("play") == ["hello", "invalid", "hours", "bye"]
    # Callers who know the menu answer it early; the goodbye before the hang-up is heard whole.
    assert call.channel.typed_over == ["hello", "invalid", "hours"]


def test_a_sensitive_menu_is_never_typed_over() -> None:
    plan = copy.deepcopy(PLAN)
    plan["menus"]["main"]["sensitive"] = True
    call = run_crm_call(Dialplan.model_validate(plan), ["8", "3", "2"], with_sink=False)
    assert call.channel.heard("play") == ["hello", "invalid", "hours"]
    assert call.channel.typed_over == []
