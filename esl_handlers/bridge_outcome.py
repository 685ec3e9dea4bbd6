"""`bridge_outcome`: what a bridge's CHANNEL_EXECUTE_COMPLETE says of the far end."""

from __future__ import annotations

from collections.abc import Mapping

from dialplans.vocabulary import BUSY_CAUSES, NO_ANSWER_CAUSES, SUCCESS
from esl_handlers.codec import Event as EslEvent
from ivr_scripts.channel import BridgeResult


def bridge_outcome(done: EslEvent | Mapping[str, str]) -> BridgeResult:
    """Map a bridge completion to a BridgeResult from what switch_ivr_originate sets.

    originate_disposition is "SUCCESS" when the far end answered (the bridge then ran), else
    the cause name: USER_BUSY, NO_ANSWER (call_timeout hit), NO_USER_RESPONSE, ... .
    """
    get = done.get
    disposition = get("variable_originate_disposition") or ""
    if disposition == SUCCESS:
        return "answered"
    if disposition in BUSY_CAUSES:
        return "busy"
    if disposition in NO_ANSWER_CAUSES:
        return "no_answer"
    return "failed"
