"""The Switch protocol: what the call logic may ask of FreeSWITCH beyond one caller's channel.

Agent legs are originated, bridged to a waiting caller, and torn down through this protocol;
the reconciler reads the live channels through it. `esl_handlers.switch.EslSwitch` implements it
over the inbound event socket; tests use scripted fakes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from dialplans.vocabulary import NORMAL_CLEARING

OriginateResult = Literal["answered", "no_answer", "busy", "failed"]


@dataclass(frozen=True, slots=True)
class Originated:
    result: OriginateResult
    leg_uuid: str | None  # the agent leg's channel UUID when answered
    cause: str  # FreeSWITCH's hangup cause or originate disposition, e.g. NO_ANSWER, USER_BUSY


@dataclass(frozen=True, slots=True)
class LiveChannel:
    uuid: str
    # The agent extension this channel belongs to (the registered user), if any.
    agent_extension: str | None
    # The other leg's UUID when bridged (for an agent leg: the caller's channel).
    bridged_to: str | None
    answered: bool


class SwitchError(Exception):
    """FreeSWITCH refused or failed a request (root of this layer's errors)."""


class Switch(Protocol):
    def originate(
        self,
        endpoint: str,
        *,
        caller_id_number: str,
        caller_id_name: str,
        timeout: float,
        variables: dict[str, str] | None = None,
    ) -> Originated:
        """Ring `endpoint` (e.g. user/1001@callcenter.local) and park the leg when answered."""
        ...

    def originate_any(
        self,
        endpoints: Sequence[tuple[str, str]],
        *,
        caller_id_number: str,
        caller_id_name: str,
        timeout: float,
        variables: dict[str, str] | None = None,
        leg_variables: Mapping[str, Mapping[str, str]] | None = None,
    ) -> Originated:
        """Ring every (endpoint, leg uuid) at once; the first to answer wins and is parked, the others are
        cancelled (LOSE_RACE). Answered: `leg_uuid` is the winner's. `variables` go to every leg,
        `leg_variables[leg uuid]` to that leg only."""
        ...

    def bridge(self, caller_uuid: str, leg_uuid: str) -> None:
        """Connect a waiting caller to an answered agent leg (uuid_bridge)."""
        ...

    def hangup(self, uuid: str, cause: str = NORMAL_CLEARING) -> None:
        """Tear down any channel (uuid_kill); a channel already gone is not an error."""
        ...

    def channels(self) -> list[LiveChannel]:
        """The switch's live channels, for reconciling agent states after a restart."""
        ...
