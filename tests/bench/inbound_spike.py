"""A measurement of another design, not the product: calls parked by the dialplan and driven over ONE
inbound ESL connection (`sendmsg <uuid>`), instead of one outbound socket per call.

Why measure it: `make bench-live` shows FreeSWITCH spending ~10 ms of CPU per call above the
no-socket floor, and mod_event_socket.c says where: each outbound socket has a listener thread that
wakes every 20 ms while idle and reads commands one byte per recv(). With one inbound connection
there is one such thread for all calls. Everything else is the product's: the same Application
(runner, screening, writer, event listener) handles each call through the same IvrCallHandler; only
the channel arrives by CHANNEL_PARK on a shared connection.

    .venv/bin/python -m tests.bench.inbound_spike [CALLS [RATE [HOLD_MS]]]
    .venv/bin/python -m tests.bench.inbound_spike lease     # the fallback lease, server killed mid-call

The fallback when the application server is down is a lease (docs/inbound-control.md): the dialplan
runs `sched_transfer +LEASE_SECONDS <fallback> XML cc_fallback` before `park`, the controller renews
it while it drives the call and cancels it after. What this prototype does not do (and a product
version must): taking over calls parked before a restart, recording events per call, the lease
when the app itself transfers the call. Figures: docs/performance.md, docs/inbound-control.md.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import gevent
import gevent.event

from callcenter.cli import server_config
from callcenter.settings import load_settings
from dialplans.loader import LoadedDialplan
from esl_handlers.app import Application
from esl_handlers.codec import Event, Frame, api, event, filter_
from esl_handlers.connection import EslConnection, open_inbound
from esl_handlers.esl_channel import EslChannel
from esl_handlers.outbound_server import SOCKET_EVENTS
from freeswitch_conf.fallback import fallback_extension
from freeswitch_conf.prompt_audio import PromptAudioReport
from freeswitch_conf.render import SwitchSettings
from freeswitch_conf.say import SAY_BY_VARIABLE
from ivr_scripts.channel import CallerHungUp, CallInfo
from schema.migrate import upgrade
from sipp_scenarios.dtmf_pcap import DtmfTiming
from sipp_scenarios.sipp_run import SippCall, run_sipp
from tests.bench.live_bench import Load, add_public_extension, measure
from tests.live import support

PARKED_DID = "4998"
# The fallback lease (docs/inbound-control.md): the dialplan schedules the transfer to the DID's
# fallback before `park`; while the application drives the call it renews it every LEASE_RENEW
# seconds (sched_del + sched_transfer, whose task group is the call's uuid), and cancels it when done.
LEASE_SECONDS = 15
LEASE_RENEW = 10.0  # a call shorter than this costs no api command at all; a hung-up call's task is void
SERVED_AS = support.OPEN_DID  # the IVR the parked calls get: the main line's


def parked_extension(
    conf_dir: Path, loaded: LoadedDialplan, settings: SwitchSettings, prompts: PromptAudioReport
) -> None:
    """PARKED_DID: the variables the DIDs set, then park (the application finds it by CHANNEL_PARK)."""
    fallback = fallback_extension(loaded.model, SERVED_AS)
    add_public_extension(
        conf_dir,
        f"""
    <extension name="parked">
      <condition field="destination_number" expression="^{PARKED_DID}$">
        <action application="multiset" data="cc_did={SERVED_AS} playback_terminators=none cc_say_by=tts"/>
        <action application="sched_transfer" data="+{LEASE_SECONDS} {fallback} XML cc_fallback"/>
        <action application="park"/>
      </condition>
    </extension>""",
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
        lease = gevent.spawn(self._renew_lease, channel)
        try:
            with contextlib.suppress(CallerHungUp):
                self._app.handler(channel)
            if channel.hangup_cause is None:
                channel.hangup()
        finally:
            lease.kill()
            if channel.transferred:  # still up, elsewhere: the lease must not pull it back
                self._conn.api(api(f"sched_del {channel.info.uuid}"), 5.0)

    def _renew_lease(self, channel: EslChannel) -> None:
        uuid = channel.info.uuid
        target = f"{fallback_extension(self._app.dialplans.loaded.model, SERVED_AS)} XML cc_fallback"
        while True:
            gevent.sleep(LEASE_RENEW)  # the dialplan's lease covers the first LEASE_SECONDS
            if channel.hangup_cause is not None:
                return
            self._conn.api(api(f"sched_del {uuid}"), 5.0)
            self._conn.api(api(f"sched_transfer +{LEASE_SECONDS} {uuid} {target}"), 5.0)


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


def lease_check() -> None:
    """One 40 s call; the server is SIGKILLed 8 s in: how long until the lease hands the caller to
    the fallback (FreeSWITCH logs "Transfer ... to XML[<fallback>@cc_fallback]")."""
    builds = support.freeswitch_builds()
    if not builds:
        print(f"skipped: {support.NO_FREESWITCH}")
        return
    work = Path(tempfile.mkdtemp(prefix="inbound-lease-"))
    with (
        support.live_switch(work, builds[0], conf_hook=parked_extension) as live,
        spike_server(live) as server,
    ):
        call = SippCall(
            name="lease",
            scenario="load.xml",
            args=("-s", PARKED_DID, "-d", "40000", "-r", "1"),
            expected_calls=1,
        )
        caller = threading.Thread(
            target=run_sipp,
            args=(live.sipp, call),
            kwargs={
                "endpoints": live.endpoints,
                "work_dir": work / "sipp",
                "timing": DtmfTiming(),
                "timeout_s": 90,
            },
        )
        caller.start()
        time.sleep(8.0)
        server.send_signal(signal.SIGKILL)
        killed = dt.datetime.now()
        caller.join(90)
        log = (live.work / "freeswitch" / "log" / "freeswitch.log").read_text(
            encoding="utf-8", errors="replace"
        )
    found = re.search(r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+) .*Transfer \S+ to XML\[(\S+)\]", log)
    if found is None:
        print(f"FreeSWITCH {live.release}: the caller never reached the fallback (log: {work})")
        return
    moved = dt.datetime.strptime(found.group(1), "%Y-%m-%d %H:%M:%S.%f")
    print(f"FreeSWITCH {live.release}: server killed 8 s into the call; the lease transferred the caller")
    seconds = (moved - killed).total_seconds()
    lease = f"lease {LEASE_SECONDS} s, renewed every {LEASE_RENEW:g} s"
    print(f"  to {found.group(2)} {seconds:.1f} s later ({lease})")
    print(f"  traces: {work}")


def run(argv: list[str]) -> None:
    if argv[:1] == ["serve"]:
        serve_parked()
        return
    if argv[:1] == ["lease"]:
        lease_check()
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
