"""The post-call survey after the agent hangs up first, and the hang-up when there is none."""

from __future__ import annotations

from typing import Any, Literal

from ivr_scripts.crm import SurveyAnswer
from ivr_scripts.runner import QueueResult
from tests.fakes.ivr_channel import HANG_UP
from tests.fakes.queues import ScriptedQueues
from tests.support.ivr_calls import MONDAY_NOON_LONDON, CrmCall, crm_plan, run_crm_call

SURVEY: dict[str, Any] = {
    "intro": "help",
    "invalid_prompt": "invalid",
    "thanks": "thanks",
    "timeout": 4,
    "max_retries": 2,
    "questions": [{"id": "satisfaction", "prompt": "q1"}, {"id": "resolved", "prompt": "q2", "max_key": 2}],
}
SURVEY_QUEUE = {"sales": {"extension": "2001", "survey": "csat"}}


def survey_call(
    survey_keys: list[str],
    *,
    ended_by: Literal["caller", "agent"] | None = "agent",
    with_survey: bool = True,
    with_sink: bool = True,
) -> CrmCall:
    plan = crm_plan(queues=SURVEY_QUEUE, surveys={"csat": SURVEY}) if with_survey else crm_plan(surveys={})
    queues = ScriptedQueues(QueueResult("answered", agent_id="1001", ended_by=ended_by))
    return run_crm_call(plan, ["2", *survey_keys], queues=queues, with_sink=with_sink)


def answer(question: str, score: int) -> SurveyAnswer:
    return SurveyAnswer("uuid-crm", "csat", question, score, "1001", "sales", MONDAY_NOON_LONDON)


def after_queue(call: CrmCall) -> list[str]:
    events = call.channel.events
    return events[events.index("collect:options") + 1 :]


def test_full_survey_stores_every_answer_then_hangs_up() -> None:
    call = survey_call(["4", "1"])
    assert after_queue(call) == [
        "play:help",
        "collect:q1",
        "collect:q2",
        "play:thanks",
        "hangup:NORMAL_CLEARING",
    ]
    assert call.sink.answers == [answer("satisfaction", 4), answer("resolved", 1)]
    assert (
        call.channel.collects[1:] == [{"max_digits": 1, "timeout": 4.0, "digit_timeout": 4.0, "term": ""}] * 2
    )
    assert call.outcome.kind == "answered"
    assert call.outcome.destination == "queue:sales"
    assert call.results()[-4:] == [
        "survey:csat:ok:4",
        "survey:csat:ok:1",
        "survey:csat:played:",
        "survey:csat:hangup:",
    ]


def test_invalid_key_plays_the_invalid_prompt_and_asks_again() -> None:
    call = survey_call(["9", "5", "0", "2"])  # 9 > max_key 5; 0 is never an answer
    assert after_queue(call)[:6] == [
        "play:help",
        "collect:q1",
        "play:invalid",
        "collect:q1",
        "collect:q2",
        "play:invalid",
    ]
    assert call.sink.answers == [answer("satisfaction", 5), answer("resolved", 2)]
    assert "survey:csat:invalid:9" in call.results()


def test_question_without_a_valid_answer_is_skipped() -> None:
    # q1: 7 then silence (two tries, no invalid prompt after the last); q2: 3 is above its max_key 2.
    call = survey_call(["7", "", "3", "#"])
    assert after_queue(call) == [
        "play:help",
        "collect:q1",
        "play:invalid",
        "collect:q1",
        "collect:q2",
        "play:invalid",
        "collect:q2",
        "play:thanks",
        "hangup:NORMAL_CLEARING",
    ]
    assert call.sink.answers == []
    assert "survey:csat:timeout:" in call.results()


def test_caller_hanging_up_mid_survey_keeps_the_answers_given() -> None:
    call = survey_call(["3", HANG_UP])
    assert call.sink.answers == [answer("satisfaction", 3)]
    assert call.channel.heard("hangup") == []
    assert call.outcome.kind == "answered"
    assert call.results()[-1] == "survey:csat:caller_hangup:"


def test_agent_hanging_up_without_a_survey_hangs_up_at_once() -> None:
    call = survey_call([], with_survey=False)
    assert after_queue(call) == ["hangup:NORMAL_CLEARING"]
    assert call.outcome.kind == "answered"


def test_survey_needs_somewhere_to_keep_the_answers() -> None:
    call = survey_call(["4"], with_sink=False)
    assert after_queue(call) == ["hangup:NORMAL_CLEARING"]


def test_caller_hanging_up_first_leaves_nothing_to_do() -> None:
    for ended_by in ("caller", None):
        call = survey_call(["4"], ended_by=ended_by)
        assert after_queue(call) == []
        assert call.sink.answers == []
        assert call.outcome.kind == "answered"
