"""The application server's hold on FreeSWITCH's state: the event listener, the CDR backstop, what
is done when the switch goes away and comes back, and the calls a killed worker left behind.

- The event listener records every call's CDR events and recording events and feeds the ACD; it
  also follows the calls in progress (esl_handlers.switch_watch), so that when the switch comes back
  after a restart or a crash the calls it lost are closed and the agents reconciled, in one log line.
- The CDR backstop (esl_handlers.cdr_backstop) reads FreeSWITCH's own record of each ended call, for
  the calls that ended while this server was not listening.
- `release_orphans_of` is the supervisor's (callcenter.supervisor): the calls a killed worker held,
  sent to their fallback at once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from callcenter.server_config import ServerConfig
from dialplans.clock import Clock
from esl_handlers.acd_server import QueueServer
from esl_handlers.cdr import CDR_EVENTS
from esl_handlers.cdr_backstop import CdrBackstop
from esl_handlers.codec import Event
from esl_handlers.db_writer import CallRecordWriter
from esl_handlers.event_listener import EventListener
from esl_handlers.orphans import release_orphans
from esl_handlers.recording_events import RECORD_EVENTS
from esl_handlers.switch import EslSwitch
from esl_handlers.switch_watch import CallsInProgress, SwitchWatch


@dataclass(frozen=True)
class SwitchLink:
    listener: EventListener
    calls: CallsInProgress
    watch: SwitchWatch
    cdr_backstop: CdrBackstop | None
    probe: EslSwitch  # lists the live channels when the switch comes back
    owns_probe: bool  # opened here (no ACD or API connection to share): closed on stop


def build_switch_link(
    config: ServerConfig,
    writer: CallRecordWriter,
    on_event: Callable[[Event], None],
    *,
    switch: EslSwitch | None,
    queues: QueueServer | None,
    clock: Clock,
) -> SwitchLink:
    """`on_event` gets every event after the calls in progress have been updated; `switch` is the
    ACD's and API's inbound connection, if there is one, shared for listing channels."""
    calls = CallsInProgress()
    probe = switch if switch is not None else EslSwitch(config.esl_host, config.esl_port, config.esl_password)

    def reconcile_agents() -> int:
        return 0 if queues is None else queues.desk.reconcile_again(probe)

    watch = SwitchWatch(
        calls,
        writer,
        live_calls=lambda: {row["uuid"] for row in probe.show("channels") if row.get("uuid")},
        reconcile_agents=reconcile_agents,
        cdr_dir=config.cdr_dir,
        clock=clock,
    )

    def each_event(event: Event) -> None:
        calls.on_event(event)
        on_event(event)

    listener = EventListener(
        each_event,
        host=config.esl_host,
        port=config.esl_port,
        password=config.esl_password,
        events=(*CDR_EVENTS, *RECORD_EVENTS),
        on_session=watch.reconnected,
        on_lost=watch.lost,
    )
    backstop = None
    if config.cdr_dir is not None:
        backstop = CdrBackstop(config.cdr_dir, writer, on_ended=calls.ended)
    return SwitchLink(listener, calls, watch, backstop, probe, owns_probe=switch is None)


def release_orphans_of(config: ServerConfig) -> set[str]:
    """Send the calls a killed worker left on `config`'s switch to their fallback (the supervisor's)."""
    switch = EslSwitch(config.esl_host, config.esl_port, config.esl_password)
    try:
        return release_orphans(switch)
    finally:
        switch.close()
