"""Agent phones behind the stand-in's mod_event_socket: `bgapi originate`, uuid_bridge, uuid_kill
and `show channels|calls as json`, answered from the stand-in's live legs.

switch.agents.phone("user/1001@cc.local", AgentPhone("answer", ring_seconds=0.05))
switch.agents.add_channel(caller_uuid)   # a hand-made caller channel (no socket behind it)
OutboundSwitch(server.address, inbound=switch)  # its calls are channels here: uuid_bridge,
                                                # uuid_kill and show find them (uuid_bridge.py)

Modelled on FreeSWITCH's source: originate_function (mod_commands) answers "+OK <uuid>" or
"-ERR <cause>" after switch_ivr_originate, which rings until originate_timeout and then gives
NO_ANSWER; a busy phone gives USER_BUSY; `user/` to a user without a registration dials
error/user_not_registered, USER_NOT_REGISTERED. uuid_bridge_function answers "+OK <other>" or
"-ERR Invalid uuid"; kill_function "+OK" or "-ERR No such channel!"; show_function as json
{"row_count":N,"rows":[...]} or {"row_count": 0}. The agent leg's events are the captured
templates with the leg's identity and Call-Direction outbound.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final, Literal

import gevent
from gevent.event import Event as GEvent

from tests.support.standin.customers import Customers, Kind, inline_steps, number_of
from tests.support.standin.setvar import uuid_setvar, uuid_setvar_multi
from tests.support.standin.templates import LegKind, LegShape
from tests.support.standin.wire import separate_string

if TYPE_CHECKING:
    from tests.support.standin.call import ScriptedCall
    from tests.support.standin.inbound import InboundCall, InboundSwitch

Behaviour = Literal["answer", "no_answer", "busy", "unregistered", "fail"]
FAILURE_CAUSES: Final = {
    "no_answer": "NO_ANSWER",
    "busy": "USER_BUSY",
    "unregistered": "USER_NOT_REGISTERED",
    "fail": "DESTINATION_OUT_OF_ORDER",
}
HOSTNAME: Final = "vm"
# The columns of FreeSWITCH's channels table (switch_core_sqldb.c), in order.
CHANNEL_COLUMNS: Final = [
    "uuid",
    "direction",
    "created",
    "created_epoch",
    "name",
    "state",
    "cid_name",
    "cid_num",
    "ip_addr",
    "dest",
    "application",
    "application_data",
    "dialplan",
    "context",
    "read_codec",
    "read_rate",
    "read_bit_rate",
    "write_codec",
    "write_rate",
    "write_bit_rate",
    "secure",
    "hostname",
    "presence_id",
    "presence_data",
    "accountcode",
    "callstate",
    "callee_name",
    "callee_num",
    "callee_direction",
    "call_uuid",
    "sent_callee_name",
    "sent_callee_num",
    "initial_cid_name",
    "initial_cid_num",
    "initial_ip_addr",
    "initial_dest",
    "initial_dialplan",
    "initial_context",
]
_BLOCK: Final = re.compile(r"^\{([^}]*)\}(.*)$")
_LEG: Final = re.compile(r"\[([^\]]*)\]([^,\[]*)|([^,\[]+)")


def _variables(block: str) -> dict[str, str]:
    settings: dict[str, str] = {}
    for item in block.split(","):
        key, _, value = item.partition("=")
        settings[key] = value
    return settings


def _legs(dial: str) -> list[tuple[dict[str, str], str]]:
    """`[vars]ep1,[vars]ep2,ep3` as (leg variables, endpoint) pairs."""
    legs: list[tuple[dict[str, str], str]] = []
    for found in _LEG.finditer(dial):
        if found.group(3) is not None:
            legs.append(({}, found.group(3)))
        else:
            legs.append((_variables(found.group(1)), found.group(2)))
    return legs


def _leg_identity(endpoint: str) -> tuple[str, str, str]:
    """(channel name, destination, presence_id) of an originated leg: `user/EXT@DOMAIN` is an agent's
    phone on the agents profile (presence_id EXT@DOMAIN); anything else, e.g. sofia/gateway/GW/NUMBER,
    is a customer dialled out, named as sofia names a gateway leg, with no presence."""
    if endpoint.startswith("user/"):
        extension = endpoint.rsplit("/", 1)[-1].split("@", 1)[0]
        domain = endpoint.split("@", 1)[1] if "@" in endpoint else "127.0.0.1"
        return f"sofia/agents/{extension}@127.0.0.1:5090", extension, f"{extension}@{domain}"
    number = endpoint.rsplit("/", 1)[-1]
    gateway = endpoint.split("/")[2] if endpoint.startswith("sofia/gateway/") else "external"
    return f"sofia/{gateway}/{number}", number, ""


@dataclass(frozen=True)
class AgentPhone:
    """What a phone does when rung: answer after `ring_seconds` (0 unless told), or fail after it
    (default for no_answer: the originate_timeout; for the others at once)."""

    behaviour: Behaviour = "answer"
    ring_seconds: float | None = None
    talk_seconds: float | None = None  # bridged to a caller or eavesdropping, it hangs up after this


@dataclass
class Leg:
    uuid: str
    name: str
    direction: str
    cid_name: str
    cid_num: str
    dest: str
    presence_id: str = ""
    answered: bool = False
    bridged_to: str | None = None
    created_epoch: int = 0
    talk_seconds: float | None = None
    hangup_after_bridge: bool = False
    app: tuple[str, str] | None = None  # the application it runs (originate's `&app(arg)`)
    variables: dict[str, str] = field(default_factory=dict)  # originate's {..} and what apps set
    park_after_bridge: bool = False
    customer: Kind | None = None  # a campaign customer's kind (customers.py)
    steps_run: int = 0  # bumped by uuid_transfer: the inline steps running before stop
    app_uuid: str = ""  # the Application-UUID of its running application
    kind: LegKind = "application"  # "inline": originated with an inline dialplan (a campaign customer)
    # The leg its caller profile names as Other-Leg-* since a uuid_bridge, still after the bridge ended.
    other_leg: str | None = None

    def row(self) -> dict[str, str]:
        values = dict.fromkeys(CHANNEL_COLUMNS, "")
        values.update(
            uuid=self.uuid,
            direction=self.direction,
            created_epoch=str(self.created_epoch),
            name=self.name,
            state="CS_EXECUTE",
            cid_name=self.cid_name,
            cid_num=self.cid_num,
            dest=self.dest,
            application="park" if self.direction == "outbound" else "socket",
            hostname=HOSTNAME,
            presence_id=self.presence_id,
            callstate="ACTIVE" if self.answered else "RINGING",
            call_uuid=self.bridged_to or "",
        )
        return values


@dataclass(frozen=True)
class Eavesdrop:
    """A leg originated with `&eavesdrop(<target>)` that answered (mod_dptools eavesdrop_function reads
    its mode from the leg's own variables: eavesdrop_whisper_aleg, eavesdrop_whisper_bleg, ...)."""

    leg_uuid: str
    target: str
    variables: dict[str, str]
    endpoint: str


@dataclass
class AgentPhones:
    switch: InboundSwitch
    phones: dict[str, AgentPhone] = field(default_factory=dict)
    legs: dict[str, Leg] = field(default_factory=dict)
    originated: list[str] = field(default_factory=list)  # the originate arguments received
    calls: dict[str, ScriptedCall] = field(default_factory=dict)  # socket-controlled channels
    ended: dict[str, str] = field(default_factory=dict)  # leg uuid -> its hangup cause
    eavesdrops: list[Eavesdrop] = field(default_factory=list)
    hung_up: GEvent = field(default_factory=GEvent)
    customers: Customers | None = None  # who answers campaign originates (customers.py)

    def attach(self, call: ScriptedCall) -> None:
        """A call of the outbound side: a channel that uuid_bridge, uuid_kill and show see."""
        self.calls[call.uuid] = call

    def detach(self, call_uuid: str) -> None:
        self.calls.pop(call_uuid, None)

    def phone(self, endpoint: str, phone: AgentPhone) -> None:
        self.phones[endpoint] = phone

    def add_channel(self, uuid: str, number: str = "+15551230001") -> Leg:
        """A caller's channel (inbound, answered), as the outbound side's calls are."""
        leg = Leg(
            uuid, f"sofia/lab/{number}@127.0.0.1:5070", "inbound", number, number, "4001", answered=True
        )
        self.legs[uuid] = leg
        return leg

    # -- API commands ------------------------------------------------------------------------

    def api(self, name: str, arg: str) -> str | None:
        """The answer to `api name arg` if it is one of ours, else None."""
        if name == "originate":
            return self.originate(arg)
        if name == "uuid_bridge":
            return self._bridge(arg.split())
        if name == "uuid_kill":
            return self._kill(arg.split())
        if name == "uuid_transfer":
            return self._transfer(separate_string(arg))
        if name == "show" and arg.split()[:1] in (["channels"], ["calls"]):
            return self._show(arg.split())
        if name == "uuid_setvar":
            return uuid_setvar(self.calls, arg)
        if name == "uuid_setvar_multi":
            return uuid_setvar_multi(self.calls, arg)
        if name == "uuid_record":
            argv = arg.split()
            call = self.calls.get(argv[0]) if argv else None
            if call is None or call.hangup_cause is not None:
                return "-ERR Cannot locate session!\n"
            return call.recorder.api(argv)
        return None

    def originate(self, arg: str) -> str:
        """Run one originate to its end (in the caller's greenlet) and return its output.

        `{global}[leg]ep1,[leg]ep2` rings every leg at once (switch_ivr_originate): the first phone to
        answer wins, the legs still ringing then end with LOSE_RACE; at the timeout every leg still
        ringing ends with NO_ANSWER."""
        self.originated.append(arg)
        argv = separate_string(arg)
        if len(argv) < 2:
            return "-USAGE: <call url> <exten>|&<application_name>(<app_args>) ...\n"
        match = _BLOCK.match(argv[0])
        settings: dict[str, str] = {}
        dial = argv[0]
        if match:
            dial = match.group(2)
            settings = _variables(match.group(1))
        timeout = float(settings.get("originate_timeout") or 60)
        ringing: list[tuple[Leg, AgentPhone]] = []
        refusal = ""
        inline = len(argv) > 2 and argv[2] == "inline"
        for leg_variables, endpoint in _legs(dial):
            phone = self.phones.get(endpoint) or (self._customer(endpoint) if inline else None)
            if phone is None:
                refusal = "SUBSCRIBER_ABSENT"  # user_outgoing_channel: no such user
                continue
            if phone.behaviour == "unregistered":  # error/user_not_registered: no channel at all
                refusal = FAILURE_CAUSES["unregistered"]
                continue
            leg = self._new_leg({**settings, **leg_variables}, endpoint, phone)
            if inline:
                leg.kind = "inline"
            if inline and endpoint not in self.phones and self.customers is not None:
                leg.customer = self.customers.kind_of(number_of(endpoint))
            self.legs[leg.uuid] = leg
            self._emit("CHANNEL_CREATE", leg)
            ringing.append((leg, phone))
        if not ringing:
            return f"-ERR {refusal}\n"
        result = self._ring(ringing, timeout, several=len(ringing) > 1)
        answered = self.legs.get(result[3:].strip()) if result.startswith("+OK") else None
        if answered is not None and inline:  # after BACKGROUND_JOB, as the captures show
            gevent.spawn(self.run_inline, answered, inline_steps(argv[1]))
        elif answered is not None and argv[1].startswith("&") and "(" in argv[1] and argv[1].endswith(")"):
            app, _, app_arg = argv[1][1:-1].partition("(")
            answered.app = (app, app_arg)
            if app == "eavesdrop":
                self._eavesdrop(answered, app_arg, settings, dial)
            else:  # the answered leg runs its application once the job is out (after BACKGROUND_JOB)
                gevent.spawn(self._execute, answered)
        return result

    def _eavesdrop(self, leg: Leg, target: str, settings: dict[str, str], dial: str) -> None:
        """switch_ivr_eavesdrop_session on the answered leg: CHANNEL_EXECUTE eavesdrop (Application-Data:
        the target). Without a live target it returns at once and the leg's one-application extension
        ends (NORMAL_CLEARING); else it runs until the supervisor hangs up (`talk_seconds`) or the
        leg is killed: CHANNEL_HANGUP, EXECUTE_COMPLETE eavesdrop, CHANNEL_HANGUP_COMPLETE, as the
        captures show (tests/transcripts/*/eavesdrop_*_inbound.jsonl)."""
        self.eavesdrops.append(Eavesdrop(leg.uuid, target, dict(settings), dial))
        call = self.calls.get(target)
        live = (call is not None and call.hangup_cause is None) or target in self.legs
        if not live:
            self._execute(leg)
            self.hang_up_leg(leg.uuid, "NORMAL_CLEARING")
            return
        gevent.spawn(self._execute, leg)
        if leg.talk_seconds is not None:
            gevent.spawn_later(leg.talk_seconds, self.hang_up_leg, leg.uuid, "NORMAL_CLEARING")

    def _execute(self, leg: Leg) -> None:
        """CHANNEL_EXECUTE of the leg's application, if the leg is still there; `park` then parks it
        (CHANNEL_PARK, as campaign_person_inbound shows for the seat's `&park()`)."""
        if leg.app is not None and leg.uuid in self.legs:
            self._emit_app("CHANNEL_EXECUTE", leg, leg.app)
            if leg.app[0] == "park":
                self._emit("CHANNEL_PARK", leg)

    def _customer(self, endpoint: str) -> AgentPhone | None:
        """How a campaign customer behaves when rung (customers.py), None without customers."""
        customers = self.customers
        if customers is None:
            return None
        kind = customers.kind_of(number_of(endpoint))
        if kind in ("busy", "no_answer"):
            return AgentPhone(kind, ring_seconds=customers.ring_seconds)
        talk = customers.talk_seconds if kind == "person" else None
        return AgentPhone("answer", ring_seconds=customers.ring_seconds, talk_seconds=talk)

    def run_inline(self, leg: Leg, steps: list[tuple[str, str]]) -> None:
        """The leg's inline dialplan, step by step, as the campaign captures show: each application's
        CHANNEL_EXECUTE and EXECUTE_COMPLETE; wait_for_silence completes after `listen_seconds` with
        what the switch heard; `park` parks (CHANNEL_PARK) and stays; `hangup` ends the leg. A
        uuid_transfer (or the leg's end) stops the steps."""
        run = leg.steps_run
        customers = self.customers
        for app, arg in steps:
            if leg.uuid not in self.legs or leg.steps_run != run:
                return
            leg.app = (app, arg)
            if app == "hangup":
                self._emit_app("CHANNEL_EXECUTE", leg, leg.app)
                self.hang_up_leg(leg.uuid, arg or "NORMAL_CLEARING")
                return
            self._execute(leg)
            if app == "park":
                return
            if app in ("wait_for_silence", "playback") and customers is not None:
                waited = customers.listen_seconds if app == "wait_for_silence" else customers.message_seconds
                gevent.sleep(waited)
                if app == "wait_for_silence" and leg.customer == "machine" and arg.split()[2:3] == ["0"]:
                    self._beep(leg)
                if leg.uuid not in self.legs or leg.steps_run != run:
                    return
            if app == "wait_for_silence" and customers is not None and leg.customer in ("person", "machine"):
                listen_hits = [*arg.split(), "", "", ""][2]
                kind: Kind = "person" if leg.customer == "person" else "machine"
                leg.variables.update(customers.heard(kind, listen_hits))
            self._complete(leg, "FILE PLAYED" if app == "playback" else "_none_")

    def _beep(self, leg: Leg) -> None:
        """mod_avmd's CUSTOM avmd::beep while the machine message waits for the greeting's end (it came
        after the decision in campaign_machine_inbound); only from a library that captured one."""
        if self.switch.has_subscriber("CUSTOM") and "CUSTOM" in self.switch.library.roles:
            self._emit("CUSTOM", leg)

    def _transfer(self, argv: list[str]) -> str:
        """uuid_transfer <uuid> '<steps>' inline: `+OK`, then the running application completes and the
        steps run (campaign_dropped_inbound, campaign_machine_inbound). Only the inline dialplan is
        modelled."""
        if len(argv) < 2:
            return "-USAGE: [-bleg|-both] <uuid> <dest-exten> [<dialplan>] [<context>]\n"
        leg = self.legs.get(argv[0])
        if leg is None:
            return "-ERR No such channel!\n"
        if argv[2:3] != ["inline"]:
            return "-ERR only the inline dialplan is modelled\n"
        leg.steps_run += 1

        def transferred() -> None:
            self._complete(leg)
            self.run_inline(leg, inline_steps(argv[1]))

        gevent.spawn(transferred)
        return "+OK\n"

    def _complete(self, leg: Leg, response: str = "_none_") -> None:
        """CHANNEL_EXECUTE_COMPLETE of the leg's running application (`_none_`), which then ends."""
        if leg.app is not None:
            app, leg.app = leg.app, None
            self._emit_app("CHANNEL_EXECUTE_COMPLETE", leg, app, response)

    def _new_leg(self, settings: dict[str, str], endpoint: str, phone: AgentPhone) -> Leg:
        name, dest, presence_id = _leg_identity(endpoint)
        return Leg(
            uuid=settings.get("origination_uuid") or str(uuid.uuid4()),
            name=name,
            direction="outbound",
            cid_name=settings.get("origination_caller_id_name", ""),
            cid_num=settings.get("origination_caller_id_number", ""),
            dest=dest,
            presence_id=presence_id,
            created_epoch=int(gevent.get_hub().loop.now()),
            talk_seconds=phone.talk_seconds,
            hangup_after_bridge=settings.get("hangup_after_bridge", "").lower() == "true",
            variables=dict(settings),
            park_after_bridge=settings.get("park_after_bridge", "").lower() == "true",
        )

    def _ring(self, ringing: list[tuple[Leg, AgentPhone]], timeout: float, *, several: bool) -> str:
        """Each phone acts after its ring time, in time order; the first answer ends the others."""

        def acts_at(phone: AgentPhone) -> float:
            default = timeout if phone.behaviour == "no_answer" else 0.0
            return min(timeout, phone.ring_seconds if phone.ring_seconds is not None else default)

        started = gevent.get_hub().loop.now()
        cause = "ORIGINATOR_CANCEL"  # every leg killed while ringing
        winner: Leg | None = None
        for leg, phone in sorted(ringing, key=lambda pair: acts_at(pair[1])):
            deadline = started + acts_at(phone)
            # Woken early when legs are killed: with none left ringing the originate ends at once.
            while (left := deadline - gevent.get_hub().loop.now()) > 0 and any(
                other.uuid in self.legs for other, _ in ringing
            ):
                self.hung_up.clear()
                self.hung_up.wait(left)
            if leg.uuid not in self.legs:  # killed while ringing
                continue
            if phone.behaviour == "answer" and acts_at(phone) < timeout:
                winner = leg
                break
            cause = FAILURE_CAUSES["no_answer" if phone.behaviour == "answer" else phone.behaviour]
            del self.legs[leg.uuid]
            self.ended[leg.uuid] = cause
            self._end(leg, cause)
        for leg, _ in ringing:
            if leg is not winner and leg.uuid in self.legs:
                del self.legs[leg.uuid]
                self.ended[leg.uuid] = "LOSE_RACE" if several else "NO_ANSWER"
                self._end(leg, self.ended[leg.uuid])
        if winner is None:
            return f"-ERR {cause}\n"
        winner.answered = True
        self._emit("CHANNEL_ANSWER", winner)
        return f"+OK {winner.uuid}\n"

    def _bridge(self, argv: list[str]) -> str:
        if len(argv) < 2:
            return "-USAGE: <uuid> <other_uuid>\n"
        call = self.calls.get(argv[0])
        if call is not None:
            return self._bridge_call(call, self.legs.get(argv[1]))
        a, b = self.legs.get(argv[0]), self.legs.get(argv[1])
        if a is None or b is None or a is b:
            return "-ERR Invalid uuid\n"
        if not (a.answered and b.answered) or a.bridged_to is not None or b.bridged_to is not None:
            return "-ERR Invalid uuid\n"
        a.bridged_to, b.bridged_to = b.uuid, a.uuid
        a.other_leg, b.other_leg = b.uuid, a.uuid
        if a.direction == b.direction == "outbound":
            gevent.spawn(self._bridge_legs, a, b)
            return f"+OK {b.uuid}\n"
        for leg in (a, b):
            if leg.direction == "outbound":
                self._emit("CHANNEL_BRIDGE", leg)
        for leg in (a, b):
            if leg.talk_seconds is not None:
                gevent.spawn_later(leg.talk_seconds, self.hang_up_leg, leg.uuid, "NORMAL_CLEARING")
        return f"+OK {b.uuid}\n"

    def _bridge_legs(self, a: Leg, b: Leg) -> None:
        """Two originated legs (a customer and a seat), after the api reply: each one's running application
        completes, each runs uuid_bridge (Application-Data: the other), and only the originator `a` fires
        CHANNEL_BRIDGE (campaign_person_inbound)."""
        self._complete(a)
        self._complete(b)
        self._emit_app("CHANNEL_EXECUTE", a, ("uuid_bridge", b.uuid))
        self._emit_app("CHANNEL_EXECUTE", b, ("uuid_bridge", a.uuid))
        self._emit("CHANNEL_BRIDGE", a)
        for leg in (a, b):
            if leg.talk_seconds is not None:
                gevent.spawn_later(leg.talk_seconds, self.hang_up_leg, leg.uuid, "NORMAL_CLEARING")

    def _bridge_call(self, call: ScriptedCall, leg: Leg | None) -> str:
        """uuid_bridge <socket call> <leg>: the call is the originator (switch_ivr_uuid_bridge)."""
        if leg is None or not leg.answered or call.hangup_cause is not None or call.bridged:
            return "-ERR Invalid uuid\n"
        leg.bridged_to = leg.other_leg = call.uuid
        gevent.spawn(self._complete, leg)  # after the api reply: the leg's &park() ends
        call.request_uuid_bridge(leg)
        if leg.talk_seconds is not None:
            gevent.spawn_later(leg.talk_seconds, self.hang_up_leg, leg.uuid, "NORMAL_CLEARING")
        return f"+OK {leg.uuid}\n"

    def hang_up_leg(self, leg_uuid: str, cause: str) -> bool:
        """The agent's leg ends (the agent hangs up, uuid_kill, or its bridge partner left)."""
        leg = self.legs.pop(leg_uuid, None)
        if leg is None:
            return False
        self.ended[leg.uuid] = cause
        self.hung_up.set()  # a multi-leg originate waiting on this leg looks again
        other = self.legs.get(leg.bridged_to or "")
        if other is not None and other.park_after_bridge and leg.direction == other.direction == "outbound":
            self._end_parking_partner(leg, other, cause)
            return True
        self._end(leg, cause)
        call = self.calls.get(leg.bridged_to or "")
        if call is not None:
            call.partner_hung_up(leg.uuid, cause)
        if other is not None:
            # Two originated legs: the originatee is hung up with NORMAL_CLEARING by the bridge
            # (audio_bridge_on_exchange_media); the originator with the leg's cause when
            # hangup_after_bridge is set, else when its inline `&park()` extension runs out.
            self.hang_up_leg(other.uuid, cause if other.hangup_after_bridge else "NORMAL_CLEARING")
        return True

    def _end_parking_partner(self, leg: Leg, seat: Leg, cause: str) -> None:
        """A customer bridged to a seat with park_after_bridge hangs up: its CHANNEL_HANGUP, the seat's
        CHANNEL_PARK, its CHANNEL_UNBRIDGE, its CHANNEL_HANGUP_COMPLETE (campaign_person_inbound). The seat
        stays up, parked with no application running (uuid_kill then ends it with no completion)."""
        if self.switch.has_subscriber("CHANNEL_HANGUP"):
            self._emit("CHANNEL_HANGUP", leg, cause)
        seat.bridged_to = None
        seat.app = None
        self._emit("CHANNEL_PARK", seat)
        self._emit("CHANNEL_UNBRIDGE", leg)
        self._emit("CHANNEL_HANGUP_COMPLETE", leg, cause)

    def _kill(self, argv: list[str]) -> str:
        if not argv:
            return "-USAGE: <uuid> [cause]\n"
        cause = argv[1] if len(argv) > 1 else "NORMAL_CLEARING"
        call = self.calls.get(argv[0])
        if call is not None:  # kill_function: switch_channel_hangup(channel, cause)
            call.hangup(cause, by="api")
            return "+OK\n"
        leg = self.legs.get(argv[0])
        if leg is None:
            return "-ERR No such channel!\n"
        # After the api reply, as campaign_machine_killed_inbound shows; a bridged partner goes too.
        gevent.spawn(self.hang_up_leg, leg.uuid, cause)
        return "+OK\n"

    def _show(self, argv: list[str]) -> str:
        if argv[1:] != ["as", "json"]:
            return "-ERR only 'as json' is modelled\n"
        live = [call.channel_row() for call in self.calls.values() if call.hangup_cause is None]
        legs = sorted([*live, *self.legs.values()], key=lambda leg: leg.created_epoch)
        if argv[0] == "channels":
            rows = [leg.row() for leg in legs]
        else:
            rows = [
                self._call_row(leg)
                for leg in legs
                if leg.bridged_to in self.legs and leg.direction == "inbound"
            ]
        if not rows:
            return '{"row_count": 0}\n'
        return json.dumps({"row_count": len(rows), "rows": rows}, separators=(",", ":"))

    def _call_row(self, leg: Leg) -> dict[str, str]:
        """basic_calls: the a-leg's columns, then the b-leg's as b_<column>."""
        row = leg.row()
        other = self.legs[leg.bridged_to or ""]
        row.update({f"b_{key}": value for key, value in other.row().items()})
        return row

    # -- events --------------------------------------------------------------------------------

    def _end(self, leg: Leg, cause: str) -> None:
        """A leg ends: CHANNEL_HANGUP, the running application's completion, CHANNEL_HANGUP_COMPLETE,
        as in the captures (tests/transcripts/*/agent_*_inbound.jsonl, eavesdrop_*_inbound.jsonl)."""
        if self.switch.has_subscriber("CHANNEL_HANGUP"):
            self._emit("CHANNEL_HANGUP", leg, cause)
        self._complete(leg)
        self._emit("CHANNEL_HANGUP_COMPLETE", leg, cause)

    def bridged_by(self, leg: Leg, caller_uuid: str) -> None:
        """uuid_bridge_on_soft_execute on the leg: its own CHANNEL_EXECUTE uuid_bridge."""
        self._emit_app("CHANNEL_EXECUTE", leg, ("uuid_bridge", caller_uuid))

    def _emit_app(self, event_name: str, leg: Leg, app: tuple[str, str], response: str | None = None) -> None:
        if not self.switch.has_subscriber(event_name):
            return
        headers = [("Application", app[0])]
        if app[1]:
            headers.append(("Application-Data", app[1]))
        if response is not None:
            headers.append(("Application-Response", response))
        if event_name == "CHANNEL_EXECUTE":  # the switch's own id of this execution, on both events
            leg.app_uuid = str(uuid.uuid4())
        # uuid_bridge_on_soft_execute fires its CHANNEL_EXECUTE itself, with no Application-UUID (both
        # releases: campaign_person_inbound).
        if app[0] != "uuid_bridge":
            headers.append(("Application-UUID", leg.app_uuid))
        self._emit(event_name, leg, role=f"{event_name}:{app[0]}", app_headers=headers)

    def _emit(
        self,
        event_name: str,
        leg: Leg,
        cause: str = "NORMAL_CLEARING",
        *,
        role: str | None = None,
        app_headers: list[tuple[str, str]] | None = None,
    ) -> None:
        from tests.support.standin.inbound import InboundCall  # noqa: PLC0415 - inbound imports this module

        call: InboundCall = InboundCall(
            uuid=leg.uuid,
            caller_number=leg.cid_num,
            caller_name=leg.cid_name or leg.cid_num,
            destination=leg.dest,
            hangup_cause=cause,
        )
        direction = leg.direction
        self.switch.emit(
            event_name,
            call,
            overrides={
                "Channel-Name": leg.name,
                "Caller-Channel-Name": leg.name,
                "Call-Direction": direction,
                "Presence-Call-Direction": direction,
                "Caller-Direction": direction,
                "Caller-Logical-Direction": direction,
                "Other-Leg-Unique-ID": leg.bridged_to or leg.other_leg,
                "Channel-Presence-ID": leg.presence_id or None,  # a customer's gateway leg has none
                **({"Hangup-Cause": cause} if event_name == "CHANNEL_HANGUP" else {}),
            },
            variables={"direction": direction, "presence_id": leg.presence_id or None},
            channel_variables=leg.variables,
            role=role,
            app_headers=app_headers,
            leg=LegShape(leg.kind, names_other_leg=(leg.bridged_to or leg.other_leg) is not None),
        )
