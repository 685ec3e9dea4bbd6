"""The post-call survey: after the agent hangs up first, the caller rates the call by keypad.

Each question gets `max_retries` tries: a key 1..max_key is stored at once (so a caller who hangs
up half-way keeps the answers already given), another key plays the invalid prompt before the next
try, silence simply asks again. A question with no valid answer is skipped. Steps are recorded in
the pseudo-menu `survey:<name>` so menu reports are not skewed by survey keys.
"""

from __future__ import annotations

from dataclasses import dataclass

from dialplans.clock import Clock
from dialplans.crm_models import Survey, SurveyQuestion
from ivr_scripts.crm import CrmSink, SurveyAnswer
from ivr_scripts.journal import CallSteps


@dataclass(frozen=True, slots=True)
class SurveyCall:
    """Whose conversation the answers rate."""

    survey: str
    queue: str
    agent_id: str | None


def run_survey(call: CallSteps, survey: Survey, about: SurveyCall, *, sink: CrmSink, clock: Clock) -> int:
    """Ask every question of `survey`; returns how many were answered. Raises `CallerHungUp`."""
    call.menu = f"survey:{about.survey}"
    if survey.intro is not None:
        call.play(survey.intro)
    answered = 0
    for question in survey.questions:
        score = _ask(call, survey, question)
        if score is None:
            continue
        sink.record_survey_answer(
            SurveyAnswer(
                call_uuid=call.channel.info.uuid,
                survey=about.survey,
                question=question.id,
                score=score,
                agent_id=about.agent_id,
                queue=about.queue,
                answered_at=clock(),
            )
        )
        answered += 1
    if survey.thanks is not None:
        call.play(survey.thanks)
    return answered


def _ask(call: CallSteps, survey: Survey, question: SurveyQuestion) -> int | None:
    for attempt in range(1, survey.max_retries + 1):
        key = call.channel.collect_digits(
            call.audio(question.prompt),
            max_digits=1,
            timeout=survey.timeout,
            digit_timeout=survey.timeout,
            terminators="",
        )
        if key.isascii() and key.isdigit() and 1 <= int(key) <= question.max_key:
            call.step("ok", prompt=question.prompt, digits=key)
            return int(key)
        call.step("invalid" if key else "timeout", prompt=question.prompt, digits=key or None)
        if key and survey.invalid_prompt is not None and attempt < survey.max_retries:
            call.play(survey.invalid_prompt, type_ahead=True)
    return None
