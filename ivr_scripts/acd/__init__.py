"""ACD dispatch: which agent gets which waiting call. Pure decisions over an indexed board; no I/O.

Also the waiting caller (`waiting.py`) and the offer to agents (`offer.py`), over the Channel and
Switch protocols.
"""

from dialplans.models import Strategy
from dialplans.vocabulary import QueueEventName
from ivr_scripts.acd.board import DispatchBoard
from ivr_scripts.acd.completion import complete_call
from ivr_scripts.acd.estimate import HandleTimes, expected_wait_seconds, expected_wait_text, position_text
from ivr_scripts.acd.model import (
    STRATEGIES,
    AgentView,
    DispatchError,
    Offer,
    QueueRules,
    Tier,
    UnknownAgent,
    UnknownCall,
    UnknownQueue,
    WaitingCall,
)
from ivr_scripts.acd.offer import offer_call
from ivr_scripts.acd.offer_model import AgentEvents, AgentTarget, OfferFailed, OfferOutcome
from ivr_scripts.acd.queue_events import MemoryQueueEvents, QueueEventReport, QueueEventSink
from ivr_scripts.acd.settings import QueueSettings, QueueSettingsError
from ivr_scripts.acd.waiting import QueuePrompts, QueueTicket, WaitOutcome, wait_in_queue

__all__ = [
    "STRATEGIES",
    "AgentEvents",
    "AgentTarget",
    "AgentView",
    "DispatchBoard",
    "DispatchError",
    "HandleTimes",
    "MemoryQueueEvents",
    "Offer",
    "OfferFailed",
    "OfferOutcome",
    "QueueEventName",
    "QueueEventReport",
    "QueueEventSink",
    "QueuePrompts",
    "QueueRules",
    "QueueSettings",
    "QueueSettingsError",
    "QueueTicket",
    "Strategy",
    "Tier",
    "UnknownAgent",
    "UnknownCall",
    "UnknownQueue",
    "WaitOutcome",
    "WaitingCall",
    "complete_call",
    "expected_wait_seconds",
    "expected_wait_text",
    "offer_call",
    "position_text",
    "wait_in_queue",
]
