"""The events of a stand-in call: each rendered from a captured template for this call (its identity,
variables, the application running, the Other-Leg-* block once a uuid_bridge named a leg), numbered
by the switch's Event-Sequence, and sent to the socket and to the inbound subscribers that want it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Final

from tests.support.standin.agents import Leg
from tests.support.standin.render import EventRenderer
from tests.support.standin.templates import APP_HEADERS
from tests.support.standin.uuid_bridge import other_leg_overrides
from tests.support.standin.wire import serialize_plain

if TYPE_CHECKING:
    from tests.support.standin.call import ScriptedCall, SequenceCounter

SOCKET_DATA: Final = "127.0.0.1:8084 async full"

# switch_channel_state_t, in order: the number is Channel-State-Number.
CHANNEL_STATES: Final = (
    "CS_NEW",
    "CS_INIT",
    "CS_ROUTING",
    "CS_SOFT_EXECUTE",
    "CS_EXECUTE",
    "CS_EXCHANGE_MEDIA",
    "CS_PARK",
    "CS_CONSUME_MEDIA",
    "CS_HIBERNATE",
    "CS_RESET",
    "CS_HANGUP",
    "CS_REPORTING",
    "CS_DESTROY",
)


class EventEmitter:
    """Renders and sends the call's events; the n-th use of a template is its n-th capture."""

    def __init__(self, call: ScriptedCall, sequence: SequenceCounter) -> None:
        self._call = call
        self._sequence = sequence
        self.renderer = EventRenderer(call.identity)
        self.occurrences: Counter[str] = Counter()
        self._other_leg_block: list[tuple[str, str]] = []  # Other-Leg-* once uuid_bridge named a leg

    def attach_other_leg(self, leg: Leg) -> None:
        """From now on every event carries `leg` as Other-Leg-* (the block of a captured CHANNEL_BRIDGE,
        rendered for this leg), spliced in before the variables where a template has none."""
        call = self._call
        self.set_other_leg(leg.uuid)
        try:
            template = call.library.get("CHANNEL_BRIDGE")
        except KeyError:
            return
        headers = self.renderer.render(template, sequence=0, overrides=other_leg_overrides(leg))
        self._other_leg_block = [(name, value) for name, value in headers if name.startswith("Other-")]

    def _with_other_leg(self, headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
        if not self._other_leg_block or any(name == "Other-Leg-Unique-ID" for name, _ in headers):
            return headers
        at = next(
            (i for i, (name, _) in enumerate(headers) if name.startswith("variable_") or name in APP_HEADERS),
            len(headers),
        )
        return [*headers[:at], *self._other_leg_block, *headers[at:]]

    def set_other_leg(self, leg_uuid: str) -> None:
        call = self._call
        call.identity = replace(call.identity, other_leg=leg_uuid)
        self.renderer = EventRenderer(call.identity)

    def emit_state(self, state: str) -> None:
        """CHANNEL_STATE for the channel entering `state` (switch_channel_perform_set_running_state)."""
        self.emit(
            f"CHANNEL_STATE:{state}",
            overrides={"Channel-State": state, "Channel-State-Number": str(CHANNEL_STATES.index(state))},
        )

    def emit_socket_complete(self) -> None:
        call = self._call
        template = call.library.get("CHANNEL_EXECUTE_COMPLETE:socket", self.occurrences["socket"])
        data = dict(template.app_headers).get("Application-Data", SOCKET_DATA)
        self.emit(
            "CHANNEL_EXECUTE_COMPLETE:socket",
            app_headers=[
                ("Application", "socket"),
                ("Application-Data", data),
                ("Application-Response", call.last_response or "_none_"),
                ("Application-UUID", call.socket_app_uuid),
            ],
        )

    def emit(
        self,
        role: str,
        *,
        overrides: Mapping[str, str | None] | None = None,
        app_headers: list[tuple[str, str]] | None = None,
        drop_vars: frozenset[str] = frozenset(),
        drop_prefixes: tuple[str, ...] = (),
    ) -> None:
        call = self._call
        event_name = role.partition(":")[0]
        to_socket = call.subscription.wants(event_name)
        forward = call.phones is not None and call.phones.switch.has_subscriber(event_name)
        if not to_socket and not forward:
            return
        template = call.library.get(role, self.occurrences[role])
        self.occurrences[role] += 1
        in_place = self._in_place_variables()
        fixed: dict[str, str | None] = {"Hangup-Cause": call.hangup_cause}
        if overrides:
            fixed.update(overrides)
        headers = self.renderer.render(
            template,
            sequence=self._sequence.next(),
            overrides=fixed,
            variables=call.vars,
            in_place=in_place,
            script_vars=call.library.script_vars,
            drop_vars=drop_vars,
            drop_prefixes=drop_prefixes,
            app_headers=app_headers or (),
        )
        if not drop_prefixes:
            headers = self._with_other_leg(headers)
        if forward and call.phones is not None:
            call.phones.switch.deliver_headers(event_name, headers, template.body)
        if to_socket and call.subscription.passes(headers):
            call.events_sent.append(role)
            call.send(serialize_plain(headers, template.body))

    def _in_place_variables(self) -> dict[str, str | None]:
        """The channel variables an event shows as they are now, whatever the template captured."""
        call = self._call
        in_place: dict[str, str | None] = {"current_application_response": call.last_response}
        if call.current_app is not None:
            in_place["current_application"] = call.current_app[0]
            in_place["current_application_data"] = call.current_app[1]
        if call.hangup_cause is not None:
            in_place["hangup_cause"] = call.hangup_cause
        return in_place

    def emit_record(self, event_name: str, *, tail: list[tuple[str, str]]) -> None:
        """RECORD_START / RECORD_STOP: the channel's data (switch_channel_event_set_data), then `tail`
        (Record-File-Path, and Record-Completion-Cause for a stop) after the variables, as
        record_callback adds them (SWITCH_STACK_BOTTOM) and both releases send them. Rendered from a
        captured RECORD_* template when the library has one, else from the CHANNEL_PARK template.
        The socket gets it only if it subscribed to it (myevents does not include it)."""
        call = self._call
        if call.deferred_events is not None:
            call.deferred_events.append(lambda: self.emit_record(event_name, tail=tail))
            return
        to_socket = call.subscription.wants(event_name)
        forward = call.phones is not None and call.phones.switch.has_subscriber(event_name)
        if not to_socket and not forward:
            return
        try:
            template = call.library.get(event_name, self.occurrences[event_name])
            self.occurrences[event_name] += 1
            captured = True
        except KeyError:
            template = call.library.get("CHANNEL_PARK")
            captured = False
        in_place = self._in_place_variables()
        overrides: dict[str, str | None] = {"Event-Name": event_name, "Hangup-Cause": call.hangup_cause}
        if captured:
            overrides.update(tail)
        headers = self.renderer.render(
            template,
            sequence=self._sequence.next(),
            overrides=overrides,
            variables=call.vars,
            in_place=in_place,
            script_vars=call.library.script_vars,
            app_headers=() if captured else tail,
        )
        headers = self._with_other_leg(headers)
        if forward and call.phones is not None:
            call.phones.switch.deliver_headers(event_name, headers, None)
        if to_socket and call.subscription.passes(headers):
            call.events_sent.append(event_name)
            call.send(serialize_plain(headers, None))

    def connect_reply(self) -> bytes:
        call = self._call
        template = call.library.connect
        if template is None:
            raise RuntimeError("template library has no connect reply (CHANNEL_DATA)")
        headers = self.renderer.render(
            template,
            sequence=self._sequence.next(),
            variables=dict(call.vars),
            script_vars=call.library.script_vars,
        )
        return "".join(f"{name}: {value}\n" for name, value in headers).encode() + b"\n"
