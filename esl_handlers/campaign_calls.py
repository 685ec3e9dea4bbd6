"""Campaign calls on the switch: dial, let the switch listen, join people to agents' seats, end and report.

`CampaignCalls` carries out what `ivr_scripts.campaigns.campaign_call.CampaignCall` decides, over the
dialer's inbound connection (docs/dialer.md): `bgapi originate` with the call-progress listening in the
leg, the decision read from wait_for_silence's CHANNEL_EXECUTE_COMPLETE, `uuid_bridge` to the
longest-waiting seat, `uuid_transfer` to an inline dialplan for the messages, `uuid_kill` to hang up.
Each finished call goes to `on_finished` (the attempt log and the retry rules). Events must be fed to
`on_switch_event` from a listener subscribed to `EVENTS`; events of legs it does not know are ignored.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final, Protocol

import gevent

from esl_handlers.after_answer import PARK, AfterAnswer
from esl_handlers.call_progress import (
    event_variables,
    heard_from,
    listening_steps,
    machine_message_steps,
    message_steps,
    originate_timeout,
)
from esl_handlers.codec import Event
from esl_handlers.seat_legs import SeatFact, seat_fact, seat_variables
from ivr_scripts.campaigns.call_progress import DetectionSettings, decide
from ivr_scripts.campaigns.campaign_call import (
    AGENT_WAIT,
    Bridge,
    CallStateError,
    CampaignCall,
    Command,
    MachineAction,
    Phase,
    PlayMessage,
)
from ivr_scripts.campaigns.seats import SeatState, SeatTable
from ivr_scripts.switch import Originated, SwitchError

log = logging.getLogger(__name__)

EVENTS: Final = ("CHANNEL_ANSWER", "CHANNEL_PARK", "CHANNEL_EXECUTE_COMPLETE", "CHANNEL_HANGUP_COMPLETE")
CAMPAIGN_VARIABLE: Final = "cc_campaign"
LEAD_VARIABLE: Final = "cc_lead"


class CampaignSwitch(Protocol):
    """What the dialer asks of the switch (esl_handlers.switch.EslSwitch)."""

    def originate(
        self,
        endpoint: str,
        *,
        caller_id_number: str,
        caller_id_name: str,
        timeout: float,
        variables: dict[str, str] | None = None,
        then: AfterAnswer = PARK,
    ) -> Originated: ...

    def bridge(self, caller_uuid: str, leg_uuid: str) -> None: ...

    def hangup(self, uuid: str, cause: str = ...) -> None: ...

    def transfer_inline(self, uuid: str, steps: AfterAnswer) -> bool: ...


@dataclass(frozen=True)
class DialRequest:
    campaign: str
    lead_id: int
    phone: str
    endpoint: str
    caller_id_number: str
    caller_id_name: str
    message_audio: str | None
    """Absolute path of the identification message (dropped calls, and machines unless `machine_audio`);
    None: a dropped call is hung up on with no message (a campaign that names none)."""
    ring_seconds: int = 25
    machine_action: MachineAction = "message"
    machine_audio: str | None = None
    wrap_up_seconds: int = 0
    """The seat of the agent this call reaches takes no customer for this long after it."""


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class CampaignCalls:
    def __init__(
        self,
        switch: CampaignSwitch,
        on_finished: Callable[[CampaignCall], None],
        *,
        detection: DetectionSettings | None = None,
        clock: Callable[[], dt.datetime] = _utcnow,
        on_seat: Callable[[str, str, SeatFact], None] | None = None,
    ) -> None:
        """`on_seat(agent_id, leg, fact)`: a seat's leg was answered (its first park) or is gone."""
        self._switch = switch
        self._on_finished = on_finished
        self._on_seat = on_seat
        self._detection = detection or DetectionSettings()
        self._clock = clock
        self.seats = SeatTable()
        self._calls: dict[str, CampaignCall] = {}
        self._requests: dict[str, DialRequest] = {}
        self._waiting: list[CampaignCall] = []  # people waiting for a seat, the first decided first

    def in_progress(self) -> int:
        return len(self._calls)

    def open_seat(
        self, agent_id: str, endpoint: str, *, ring_seconds: int = 20, leg: str | None = None
    ) -> str:
        """Call the agent's phone for a seat (its leg `leg`, else a new UUID); the seat takes customers
        once the leg is answered and parked."""
        leg = leg or str(uuid.uuid4())
        self.seats.open(agent_id, leg, self._clock())
        variables = {"origination_uuid": leg, **seat_variables(agent_id)}
        gevent.spawn(self._originate_seat, agent_id, leg, endpoint, ring_seconds, variables)
        return leg

    def dial(self, request: DialRequest) -> CampaignCall:
        call_uuid = str(uuid.uuid4())
        call = CampaignCall(
            request.campaign, request.lead_id, request.phone, call_uuid, self._clock(), request.machine_action
        )
        self._calls[call_uuid], self._requests[call_uuid] = call, request
        gevent.spawn(self._originate_customer, call, request)
        return call

    # -- the switch's facts ---------------------------------------------------------------------

    def on_switch_event(self, event: Event) -> None:
        headers = event.headers
        leg = headers.get("Unique-ID", "")
        fact = seat_fact(headers)
        if fact is not None:
            self._seat_fact(fact[0], leg)
            return
        call = self._calls.get(leg)
        if call is None:
            return
        name = headers.get("Event-Name")
        try:
            if name == "CHANNEL_EXECUTE_COMPLETE" and headers.get("Application") == "wait_for_silence":
                if call.decision is None:  # later ones: the machine message waiting for the beep's end
                    self._decided(call, headers)
            elif name == "CHANNEL_HANGUP_COMPLETE":
                self._ended(call, headers.get("Hangup-Cause", "NORMAL_CLEARING"))
        except CallStateError:
            log.warning("campaign call %s: %s out of order, ignored", leg, name, exc_info=True)

    def _seat_fact(self, fact: str, leg: str) -> None:
        # A seat takes customers from its first CHANNEL_PARK on, not from its answer: until then the leg
        # is still being set up.
        now = self._clock()
        if fact == "parked":
            seat = self.seats.by_leg(leg)
            first = seat is not None and seat.state is SeatState.CALLING
            self.seats.answered(leg, now)
            self.seats.parked(leg, now)
            if seat is not None and first:
                self._tell_seat(seat.agent_id, leg, "answered")
            if seat is not None and seat.wrap_up_until is not None:
                gevent.spawn_later((seat.wrap_up_until - now).total_seconds(), self._serve_waiting)
            self._serve_waiting()
        elif fact == "gone":
            self._seat_gone(leg)

    def _seat_gone(self, leg: str) -> None:
        seat = self.seats.gone(leg, self._clock())
        if seat is not None:
            self._tell_seat(seat.agent_id, leg, "gone")

    def _tell_seat(self, agent_id: str, leg: str, fact: SeatFact) -> None:
        if self._on_seat is None:
            return
        try:
            self._on_seat(agent_id, leg, fact)
        except Exception:
            log.exception("seat of agent %s: reporting %s failed", agent_id, fact)

    def _decided(self, call: CampaignCall, headers: Mapping[str, str]) -> None:
        heard = heard_from(event_variables(headers))
        if heard is None:
            return
        now = self._clock()
        if call.phase is Phase.DIALLING:  # the decision overtook the originate's answer
            call.answered(now)
        command = call.heard(decide(heard, self._detection), now)
        if command is not None:
            self._run(command)
            return
        self._waiting.append(call)
        gevent.spawn_later(AGENT_WAIT.total_seconds(), self._expire, call)
        self._serve_waiting()

    def _serve_waiting(self) -> None:
        while self._waiting:
            now = self._clock()
            seats = self.seats.waiting(now)
            if not seats:
                return
            call = self._waiting.pop(0)
            try:
                bridge = call.connect(seats[0].agent_id, seats[0].leg_uuid, now)
            except CallStateError:
                continue  # dropped or gone meanwhile
            request = self._requests.get(call.call_uuid)
            wrap_up = dt.timedelta(seconds=request.wrap_up_seconds if request is not None else 0)
            self.seats.connected(seats[0].leg_uuid, call.call_uuid, now, wrap_up)
            self._run(bridge)

    def _expire(self, call: CampaignCall) -> None:
        now = self._clock()
        command = call.expire(now)
        deadline = call.agent_deadline
        if command is None and deadline is not None:
            # The timer ran early by the clock (gevent times it from the loop's cached time): wait the rest.
            gevent.spawn_later(max(0.0, (deadline - now).total_seconds()), self._expire, call)
        if command is not None:
            if call in self._waiting:
                self._waiting.remove(call)
            self._run(command)

    def _ended(self, call: CampaignCall, cause: str) -> None:
        call.hung_up(cause, self._clock())
        if call in self._waiting:
            self._waiting.remove(call)
        self._finish(call)

    def _finish(self, call: CampaignCall) -> None:
        self._calls.pop(call.call_uuid, None)
        self._requests.pop(call.call_uuid, None)
        try:
            self._on_finished(call)
        except Exception:
            log.exception("campaign call %s: reporting its end failed", call.call_uuid)

    # -- commands -----------------------------------------------------------------------------

    def _run(self, command: Command) -> None:
        request = self._requests.get(command.customer_uuid)
        steps = None
        if isinstance(command, PlayMessage) and request is not None:
            steps = self._message(request, command.to_machine)
        try:
            if isinstance(command, Bridge):
                self._switch.bridge(command.customer_uuid, command.seat_leg)
            elif steps is not None:
                self._switch.transfer_inline(command.customer_uuid, steps)
            else:
                self._switch.hangup(command.customer_uuid)
        except (SwitchError, ValueError):
            log.exception("campaign call %s: %s failed; hanging up", command.customer_uuid, command)
            self._hang_up_quietly(command.customer_uuid)

    def _message(self, request: DialRequest, to_machine: bool) -> AfterAnswer | None:
        """The steps of the message to play, None when the campaign has none (then: hang up)."""
        audio = (request.machine_audio or request.message_audio) if to_machine else request.message_audio
        if audio is None:
            return None
        if to_machine:
            return machine_message_steps(audio, self._detection)
        return message_steps(audio)

    def _hang_up_quietly(self, leg: str) -> None:
        try:
            self._switch.hangup(leg)
        except SwitchError:
            log.warning("campaign call %s: hangup failed too", leg)

    # -- originates (each in its own greenlet) ---------------------------------------------------

    def _originate_customer(self, call: CampaignCall, request: DialRequest) -> None:
        variables = {"origination_uuid": call.call_uuid, CAMPAIGN_VARIABLE: request.campaign}
        variables[LEAD_VARIABLE] = str(request.lead_id)
        try:
            originated = self._switch.originate(
                request.endpoint,
                caller_id_number=request.caller_id_number,
                caller_id_name=request.caller_id_name,
                timeout=originate_timeout(request.ring_seconds),
                variables=variables,
                then=listening_steps(self._detection, [("park", "")]),
            )
        except SwitchError as exc:
            log.warning("campaign call %s to %s: %s", call.call_uuid, request.endpoint, exc)
            originated = Originated("failed", None, "NORMAL_TEMPORARY_FAILURE")
        if call.phase is not Phase.DIALLING:
            return  # the switch's events came first: the answer, or the end (then it is reported)
        if originated.result == "answered":
            call.answered(self._clock())
            return
        call.not_answered(originated.cause, self._clock())
        self._finish(call)

    def _originate_seat(
        self, agent_id: str, leg: str, endpoint: str, ring_seconds: int, variables: dict[str, str]
    ) -> None:
        try:
            originated = self._switch.originate(
                endpoint,
                caller_id_number="0000",
                caller_id_name="Campaign",
                timeout=ring_seconds,
                variables=variables,
            )
        except SwitchError as exc:
            originated = Originated("failed", None, str(exc))
        if originated.result != "answered":
            log.warning("seat of agent %s: the phone did not answer (%s)", agent_id, originated.cause)
            self._seat_gone(leg)
