"""The agent desktop's part of the dialplan: `desktop: {dispositions: {code: label}}`.

A disposition is how an agent closes an inbound call at the desk (resolved, follow-up, ...): the code is
stored with the call (call_dispositions), the label is what the desk shows. Without the section, the
five defaults below. Campaign calls have their own dispositions (dialplans.script_models), which also
decide the lead's fate; these only describe the call.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints

from dialplans.base import Name, Node

DispositionLabel = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[^\x00-\x1f]+$")]
DEFAULT_DISPOSITIONS: dict[str, str] = {
    "resolved": "Resolved",
    "follow_up": "Follow-up needed",
    "escalated": "Escalated",
    "wrong_number": "Wrong number",
    "no_action": "No action",
}


def default_dispositions() -> dict[str, str]:
    return dict(DEFAULT_DISPOSITIONS)


class Desktop(Node):
    dispositions: dict[Name, DispositionLabel] = Field(
        default_factory=default_dispositions,
        min_length=1,
        description="Code -> label of the dispositions an agent picks to close a call, in the desk's order.",
    )
