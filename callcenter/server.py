"""The application server process, assembled: outbound-socket server, event listener and database writer.

`Application` wires one builder per capability (call records, the IVR and how calls reach it,
supervision, the HTTP API, the ACD, the event listener); each room's parts know nothing of the others,
so the HTTP API gets the `Supervisor` from here.

SIGHUP reloads the YAML dialplan without a restart: the new file is validated first, and a
dialplan with errors is refused (the old one keeps running and the errors are logged). Calls in
progress finish on the runner they started with. SIGTERM and SIGINT stop the server, then flush
the writer so no record is lost; what the database has not taken by then stays in the writer's
disk spool (var/spool) and is replayed at the next start.

Recordings: every runner records calls as the dialplan's policies say, through a
`WriterRecordingLog`; RECORD_START / RECORD_STOP from the event listener and from each call's socket
fill the recordings table, and each closed file is hashed (esl_handlers.recording_events).

The CRM: every runner screens callers and serves self-service through `SqlCallerDirectory`
(schema.adapters.crm_directory) and records what it decided through `WriterCrmSink`; the YAML's
blacklist and VIP numbers are synced into `screening_rules` at start and on each reload. With
`api_port` set, the HTTP API (http_api) runs in the same process, and the ACD pushes each offered
call's screen pop to the agent's open event streams through the API's hub; the API's supervision and
PCI-pause calls go to a `Supervisor`
(esl_handlers.supervision) over the inbound event socket.
"""

from __future__ import annotations

import functools
import logging
import signal
from collections.abc import Callable

import gevent
import gevent.event
from sqlalchemy import Engine

from callcenter.acd_wiring import AcdTiming, build_acd
from callcenter.api_wiring import build_http_api
from callcenter.desk_wiring import build_desk_calls
from callcenter.dialer_wiring import build_dialer
from callcenter.dialplan_holder import CrmWiring, DialplanHolder
from callcenter.server_config import ServerConfig
from callcenter.stats_wiring import build_live_stats
from callcenter.switch_link import build_switch_link
from dialplans.clock import Clock
from dialplans.models import Dialplan
from dialplans.prompt_audio import check_prompt_dir, synthesis_voices
from esl_handlers.acd_server import QueueServer, SettingsTuning, untuned
from esl_handlers.agent_watch import AgentChangeWatcher
from esl_handlers.codec import Event
from esl_handlers.control import ControlServer
from esl_handlers.crm_sink import WriterCrmSink
from esl_handlers.db_writer import CallRecordWriter
from esl_handlers.outbound_server import OutboundServer
from esl_handlers.parked_calls import ParkedCallServer
from esl_handlers.record_spool import RecordSpool
from esl_handlers.recording_events import RecordingEvents
from esl_handlers.recording_log import WriterRecordingLog
from esl_handlers.session import IvrCallHandler, submit_event
from esl_handlers.supervision import Supervisor
from esl_handlers.switch import EslSwitch
from ivr_scripts.prompts import PromptAudio
from ivr_scripts.runner import utc_now
from schema.acd.agent_notify import AgentChange
from schema.calls.writes import write_batch
from schema.db import create_engine_from_url
from schema.migrate import upgrade

__all__ = ["Application", "ServerConfig", "serve"]

log = logging.getLogger(__name__)


def prompt_audio(config: ServerConfig) -> PromptAudio | None:
    """Where the runners look for synthesized prompts; ValueError for a directory FreeSWITCH cannot take."""
    if config.prompt_dir is None:
        return None
    return PromptAudio(check_prompt_dir(config.prompt_dir), synthesis_voices(config.tts_voice))


# -- one builder per capability ------------------------------------------------------------------


def build_call_records(config: ServerConfig) -> tuple[Engine, CallRecordWriter]:
    """The database and the writer every call's records (CDRs, steps, CRM, recordings) go through."""
    engine = create_engine_from_url(config.database_url)
    writer = CallRecordWriter(
        functools.partial(write_batch, engine),
        dead_letter=config.dead_letter,
        spool=RecordSpool(config.spool_dir),
    )
    return engine, writer


def build_ivr(
    config: ServerConfig,
    clock: Clock,
    engine: Engine,
    writer: CallRecordWriter,
    recording_events: RecordingEvents,
) -> DialplanHolder:
    """The runners: the CRM wired to `engine` and the writer, calls recorded as the policies say."""
    return DialplanHolder(
        config.dialplan,
        clock,
        CrmWiring(engine, WriterCrmSink(writer)),
        WriterRecordingLog(writer, recording_events),
        prompt_audio(config),
    )


def build_call_server(config: ServerConfig, handler: IvrCallHandler) -> OutboundServer | ParkedCallServer:
    """How calls reach the runners: parked on one inbound connection, or one outbound socket each."""
    if config.call_control == "park":
        return ParkedCallServer(
            handler,
            host=config.esl_host,
            port=config.esl_port,
            password=config.esl_password,
            tts_engine=config.tts_engine or "",
            tts_voice=config.tts_voice,
        )
    return OutboundServer(
        handler,
        host=config.app_host,
        port=config.app_port,
        backlog=config.backlog,
        tts_engine=config.tts_engine or "",
        tts_voice=config.tts_voice,
        limits=config.app_limits,
    )


def build_supervision(
    config: ServerConfig,
    engine: Engine,
    writer: CallRecordWriter,
    recording_events: RecordingEvents,
    dialplan: Callable[[], Dialplan],
) -> tuple[EslSwitch | None, Supervisor | None]:
    """The inbound connection the ACD's agent legs and the API's supervision share (opened on use),
    and the Supervisor on it; neither without the ACD or the API."""
    if not config.acd and config.api_port is None:
        return None, None
    switch = EslSwitch(config.esl_host, config.esl_port, config.esl_password)
    supervisor = Supervisor(
        switch,
        config.agent_domain,
        engine,
        recordings=WriterRecordingLog(writer, recording_events),
        dialplan=dialplan,
    )
    return switch, supervisor


class Application:
    """The wired server; `start` and `stop` are separate so tests can run it in-process."""

    def __init__(
        self,
        config: ServerConfig,
        *,
        clock: Clock = utc_now,
        acd_tuning: SettingsTuning = untuned,
        acd_tick_seconds: float = 1.0,
    ) -> None:
        """`acd_tuning` adjusts each queue's settings (tests shorten the YAML's minimum times)."""
        self.config = config
        self.engine, self.writer = build_call_records(config)
        self.recording_events = RecordingEvents(self.writer, self._recording_directory)
        self.dialplans = build_ivr(config, clock, self.engine, self.writer, self.recording_events)
        self.switch, self.supervisor = build_supervision(
            config, self.engine, self.writer, self.recording_events, lambda: self.dialplans.loaded.model
        )
        self.stats = build_live_stats(config, self.engine, self.dialplans, clock)
        wake = self._agent_changed_here  # an agent's state changed through the API or the desk's dialling
        self.desk = build_desk_calls(
            config, self.dialplans, self.engine, self.switch, clock=clock, on_agent_change=wake
        )
        http = build_http_api(
            config,
            self.engine,
            self.dialplans,
            self.supervisor,
            self.stats,
            on_agent_change=wake,
            desk=self.desk,
        )
        self.push = None if http is None else http.push
        self.screen_pops = None if http is None else http.screen_pops
        self.api = None if http is None else http.api
        self.api_pool = None if http is None else http.pool
        self._wire_acd(AcdTiming(clock, acd_tuning, acd_tick_seconds))
        self.dialer = build_dialer(
            config,
            self.dialplans.loaded,
            self.engine,
            self.switch,
            prompts=self.dialplans.runner.prompts,
            clock=clock,
            on_agent_change=self._agent_changed_here,
        )
        self.handler = IvrCallHandler(self.dialplans, self.writer, self.recording_events)
        self.server: OutboundServer | ParkedCallServer = build_call_server(config, self.handler)
        self.link = build_switch_link(
            config, self.writer, self._on_event, switch=self.switch, queues=self.queues, clock=clock
        )
        self.listener, self.cdr_backstop = self.link.listener, self.link.cdr_backstop

    def _wire_acd(self, timing: AcdTiming) -> None:
        """The ACD when this server runs one (a switch and `config.acd`): the queues, the watcher of
        agents' changes made elsewhere, the control socket."""
        self.queues: QueueServer | None = None
        self.agent_watch: AgentChangeWatcher | None = None
        self.control: ControlServer | None = None
        if self.switch is None or not self.config.acd:
            return
        acd = build_acd(
            self.config,
            self.dialplans.loaded.model,
            self.engine,
            self.switch,
            self.writer,
            timing=timing,
            screen_pops=self.screen_pops,
            on_agent_change=self._on_agent_change,
            stats=self.stats,
        )
        self.queues, self.agent_watch, self.control = acd.queues, acd.agent_watch, acd.control
        self.dialplans.use_queues(self.queues)

    @property
    def outbound(self) -> OutboundServer:
        """The outbound socket server (call_control "socket")."""
        if not isinstance(self.server, OutboundServer):
            raise RuntimeError("this application takes parked calls: it has no outbound socket server")
        return self.server

    def _recording_directory(self) -> str:
        return self.dialplans.loaded.model.recording.directory

    def _on_event(self, event: Event) -> None:
        submit_event(self.writer, event)
        self.recording_events.on_event(event)
        if self.queues is not None:
            self.queues.on_switch_event(event)
        if self.desk is not None:
            self.desk.on_switch_event(event)

    def _on_agent_change(self, change: AgentChange) -> None:
        if self.queues is not None:
            self.queues.agent_changed(None if change.resync else change.agent_id)
        if self.stats is not None:
            self.stats.changed_elsewhere(None if change.resync else change.agent_id)

    def _agent_changed_here(self, agent_id: str) -> None:
        if self.queues is not None:
            self.queues.agent_changed(agent_id)
        if self.stats is not None:
            self.stats.changed_elsewhere(agent_id)

    def start(self) -> None:
        self.writer.start()
        if self.cdr_backstop is not None:
            self.cdr_backstop.start()  # first the calls that ended while this server was away
        self.dialplans.sync_screening_rules()
        if self.queues is not None:
            self.queues.start()  # reconciles agents with the switch before any call is taken
        if self.agent_watch is not None:
            self.agent_watch.start()
        if self.control is not None:
            self.control.start()
        self.server.start()
        self.listener.start()
        if self.dialer is not None:
            self.dialer.start()  # after the ACD: its seats reserve agents the ACD knows
        if self.stats is not None:
            self.stats.start()
        if self.api is not None:
            self.api.start()

    def stop(self) -> list[str]:
        """Stop every part; the names of those that failed (each logged), in order.

        Call records are flushed whatever else fails: the parts that still produce records (the API,
        the event listener, the call server, the queues, the recording events) stop first, each
        failure logged and passed over, then the writer flushes, and only then the rest.
        """
        failed: list[str] = []

        def attempt(part: str, stop: Callable[[], object]) -> None:
            try:
                stop()
            except Exception:
                log.exception("stopping the %s failed; going on with the shutdown", part)
                failed.append(part)

        try:
            if self.push is not None:
                attempt("event streams", self.push.close)  # the API then stops at once
            if self.stats is not None:
                attempt("live statistics", self.stats.stop)
            if self.api is not None:
                attempt("HTTP API", self.api.stop)
            if self.api_pool is not None:
                attempt("HTTP API's threads", self.api_pool.close)
            self.link.watch.closing()
            attempt("event listener", self.listener.stop)
            if self.cdr_backstop is not None:
                attempt("CDR backstop", self.cdr_backstop.stop)
            if self.dialer is not None:
                attempt("dialer", self.dialer.stop)
            attempt("call server", lambda: self.server.stop(timeout=5))
            if self.queues is not None:
                attempt("queue server", self.queues.stop)
            attempt("recording events", self.recording_events.stop)
        finally:
            attempt("call record writer", lambda: self.writer.stop(timeout=10))
        if self.control is not None:
            attempt("control socket", self.control.stop)
        if self.agent_watch is not None:
            attempt("agent watcher", self.agent_watch.stop)
        if self.switch is not None:
            attempt("switch connection", self.switch.close)
        if self.link.owns_probe:
            attempt("switch probe connection", self.link.probe.close)
        if self.screen_pops is not None:
            attempt("screen pops", self.screen_pops.stop)
        # Database work still running in the thread pool holds pooled connections; let it finish so
        # dispose() closes them rather than leaving them to the garbage collector.
        with gevent.Timeout(10, False):
            gevent.get_hub().threadpool.join()
        attempt("database engine", self.engine.dispose)
        return failed


def serve(config: ServerConfig) -> None:
    """Run until SIGTERM or SIGINT; migrate the database first so a fresh checkout just works."""
    upgrade(config.database_url)
    app = Application(config)
    stopping = gevent.event.Event()
    gevent.signal_handler(signal.SIGTERM, stopping.set)
    gevent.signal_handler(signal.SIGINT, stopping.set)
    gevent.signal_handler(signal.SIGHUP, app.dialplans.reload)
    app.start()
    stopping.wait()
    log.info("stopping")
    failed = app.stop()
    if failed:
        raise SystemExit(f"stopped, but these parts failed to stop cleanly: {', '.join(failed)}")
