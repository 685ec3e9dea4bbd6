"""Campaign scripts and dispositions in the YAML, and the agent's answers checked against the script."""

from __future__ import annotations

import pytest

from dialplans.loader import load_dialplan
from dialplans.script_models import Disposition, Script, ScriptQuestion
from ivr_scripts.campaigns.answers import AnswersRefused, check_answers
from tests.support.dialplans import WriteYaml, messages

PLAN = """\
prompts:
  hi: {text: Hello}
agents:
  "1001": {name: Ann}
menus:
  main:
    prompt: hi
    options: {"1": {hangup: }}
    fallback: {hangup: }
dids:
  "4001": {menu: main}
"""
CAMPAIGN = """\
campaigns:
  recall:
    type: survey
    agents: ["1001"]
    lists: [spring]
    caller_id: "+15005550006"
"""
SCRIPTS = """\
scripts:
  satisfaction:
    intro: Hello, this is Acme calling about your recent service.
    questions:
      - {id: happy, text: "Were you happy with the service?", kind: yes_no}
      - {id: score, text: "How would you rate it?", kind: rating}
      - {id: visit, text: "Which visit?", kind: choice, choices: [first, second]}
      - {id: spend, text: "How much did you spend?", kind: number, required: false}
      - {id: notes, text: "Anything else?", required: false}
"""
SCRIPT = Script.model_validate(
    {
        "questions": [
            {"id": "happy", "text": "Happy?", "kind": "yes_no"},
            {"id": "score", "text": "Rate it", "kind": "rating"},
            {"id": "visit", "text": "Which?", "kind": "choice", "choices": ["first", "second"]},
            {"id": "spend", "text": "Spend?", "kind": "number", "required": False},
            {"id": "notes", "text": "Notes?", "required": False},
        ]
    }
)


def test_a_campaign_names_its_script_and_gets_the_default_dispositions(plan_file: WriteYaml) -> None:
    path = plan_file(SCRIPTS + CAMPAIGN + "    script: satisfaction\n" + PLAN)
    assert messages(path) == []
    plan = load_dialplan(path).model
    campaign = plan.campaigns["recall"]
    assert campaign.script == "satisfaction"
    assert [q.kind for q in plan.scripts["satisfaction"].questions] == [
        "yes_no",
        "rating",
        "choice",
        "number",
        "text",
    ]
    assert sorted(campaign.dispositions) == [
        "call_back",
        "completed",
        "do_not_call",
        "not_interested",
        "sale",
        "wrong_number",
    ]
    assert campaign.dispositions["sale"].sale
    assert not campaign.dispositions["call_back"].final
    assert campaign.dispositions["do_not_call"].do_not_call


def test_an_unknown_script_and_an_unused_one_are_located(plan_file: WriteYaml) -> None:
    path = plan_file(SCRIPTS + CAMPAIGN + "    script: satisfation\n" + PLAN)
    found = messages(path)
    assert any(
        "campaigns.recall.script" in m and "satisfation" in m and "satisfaction" in m for m in found
    ), found
    assert any("scripts.satisfaction" in m and "used by no campaign" in m for m in found), found


@pytest.mark.parametrize(
    ("question", "message"),
    [
        ({"id": "q", "text": "?", "kind": "choice", "choices": ["only"]}, "at least two choices"),
        (
            {"id": "q", "text": "?", "kind": "text", "choices": ["a", "b"]},
            "only a choice question has choices",
        ),
        ({"id": "q", "text": "?", "kind": "choice", "choices": ["a", "a"]}, "listed twice"),
    ],
)
def test_questions_that_cannot_be_answered_are_refused(question: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ScriptQuestion.model_validate(question)


def test_question_ids_are_unique_and_do_not_call_is_final() -> None:
    twice = {"questions": [{"id": "a", "text": "?"}, {"id": "a", "text": "?"}]}
    with pytest.raises(ValueError, match="question ids must be unique: a"):
        Script.model_validate(twice)
    with pytest.raises(ValueError, match="a do-not-call disposition is final"):
        Disposition.model_validate({"label": "Never", "do_not_call": True, "final": False})


def test_answers_come_back_in_their_stored_form() -> None:
    given = {"happy": "Y", "score": "4", "visit": "second", "spend": "120.50", "notes": "  all good  "}
    assert check_answers(SCRIPT, given) == {
        "happy": "yes",
        "score": "4",
        "visit": "second",
        "spend": "120.5",
        "notes": "all good",
    }
    assert check_answers(SCRIPT, {"happy": "no", "score": "5.0", "visit": "first", "spend": "1E2"}) == {
        "happy": "no",
        "score": "5",
        "visit": "first",
        "spend": "100",
    }


def test_every_problem_is_named_by_question() -> None:
    with pytest.raises(AnswersRefused) as refused:
        check_answers(SCRIPT, {"happy": "maybe", "score": "6", "visit": "third", "spend": "NaN", "age": "40"})
    assert refused.value.problems == {
        "happy": "expected yes or no, got 'maybe'",
        "score": "a rating is a whole number from 1 to 5, not '6'",
        "visit": "'third' is not one of first, second",
        "spend": "not a number: 'NaN'",
        "age": "not a question of this script",
    }
    with pytest.raises(AnswersRefused, match="happy: required; score: required; visit: required"):
        check_answers(SCRIPT, {"notes": "x"})
    with pytest.raises(AnswersRefused, match="notes: at most 2000 characters, got 2001"):
        check_answers(SCRIPT, {"happy": "yes", "score": "3", "visit": "first", "notes": "x" * 2001})
    with pytest.raises(AnswersRefused, match=r"score: a rating is a whole number from 1 to 5, not '2\.5'"):
        check_answers(SCRIPT, {"happy": "yes", "score": "2.5", "visit": "first"})
