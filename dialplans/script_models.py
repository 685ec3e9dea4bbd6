"""Campaign scripts and dispositions in the dialplan: what the agent says and asks, and how a call ends.

`scripts:` holds questionnaires by name; a campaign names one (`script:`) and lists its dispositions
(`dispositions:`), each saying whether the number is done with, whether it is a sale (an opportunity
in the CRM) and whether the callee asked never to be called again (the internal do-not-call list).
The answers are checked against the script by `ivr_scripts.campaigns.answers`.
"""

from __future__ import annotations

from typing import Literal, Self

from pydantic import Field, model_validator

from dialplans.base import Name, Node

QuestionKind = Literal["text", "choice", "yes_no", "rating", "number"]
MAX_TEXT_ANSWER = 2000


class ScriptQuestion(Node):
    id: Name = Field(description="Names the answer in the database and the API.")
    text: str = Field(min_length=1, max_length=500, description="What the agent asks.")
    kind: QuestionKind = Field(default="text", description="text, choice, yes_no, rating (1..5) or number.")
    choices: list[str] = Field(default_factory=list, description="The answers a `choice` question allows.")
    required: bool = Field(default=True, description="The call cannot be closed without an answer.")

    @model_validator(mode="after")
    def _choices_only_for_choice(self) -> Self:
        if self.kind == "choice" and len(self.choices) < 2:
            raise ValueError("a choice question needs at least two choices")
        if self.kind != "choice" and self.choices:
            raise ValueError(f"only a choice question has choices, not a {self.kind} one")
        if len(set(self.choices)) != len(self.choices):
            raise ValueError("a choice is listed twice")
        return self


class Script(Node):
    """What the agent sees during a campaign call: an opening, then the questions in order."""

    intro: str | None = Field(default=None, max_length=2000, description="The agent's opening words.")
    questions: list[ScriptQuestion] = Field(min_length=1, max_length=50)

    @model_validator(mode="after")
    def _unique_ids(self) -> Self:
        ids = [question.id for question in self.questions]
        twice = sorted({question_id for question_id in ids if ids.count(question_id) > 1})
        if twice:
            raise ValueError(f"question ids must be unique: {', '.join(twice)}")
        return self


class Disposition(Node):
    """How the agent closes a call."""

    label: str = Field(min_length=1, max_length=80, description="What the agent's screen shows.")
    final: bool = Field(default=True, description="The number is done with; false: the retry rules apply.")
    sale: bool = Field(default=False, description="Creates a sales opportunity for the customer.")
    do_not_call: bool = Field(default=False, description="Puts the number on the internal do-not-call list.")

    @model_validator(mode="after")
    def _do_not_call_is_final(self) -> Self:
        if self.do_not_call and not self.final:
            raise ValueError("a do-not-call disposition is final: the number is never dialled again")
        return self


DEFAULT_DISPOSITIONS: dict[str, Disposition] = {
    "sale": Disposition(label="Sale", sale=True),
    "completed": Disposition(label="Completed"),
    "not_interested": Disposition(label="Not interested"),
    "call_back": Disposition(label="Call back later", final=False),
    "wrong_number": Disposition(label="Wrong number"),
    "do_not_call": Disposition(label="Do not call again", do_not_call=True),
}


def default_dispositions() -> dict[str, Disposition]:
    return {code: disposition.model_copy() for code, disposition in DEFAULT_DISPOSITIONS.items()}
