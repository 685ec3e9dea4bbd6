"""A measurement of another design, not the product: calls parked by the dialplan and driven over ONE
inbound ESL connection (`sendmsg <uuid>`), instead of one outbound socket per call.

Why measure it: `make bench-live` shows FreeSWITCH spending ~10 ms of CPU per call above the
no-socket floor, and mod_event_socket.c says where: each outbound socket has a listener thread that
wakes every 20 ms while idle and reads commands one byte per recv(). With one inbound connection
there is one such thread for all calls. Everything else is the product's: the same Application
(runner, screening, writer, event listener) handles each call through the same IvrCallHandler; only
the channel arrives by CHANNEL_PARK on a shared connection.

    .venv/bin/python -m tests.bench.inbound_spike [CALLS [RATE [HOLD_MS]]]

What this prototype does not do (and a product version must): the fallback when the application
server is down (a parked call waits forever without park_timeout), taking over calls parked before
a restart, recording events per call, transfers. Figures: docs/performance.md.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import gevent
import gevent.event

from callcenter.cli import server_config
from callcenter.settings import load_settings
from dialplans.loader import LoadedDialplan
from esl_handlers.app import Application
from esl_handlers.codec import Event, Frame, event, filter_
from esl_handlers.connection import EslConnection, open_inbound
from esl_handlers.esl_channel import EslChannel
from esl_handlers.outbound_server import SOCKET_EVENTS
from freeswitch_conf.prompt_audio import PromptAudioReport
from freeswitch_conf.render import SwitchSettings
from freeswitch_conf.say import SAY_BY_VARIABLE
from ivr_scripts.channel import CallerHungUp, CallInfo
from schema.migrate import upgrade
from tests.bench.live_bench import Load, measure
from tests.live import support

PARKED_DID = "4998"
SERVED_AS = support.OPEN_DID  # the IVR the parked calls get: the main line's


def parked_extension(
    conf_dir: Path, loaded: LoadedDialplan, settings: SwitchSettings, prompts: PromptAudioReport
) -> None:
    """PARKED_DID: the variables the DIDs set, then park (the application finds it by CHANNEL_PARK)."""
    extension = f"""
    <extension name="parked">
      <condition field="destination_number" expression="^{PARKED_DID}$">
        <action application="multiset" data="cc_did={SERVED_AS} playback_terminators=none cc_say_by=tts"/>
        <action application="park"/>
      </condition>
    </extension>
  </context>"""
    public = conf_dir / "dialplan" / "public.xml"
    public.write_text(
        public.read_text(encoding="utf-8").replace("  </context>", extension, 1), encoding="utf-8"
    )


class InboundController:
    """One inbound connection: every parked call becomes an EslChannel run by the app's handler."""

    def __init__(self, app: Application, host: str, port: int, password: str) -> None:
        self._app = app
        self._channels: dict[str, EslChannel] = {}
        self._conn: EslConnection = open_inbound(host, port, password, on_frame=self._on_frame)
        self._conn.command(event("plain", ("CHANNEL_PARK", *SOCKET_EVENTS)), 5.0)
        self._conn.command(filter_("Caller-Destination-Number", PARKED_DID), 5.0)

    def _on_frame(self, frame: Frame) -> None:
        if not isinstance(frame, Event):
            return
        uuid = frame.unique_id or ""
        channel = self._channels.get(uuid)
        if channel is not None:
            channel.handle_event(frame)
            if frame.name == "CHANNEL_HANGUP_COMPLETE":
                del self._channels[uuid]
        elif frame.name == "CHANNEL_PARK" and frame.get("Call-Direction") == "inbound":
            info = CallInfo(
                uuid=uuid,
                caller_number=frame.get("Caller-Caller-ID-Number") or "",
                caller_name=frame.get("Caller-Caller-ID-Name") or "",
                destination=SERVED_AS,
            )
            channel = EslChannel(
                self._conn,
                info,
                tts_engine="flite",
                playback_terminators=frame.get("variable_playback_terminators"),
                say_by_tts=frame.get(f"variable_{SAY_BY_VARIABLE}") == "tts",
                controlled_uuid=uuid,
            )
            self._channels[uuid] = channel
            gevent.spawn(self._run, channel)

    def _run(self, channel: EslChannel) -> None:
        with contextlib.suppress(CallerHungUp):
            self._app.handler(channel)
        if channel.hangup_cause is None:
            channel.hangup()


def serve_parked() -> None:
    """The app server's role: the product's Application (as `callcenter serve` builds it), plus the
    inbound controller."""
    settings = load_settings()
    config = server_config(settings)
    upgrade(config.database_url)
    app = Application(config)
    app.start()
    InboundController(app, settings.esl_host, settings.esl_port, settings.esl_password())
    gevent.event.Event().wait()


@contextlib.contextmanager
def spike_server(live: support.Live) -> Iterator[subprocess.Popen[bytes]]:
    """This module's server role beside the live switch, started like support.app_server."""
    out = live.work / "spike_server.out"
    with out.open("ab") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.bench.inbound_spike", "serve"],
            env={**support.callcenter_env(live), "PYTHONPATH": str(support.ROOT)},
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        try:
            support.wait_listening(live.settings.app_host, live.settings.app_port, process, out)
            time.sleep(2.0)  # the controller logs in after the outbound server listens
            yield process
        finally:
            support.stop_process(process)


def run(argv: list[str]) -> None:
    if argv[:1] == ["serve"]:
        serve_parked()
        return
    args = [float(a) for a in argv]
    defaults = Load()
    load = Load(
        calls=int(args[0]) if args else defaults.calls,
        rate=args[1] if len(args) > 1 else defaults.rate,
        hold_ms=int(args[2]) if len(args) > 2 else defaults.hold_ms,
    )
    how = "parked, driven over one inbound ESL connection (spike)"
    measure(load, did=PARKED_DID, conf_hook=parked_extension, server=spike_server, how=how)


if __name__ == "__main__":
    run(sys.argv[1:])
