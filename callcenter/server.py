"""The application server process: outbound-socket server, event listener and database writer.

SIGHUP reloads the YAML dialplan without a restart: the new file is validated first, and a
dialplan with errors is refused (the old one keeps running and the errors are logged). Calls in
progress finish on the runner they started with. SIGTERM and SIGINT stop the server, then flush
the writer so no record is lost.

Recordings: every runner records calls as the dialplan's policies say, through a
`WriterRecordingLog`; RECORD_START / RECORD_STOP from the event listener and from each call's socket
fill the recordings table, and each closed file is hashed (esl_handlers.recording_events).

The CRM: every runner screens callers and serves self-service through `SqlCallerDirectory` and
records what it decided through `WriterCrmSink`; the YAML's blacklist and VIP numbers are synced
into `screening_rules` at start and on each reload. With `api_port` set, the HTTP API (http_api)
runs in the same process, and the ACD pushes each offered call's screen pop to the agent's open
event streams through the API's hub; the API's supervision and PCI-pause calls go to a `Supervisor`
(esl_handlers.supervision) over the inbound event socket.
"""

from __future__ import annotations

import functools
import logging
import signal
import socket
from dataclasses import dataclass
from pathlib import Path

import gevent
import gevent.event
from sqlalchemy import Engine

from dialplans.crm_models import Crm
from dialplans.loader import DialplanError, LoadedDialplan, load_dialplan
from dialplans.prompt_audio import check_prompt_dir, synthesis_voices
from esl_handlers.acd_server import QueueServer, SettingsTuning
from esl_handlers.agent_watch import AgentChangeWatcher
from esl_handlers.cdr import CDR_EVENTS
from esl_handlers.codec import Event
from esl_handlers.control import ControlServer
from esl_handlers.crm_sink import WriterCrmSink
from esl_handlers.db_writer import CallRecordWriter
from esl_handlers.event_listener import EventListener
from esl_handlers.outbound_server import OutboundServer
from esl_handlers.parked_calls import ParkedCallServer
from esl_handlers.queue_event_sink import WriterQueueEvents
from esl_handlers.recording_events import RECORD_EVENTS, RecordingEvents
from esl_handlers.recording_log import WriterRecordingLog
from esl_handlers.screen_pop import ScreenPopPublisher
from esl_handlers.session import IvrCallHandler, submit_event
from esl_handlers.supervision import Supervisor
from esl_handlers.switch import EslSwitch
from freeswitch_conf.settings import CallControl
from http_api import ApiServer, PushHub, build_api
from ivr_scripts.crm import CrmSink
from ivr_scripts.prompts import PromptAudio, PromptBook
from ivr_scripts.recording import RecordingLog
from ivr_scripts.runner import Clock, IvrRunner, QueueEntry, utc_now
from schema.adapters.crm_directory import SqlCallerDirectory
from schema.agent_notify import AgentChange
from schema.calls import write_batch
from schema.db import create_engine_from_url
from schema.errors import StorageError
from schema.migrate import upgrade
from schema.screening_rules import sync_yaml_rules
from schema.threadpool import in_thread

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ServerConfig:
    dialplan: Path
    database_url: str
    app_host: str
    app_port: int
    esl_host: str
    esl_port: int
    esl_password: str
    dead_letter: Path
    tts_engine: str | None = "flite"
    tts_voice: str = "slt"
    backlog: int = 4096
    # Queued calls go to our ACD (esl_handlers.acd_server); off: transferred to the queue's extension.
    acd: bool = False
    agent_domain: str = "callcenter.local"  # agents' phones: user/<extension>@<agent_domain>
    server_name: str = ""  # this server in agent_state_log and agents.reserved_by; "" = the host name
    # Where `callcenter agent ...` on this machine says an agent changed (None: not listened to).
    control_socket: Path | None = None
    # How callbacks dial the customer, e.g. sofia/gateway/pstn/{number} (None: the ACD's default).
    callback_endpoint: str | None = None
    # The HTTP API (customers, calls, screen pops, the agents' event stream); None: not served.
    api_host: str = "127.0.0.1"
    api_port: int | None = None
    # Where `callcenter render` synthesized the prompts (dialplans.prompt_audio); None: prompts
    # without a recorded file are spoken by TTS.
    prompt_dir: Path | None = None
    # "socket": FreeSWITCH connects once per call; "park": calls parked, one inbound connection
    # (esl_handlers.parked_calls). Must match the rendered dialplan's.
    call_control: CallControl = "socket"


@dataclass(frozen=True)
class CrmWiring:
    """Where runners find customers (`engine`, as SYSTEM) and send what screening and surveys decided."""

    engine: Engine
    sink: CrmSink


def build_runner(
    loaded: LoadedDialplan,
    clock: Clock,
    queues: QueueEntry | None = None,
    crm: CrmWiring | None = None,
    recordings: RecordingLog | None = None,
    *,
    prompts: PromptAudio | None = None,
) -> IvrRunner:
    """A runner for `loaded`; with `crm`, callers are screened and self-service looks customers up;
    with `recordings`, calls are recorded as the dialplan's policies say; with `prompts`, prompts
    without a recording play the file `callcenter render` synthesized."""
    model = loaded.model
    directory = None
    if crm is not None:
        directory = SqlCallerDirectory(crm.engine, model.crm.default_region, model.crm.keypad_fields)
    return IvrRunner(
        model,
        PromptBook.build(model, loaded.sounds_dir, prompts),
        clock=clock,
        queues=queues,
        directory=directory,
        crm_sink=None if crm is None else crm.sink,
        recordings=recordings,
    )


def sync_screening_rules(engine: Engine, crm: Crm) -> None:
    """The YAML's blacklist and VIP numbers into screening_rules; a database error is logged, not raised
    (the rules already stored stay in force)."""
    try:
        count = in_thread(sync_yaml_rules, engine, crm)
    except StorageError as exc:
        log.error("screening rules from the YAML not synced; the stored ones stay in force: %s", exc)
        return
    log.info("screening rules from the YAML: %d", count)


class DialplanHolder:
    """The current runner; `reload` swaps it only for a dialplan that validates.

    The ACD keeps the queues and agents it started with: a reload changes menus and prompts only (and,
    with the CRM wired, the screening rules from the YAML).
    """

    def __init__(
        self,
        path: Path,
        clock: Clock = utc_now,
        crm: CrmWiring | None = None,
        recordings: RecordingLog | None = None,
        prompts: PromptAudio | None = None,
    ) -> None:
        self._path = path
        self._clock = clock
        self._crm = crm
        self._recordings = recordings
        self._prompts = prompts
        self._queues: QueueEntry | None = None
        self._loaded = load_dialplan(path)
        self._runner = build_runner(self._loaded, clock, crm=crm, recordings=recordings, prompts=prompts)

    @property
    def loaded(self) -> LoadedDialplan:
        return self._loaded

    def use_queues(self, queues: QueueEntry) -> None:
        self._queues = queues
        self._runner = build_runner(
            self._loaded, self._clock, queues, self._crm, self._recordings, prompts=self._prompts
        )

    def sync_screening_rules(self) -> None:
        if self._crm is not None:
            sync_screening_rules(self._crm.engine, self._loaded.model.crm)

    @property
    def runner(self) -> IvrRunner:
        return self._runner

    def reload(self) -> bool:
        try:
            loaded = load_dialplan(self._path)
        except DialplanError as exc:
            log.error("dialplan reload refused, the previous one stays in service:\n%s", exc)
            return False
        self._loaded = loaded
        self._runner = build_runner(
            loaded, self._clock, self._queues, self._crm, self._recordings, prompts=self._prompts
        )
        log.info("dialplan reloaded from %s", self._path)
        self.sync_screening_rules()
        return True


def prompt_audio(config: ServerConfig) -> PromptAudio | None:
    """Where the runners look for synthesized prompts; ValueError for a directory FreeSWITCH cannot take."""
    if config.prompt_dir is None:
        return None
    return PromptAudio(check_prompt_dir(config.prompt_dir), synthesis_voices(config.tts_voice))


class Application:
    """The wired server; `start` and `stop` are separate so tests can run it in-process."""

    def __init__(
        self,
        config: ServerConfig,
        *,
        clock: Clock = utc_now,
        acd_tuning: SettingsTuning | None = None,
        acd_tick_seconds: float = 1.0,
    ) -> None:
        """`acd_tuning` adjusts each queue's settings (tests shorten the YAML's minimum times)."""
        self.config = config
        self.engine = create_engine_from_url(config.database_url)
        self.writer = CallRecordWriter(
            functools.partial(write_batch, self.engine), dead_letter=config.dead_letter
        )
        self.recording_events = RecordingEvents(self.writer, self._recording_directory)
        self.dialplans = DialplanHolder(
            config.dialplan,
            clock,
            CrmWiring(self.engine, WriterCrmSink(self.writer)),
            WriterRecordingLog(self.writer, self.recording_events),
            prompt_audio(config),
        )
        region = self.dialplans.loaded.model.crm.default_region
        # The ACD's agent legs and the API's supervision share one inbound connection (opened on use).
        self.switch: EslSwitch | None = None
        self.supervisor: Supervisor | None = None
        if config.acd or config.api_port is not None:
            self.switch = EslSwitch(config.esl_host, config.esl_port, config.esl_password)
            self.supervisor = Supervisor(
                self.switch,
                config.agent_domain,
                self.engine,
                recordings=WriterRecordingLog(self.writer, self.recording_events),
                dialplan=lambda: self.dialplans.loaded.model,
            )
        self.push: PushHub | None = None
        self.screen_pops: ScreenPopPublisher | None = None
        self.api: ApiServer | None = None
        if config.api_port is not None:
            self.push = PushHub()
            self.screen_pops = ScreenPopPublisher(self.engine, self.push, region)
            self.api = ApiServer(
                build_api(
                    self.engine,
                    region=region,
                    push=self.push,
                    calls=self.supervisor,
                    qa_forms=lambda: self.dialplans.loaded.model.qa_forms,
                ),
                host=config.api_host,
                port=config.api_port,
            )
        self.queues: QueueServer | None = None
        self.agent_watch: AgentChangeWatcher | None = None
        self.control: ControlServer | None = None
        if self.switch is not None and config.acd:
            self.queues = QueueServer(
                self.dialplans.loaded.model,
                self.engine,
                self.switch,
                WriterQueueEvents(self.writer),
                server=config.server_name or socket.gethostname(),
                clock=clock,
                agent_domain=config.agent_domain,
                tuning=acd_tuning,
                tick_seconds=acd_tick_seconds,
                callback_endpoint=config.callback_endpoint,
                offers=self.screen_pops,
            )
            self.dialplans.use_queues(self.queues)
            # Agents changed by another process or server wake dispatch at once: NOTIFY on
            # PostgreSQL, the local control socket for this machine's CLI (both on SQLite's one server).
            if config.database_url.startswith("postgresql"):
                self.agent_watch = AgentChangeWatcher(config.database_url, self._on_agent_change)
            if config.control_socket is not None:
                self.control = ControlServer(config.control_socket, self._on_agent_change)
        self.handler = IvrCallHandler(self.dialplans, self.writer, self.recording_events)
        self.server: OutboundServer | ParkedCallServer
        if config.call_control == "park":
            self.server = ParkedCallServer(
                self.handler,
                host=config.esl_host,
                port=config.esl_port,
                password=config.esl_password,
                tts_engine=config.tts_engine or "",
                tts_voice=config.tts_voice,
            )
        else:
            self.server = OutboundServer(
                self.handler,
                host=config.app_host,
                port=config.app_port,
                backlog=config.backlog,
                tts_engine=config.tts_engine or "",
                tts_voice=config.tts_voice,
            )
        self.listener = EventListener(
            self._on_event,
            host=config.esl_host,
            port=config.esl_port,
            password=config.esl_password,
            events=(*CDR_EVENTS, *RECORD_EVENTS),
        )

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

    def _on_agent_change(self, change: AgentChange) -> None:
        if self.queues is not None:
            self.queues.agent_changed(None if change.resync else change.agent_id)

    def start(self) -> None:
        self.writer.start()
        self.dialplans.sync_screening_rules()
        if self.queues is not None:
            self.queues.start()  # reconciles agents with the switch before any call is taken
        if self.agent_watch is not None:
            self.agent_watch.start()
        if self.control is not None:
            self.control.start()
        self.server.start()
        self.listener.start()
        if self.api is not None:
            self.api.start()

    def stop(self) -> None:
        if self.push is not None:
            self.push.close()  # ends the open event streams, so the API stops at once
        if self.api is not None:
            self.api.stop()
        self.listener.stop()
        self.server.stop(timeout=5)
        if self.control is not None:
            self.control.stop()
        if self.agent_watch is not None:
            self.agent_watch.stop()
        if self.queues is not None:
            self.queues.stop()
        if self.switch is not None:
            self.switch.close()
        if self.screen_pops is not None:
            self.screen_pops.stop()
        self.recording_events.stop()
        self.writer.stop(timeout=10)
        # Database work still running in the thread pool holds pooled connections; let it finish so
        # dispose() closes them rather than leaving them to the garbage collector.
        with gevent.Timeout(10, False):
            gevent.get_hub().threadpool.join()
        self.engine.dispose()


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
    app.stop()
