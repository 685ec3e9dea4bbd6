"""`bridge_outcome`: what a bridge's CHANNEL_EXECUTE_COMPLETE says of the far end."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from esl_handlers.codec import Event as EslEvent
from ivr_scripts.channel import BridgeResult

_NO_ANSWER_CAUSES: Final = frozenset(
    {"NO_ANSWER", "NO_USER_RESPONSE", "ALLOTTED_TIMEOUT", "PROGRESS_TIMEOUT"}
)
_BUSY_CAUSES: Final = frozenset({"USER_BUSY"})


def bridge_outcome(done: EslEvent | Mapping[str, str]) -> BridgeResult:
    """Map a bridge completion to a BridgeResult from what switch_ivr_originate sets.

    originate_disposition is "SUCCESS" when the far end answered (the bridge then ran), else
    the cause name: USER_BUSY, NO_ANSWER (call_timeout hit), NO_USER_RESPONSE, ... .
    """
    get = done.get
    disposition = get("variable_originate_disposition") or ""
    if disposition == "SUCCESS":
        return "answered"
    if disposition in _BUSY_CAUSES:
        return "busy"
    if disposition in _NO_ANSWER_CAUSES:
        return "no_answer"
    return "failed"
