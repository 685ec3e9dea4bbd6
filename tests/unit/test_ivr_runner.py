"""The IVR runner over a scripted channel: digits, retries, timeouts, nesting, hang-ups, schedules."""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from dialplans.models import Dialplan, GotoMenu, Transfer
from ivr_scripts.channel import Audio, BridgeResult, CallerHungUp, CallInfo, SayKind
from ivr_scripts.crm import (
    CallerProfile,
    CrmUnavailable,
    CustomerRecord,
    ScreeningDecision,
    SurveyAnswer,
)
from ivr_scripts.journal import IvrStep, ListSink, Outcome
from ivr_scripts.prompts import PromptBook
from ivr_scripts.recording import RecordingLog
from ivr_scripts.runner import IvrRunner, QueueEntry, QueueResult
from ivr_scripts.terminal import TerminalChannel

MONDAY_NOON_LONDON = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
SUNDAY_NOON_LONDON = dt.datetime(2026, 11, 22, 12, 0, tzinfo=dt.UTC)
CHRISTMAS_NOON = dt.datetime(2026, 12, 25, 12, 0, tzinfo=dt.UTC)

PLAN: dict[str, Any] = {
    "prompts": {
        name: {"text": f"text of {name}"}
        for name in ("hello", "options", "invalid", "timeout", "hours", "sub", "closed", "bye")
    },
    "schedules": {
        "office": {
            "timezone": "Europe/London",
            "hours": [{"days": ["mon", "tue", "wed", "thu", "fri"], "open": "08:00", "close": "18:00"}],
            "holidays": [{"date": "2026-12-25", "name": "Christmas"}],
        }
    },
    "queues": {"sales": {"extension": "2001"}, "operators": {"extension": "2009"}},
    "menus": {
        "main": {
            "greeting": "hello",
            "prompt": "options",
            "invalid_prompt": "invalid",
            "timeout_prompt": "timeout",
            "max_retries": 3,
            "options": {
                "1": {"menu": "sub"},
                "2": {"transfer": {"queue": "sales"}},
                "3": {"play": "hours", "then": "return"},
                "4": {"play": "hours", "then": "hangup"},
                "7": {"transfer": {"extension": "1007"}},
                "9": {"hangup": {"prompt": "bye"}},
            },
            "fallback": {"transfer": {"queue": "operators"}},
        },
        "sub": {
            "prompt": "sub",
            "max_retries": 2,
            "options": {"1": {"transfer": {"extension": "1001"}}, "*": {"menu": "main"}},
            "fallback": {"menu": "main"},
        },
        "closed": {
            "prompt": "closed",
            "max_retries": 1,
            "options": {"1": {"transfer": {"queue": "operators"}}},
            "fallback": {"hangup": {}},
        },
    },
    "dids": {
        "4001": {"schedule": "office", "menu": "main", "closed_menu": "closed"},
        "4002": {"menu": "sub"},
    },
}


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
    outcome = runner.run(channel, sink)
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


class ScriptedQueues:
    """A fake ACD: hands back the scripted results in order and remembers who joined."""

    def __init__(self, *results: QueueResult) -> None:
        self.results = list(results)
        self.joined: list[tuple[str, tuple[str, ...]]] = []
        self.preferred: list[str | None] = []

    def join(
        self, channel: object, queue: str, *, ivr_path: tuple[str, ...], preferred_agent: str | None = None
    ) -> QueueResult:
        self.joined.append((queue, ivr_path))
        self.preferred.append(preferred_agent)
        return self.results.pop(0)


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
    outcome = runner.run(channel, sink)
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


# --- Fakes the CRM tests share (screening, self-service, surveys) --------------------------------

HANG_UP = "<hang up>"  # in a FakeChannel's answers: the caller hangs up at that prompt


class FakeChannel:
    """A scripted Channel that records everything done to the call as readable events.

    `answers` are the caller's keys for each collect_digits in turn ("" is silence, HANG_UP hangs up);
    once they run out the caller stays silent. Once the caller has hung up, every later operation
    raises CallerHungUp, as on the switch. Recording operations are events too (`record:start:<path>`,
    `record:mask:<path>`...); `sensitive` keeps the sensitive flag of each collect_digits in turn.
    """

    def __init__(self, info: CallInfo, answers: Iterable[str] = ()) -> None:
        self._info = info
        self._answers = list(answers)
        self.events: list[str] = []
        self.variables: dict[str, str] = {}
        self.collects: list[dict[str, Any]] = []
        self.sensitive: list[bool] = []
        self.typed_over: list[str] = []  # the prompts played with type_ahead, in order
        self.stereo: dict[str, bool] = {}
        self.gone = False
        self.after_hangup: list[str] = []  # operations tried once the caller had gone

    @property
    def info(self) -> CallInfo:
        return self._info

    def heard(self, kind: str) -> list[str]:
        """The events of one kind (play, collect, say, hangup...), without the kind."""
        prefix = f"{kind}:"
        return [event.removeprefix(prefix) for event in self.events if event.startswith(prefix)]

    def answer(self) -> None:
        self._still_there("answer")
        self.events.append("answer")

    def play(self, audio: Audio, *, type_ahead: bool = False) -> None:
        self._still_there("play")
        if type_ahead:
            self.typed_over.append(audio.label)
        self.events.append(
            f"play:{audio.label}" + (f"={audio.text}" if audio.label.startswith("field:") else "")
        )

    def collect_digits(
        self,
        audio: Audio,
        *,
        max_digits: int,
        timeout: float,
        digit_timeout: float,
        terminators: str = "#",
        sensitive: bool = False,
    ) -> str:
        self._still_there("collect_digits")
        self.events.append(f"collect:{audio.label}")
        self.sensitive.append(sensitive)
        self.collects.append(
            {
                "max_digits": max_digits,
                "timeout": timeout,
                "digit_timeout": digit_timeout,
                "term": terminators,
            }
        )
        answer = self._answers.pop(0) if self._answers else ""
        if answer == HANG_UP:
            self.gone = True
            raise CallerHungUp()
        return answer

    def say(self, kind: SayKind, value: str, *, language: str = "en") -> None:
        self._still_there("say")
        self.events.append(f"say:{kind}={value}")

    def transfer(self, extension: str, context: str) -> None:
        self._still_there("transfer")
        self.events.append(f"transfer:{extension}@{context}")

    def bridge(self, endpoint: str, *, timeout: float) -> BridgeResult:
        raise AssertionError("the IVR runner does not bridge")

    def set_variable(self, name: str, value: str) -> None:
        self._still_there("set_variable")
        self.variables[name] = value

    def get_variable(self, name: str) -> str | None:
        return self.variables.get(name)

    def record(self, path: str) -> None:
        raise AssertionError("the IVR runner records with start_recording")

    def start_recording(self, path: str, *, stereo: bool) -> None:
        self._still_there("start_recording")
        self.events.append(f"record:start:{path}")
        self.stereo[path] = stereo

    def stop_recording(self, path: str) -> None:
        self._still_there("stop_recording")
        self.events.append(f"record:stop:{path}")

    def mask_recording(self, path: str) -> None:
        self._still_there("mask_recording")
        self.events.append(f"record:mask:{path}")

    def unmask_recording(self, path: str) -> None:
        self._still_there("unmask_recording")
        self.events.append(f"record:unmask:{path}")

    def hangup(self, cause: str = "NORMAL_CLEARING") -> None:
        self._still_there("hangup")
        self.events.append(f"hangup:{cause}")

    def hold(self, music: str, *, seconds: float, exit_keys: str = "") -> str:
        raise AssertionError("only the ACD holds")

    def interrupt(self) -> None:
        raise AssertionError("only the ACD interrupts")

    def voicemail(self, profile: str, domain: str, box: str) -> None:
        raise AssertionError("only the ACD leaves voicemail")

    def _still_there(self, operation: str) -> None:
        if self.gone:
            self.after_hangup.append(operation)
            raise CallerHungUp()


class FakeDirectory:
    """Customers in dictionaries; `down` makes every call raise CrmUnavailable."""

    def __init__(
        self,
        profiles: dict[str, CallerProfile] | None = None,
        keys: dict[tuple[str, str], list[CustomerRecord]] | None = None,
        *,
        down: bool = False,
    ) -> None:
        self.profiles = profiles or {}
        self.keys = keys or {}
        self.down = down
        self.finds: list[tuple[str, str]] = []

    def profile(self, caller_number: str) -> CallerProfile:
        if self.down:
            raise CrmUnavailable("database down")
        return self.profiles.get(caller_number, CallerProfile(e164=caller_number))

    def find(self, by: str, keys: str) -> list[CustomerRecord]:
        self.finds.append((by, keys))
        if self.down:
            raise CrmUnavailable("database down")
        return self.keys.get((by, keys), [])

    def customer(self, customer_id: int) -> CustomerRecord | None:
        raise AssertionError("the call logic finds customers by caller ID or keys")


class MemoryCrmSink:
    def __init__(self) -> None:
        self.screenings: list[tuple[str, ScreeningDecision]] = []
        self.answers: list[SurveyAnswer] = []

    def record_screening(self, call_uuid: str, decision: ScreeningDecision) -> None:
        self.screenings.append((call_uuid, decision))

    def record_survey_answer(self, answer: SurveyAnswer) -> None:
        self.answers.append(answer)


def crm_plan(**sections: Any) -> Dialplan:
    """PLAN with CRM sections added (crm, self_service, surveys, extra queues, menus or prompts)."""
    plan = copy.deepcopy(PLAN)
    for name in (
        "help",
        "vip_hello",
        "ask_account",
        "not_found",
        "your_date",
        "no_date",
        "thanks",
        "q1",
        "q2",
    ):
        plan["prompts"][name] = {"text": f"text of {name}"}
    for key, value in sections.items():
        if isinstance(plan.get(key), dict):
            plan[key] = {**plan[key], **value}
        else:
            plan[key] = value
    return Dialplan.model_validate(plan)


@dataclass
class CrmCall:
    outcome: Outcome
    steps: list[IvrStep]
    channel: FakeChannel
    sink: MemoryCrmSink

    def results(self) -> list[str]:
        return [f"{step.menu}:{step.result}:{step.digits or ''}" for step in self.steps]


def run_crm_call(
    dialplan: Dialplan,
    answers: Iterable[str] = (),
    *,
    directory: FakeDirectory | None = None,
    queues: QueueEntry | None = None,
    caller: str = "+15551230001",
    crm_sink: MemoryCrmSink | None = None,
    with_sink: bool = True,
    at: dt.datetime = MONDAY_NOON_LONDON,
    recordings: RecordingLog | None = None,
    call_uuid: str = "uuid-crm",
) -> CrmCall:
    sink = crm_sink or MemoryCrmSink()
    runner = IvrRunner(
        dialplan,
        PromptBook.build(dialplan, Path("/nonexistent")),
        clock=lambda: at,
        queues=queues,
        directory=directory,
        crm_sink=sink if with_sink else None,
        recordings=recordings,
    )
    channel = FakeChannel(CallInfo(call_uuid, caller, "Caller", "4001"), answers)
    steps = ListSink()
    outcome = runner.run(channel, steps)
    assert [step.seq for _, step in steps.steps] == list(range(1, len(steps.steps) + 1))
    return CrmCall(outcome, [step for _, step in steps.steps], channel, sink)


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
