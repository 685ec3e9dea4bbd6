"""An agent's answers to a campaign script, checked before anything is stored.

Every problem is reported at once, by question id, so a form can mark each field: an unknown question,
a required one left out, a choice the script does not offer, a rating outside 1..5, a number that is
not one, text over 2,000 characters. Accepted answers come back in their stored form: yes_no as
"yes"/"no", ratings and numbers as plain decimal text, text trimmed.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Final

from dialplans.script_models import MAX_TEXT_ANSWER, Script, ScriptQuestion

_YES: Final = frozenset({"yes", "y", "true", "1"})
_NO: Final = frozenset({"no", "n", "false", "0"})
RATING_RANGE: Final = range(1, 6)


class AnswersRefused(ValueError):
    def __init__(self, problems: Mapping[str, str]) -> None:
        self.problems = dict(problems)
        super().__init__("; ".join(f"{question}: {why}" for question, why in sorted(self.problems.items())))


def check_answers(script: Script, answers: Mapping[str, str]) -> dict[str, str]:
    """The answers in their stored form, in the script's order (AnswersRefused naming every problem)."""
    questions = {question.id: question for question in script.questions}
    problems = {name: "not a question of this script" for name in answers if name not in questions}
    accepted: dict[str, str] = {}
    for question in script.questions:
        given = answers.get(question.id, "").strip()
        if not given:
            if question.required:
                problems[question.id] = "required"
            continue
        try:
            accepted[question.id] = _stored(question, given)
        except ValueError as exc:
            problems[question.id] = str(exc)
    if problems:
        raise AnswersRefused(problems)
    return accepted


def _stored(question: ScriptQuestion, given: str) -> str:
    if question.kind == "choice":
        if given not in question.choices:
            raise ValueError(f"{given[:40]!r} is not one of {', '.join(question.choices)}")
        return given
    if question.kind == "yes_no":
        if given.lower() in _YES:
            return "yes"
        if given.lower() in _NO:
            return "no"
        raise ValueError(f"expected yes or no, got {given[:40]!r}")
    if question.kind in ("rating", "number"):
        try:
            number = Decimal(given)
        except InvalidOperation:
            raise ValueError(f"not a number: {given[:40]!r}") from None
        if not number.is_finite():
            raise ValueError(f"not a number: {given[:40]!r}")
        if question.kind == "rating" and (
            number != number.to_integral_value() or int(number) not in RATING_RANGE
        ):
            raise ValueError(f"a rating is a whole number from 1 to 5, not {given[:40]!r}")
        return format(number.normalize(), "f") if question.kind == "number" else str(int(number))
    if len(given) > MAX_TEXT_ANSWER:
        raise ValueError(f"at most {MAX_TEXT_ANSWER} characters, got {len(given)}")
    return given
