"""ACD dispatch: which agent gets which waiting call. Pure decisions over an indexed board; no I/O."""

from ivr_scripts.acd.board import DispatchBoard
from ivr_scripts.acd.model import (
    STRATEGIES,
    AgentView,
    DispatchError,
    Offer,
    QueueRules,
    Strategy,
    Tier,
    UnknownAgent,
    UnknownCall,
    UnknownQueue,
    WaitingCall,
)

__all__ = [
    "STRATEGIES",
    "AgentView",
    "DispatchBoard",
    "DispatchError",
    "Offer",
    "QueueRules",
    "Strategy",
    "Tier",
    "UnknownAgent",
    "UnknownCall",
    "UnknownQueue",
    "WaitingCall",
]
