"""The application server process: outbound-socket server, event listener and database writer.

SIGHUP reloads the YAML dialplan without a restart: the new file is validated first, and a
dialplan with errors is refused (the old one keeps running and the errors are logged). Calls in
progress finish on the runner they started with. SIGTERM and SIGINT stop the server, then flush
the writer so no record is lost.
"""

from __future__ import annotations

import functools
import logging
import signal
from dataclasses import dataclass
from pathlib import Path

import gevent
import gevent.event

from dialplans.loader import DialplanError, LoadedDialplan, load_dialplan
from esl_handlers.cdr import CDR_EVENTS
from esl_handlers.db_writer import CallRecordWriter
from esl_handlers.event_listener import EventListener
from esl_handlers.outbound_server import OutboundServer
from esl_handlers.session import IvrCallHandler, submit_event
from ivr_scripts.prompts import PromptBook
from ivr_scripts.runner import Clock, IvrRunner, utc_now
from schema.calls import write_batch
from schema.db import create_engine_from_url
from schema.migrate import upgrade

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


def build_runner(loaded: LoadedDialplan, clock: Clock) -> IvrRunner:
    return IvrRunner(loaded.model, PromptBook.build(loaded.model, loaded.sounds_dir), clock=clock)


class DialplanHolder:
    """The current runner; `reload` swaps it only for a dialplan that validates."""

    def __init__(self, path: Path, clock: Clock = utc_now) -> None:
        self._path = path
        self._clock = clock
        self._runner = build_runner(load_dialplan(path), clock)

    @property
    def runner(self) -> IvrRunner:
        return self._runner

    def reload(self) -> bool:
        try:
            loaded = load_dialplan(self._path)
        except DialplanError as exc:
            log.error("dialplan reload refused, the previous one stays in service:\n%s", exc)
            return False
        self._runner = build_runner(loaded, self._clock)
        log.info("dialplan reloaded from %s", self._path)
        return True


class Application:
    """The wired server; `start` and `stop` are separate so tests can run it in-process."""

    def __init__(self, config: ServerConfig, *, clock: Clock = utc_now) -> None:
        self.config = config
        self.dialplans = DialplanHolder(config.dialplan, clock)
        self.engine = create_engine_from_url(config.database_url)
        self.writer = CallRecordWriter(
            functools.partial(write_batch, self.engine), dead_letter=config.dead_letter
        )
        self.handler = IvrCallHandler(self.dialplans, self.writer)
        self.server = OutboundServer(
            self.handler,
            host=config.app_host,
            port=config.app_port,
            backlog=config.backlog,
            tts_engine=config.tts_engine or "",
            tts_voice=config.tts_voice,
        )
        self.listener = EventListener(
            functools.partial(submit_event, self.writer),
            host=config.esl_host,
            port=config.esl_port,
            password=config.esl_password,
            events=CDR_EVENTS,
        )

    def start(self) -> None:
        self.writer.start()
        self.server.start()
        self.listener.start()

    def stop(self) -> None:
        self.listener.stop()
        self.server.stop(timeout=5)
        self.writer.stop(timeout=10)
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
