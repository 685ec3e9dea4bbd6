"""Our scenarios through the real SIPp, with a second SIPp as the far end: no FreeSWITCH needed.

caller.xml must get its call answered, replay the generated capture as RFC 2833 events that
arrive in order, and complete when the far end hangs up. Needs the sipp binary, and root (or
CAP_NET_RAW) because SIPp replays captures over a raw socket.
"""

from __future__ import annotations

import socket
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from sipp_scenarios.dtmf_pcap import DtmfTiming, RtpEvent, decode_rtp_event
from sipp_scenarios.ports import free_media_port
from sipp_scenarios.sipp_run import SippCall, run_sipp
from sipp_scenarios.switch import SwitchEndpoints
from tests.support.live.harness import answer_invite, free_udp_port, scenario, send_bye, sipp_or_skip

pytestmark = pytest.mark.live

# The far end: answers with an SDP whose media port is our RTP sink, then hangs up itself.
FAR_END = scenario(
    "far end that hangs up",
    answer_invite(tag="FarEnd", origin="far", media_port="[sink]"),
    '  <recv request="ACK"/>\n  <pause milliseconds="HOLD_MS"/>\n',
    send_bye(tag="FarEnd"),
)


@pytest.fixture
def sipp() -> Path:
    return sipp_or_skip()


class RtpSink:
    """Collects the telephone-events that reach one UDP port."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port: int = self.sock.getsockname()[1]
        self.events: list[RtpEvent] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                packet = self.sock.recv(2048)
            except TimeoutError:
                continue
            event = decode_rtp_event(packet)
            if event is not None:
                self.events.append(event)

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.sock.close()


@pytest.fixture
def sink() -> Iterator[RtpSink]:
    receiver = RtpSink()
    yield receiver
    receiver.close()


def far_end(
    sipp: Path, work: Path, *, port: int, sink_port: int, hold_ms: int, calls: int
) -> subprocess.Popen[bytes]:
    work.mkdir(parents=True, exist_ok=True)
    scenario = work / "far_end.xml"
    scenario.write_text(FAR_END.replace("HOLD_MS", str(hold_ms)), encoding="iso-8859-1")
    command = [str(sipp), "-sf", str(scenario), "-i", "127.0.0.1", "-p", str(port)]
    command += ["-mp", str(free_media_port("127.0.0.1"))]
    command += ["-key", "sink", str(sink_port), "-m", str(calls), "-nostdin", "-timeout", "60s"]
    return subprocess.Popen(command, cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def builtin_uas(sipp: Path, work: Path, *, port: int, calls: int) -> subprocess.Popen[bytes]:
    work.mkdir(parents=True, exist_ok=True)
    command = [str(sipp), "-sn", "uas", "-i", "127.0.0.1", "-p", str(port)]
    command += ["-mp", str(free_media_port("127.0.0.1"))]
    command += ["-m", str(calls), "-nostdin", "-timeout", "60s"]
    return subprocess.Popen(command, cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def endpoints(port: int) -> SwitchEndpoints:
    return SwitchEndpoints("127.0.0.1", port, "127.0.0.1", 0, "unused", "127.0.0.1", 0)


def finish(process: subprocess.Popen[bytes]) -> int:
    try:
        return process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_caller_keys_arrive_as_ordered_rfc2833_events(sipp: Path, sink: RtpSink, tmp_path: Path) -> None:
    keys = ("1", "1", "#", "0")
    timing = DtmfTiming(key_ms=100, gap_ms=200)
    port = free_udp_port()
    remote = far_end(sipp, tmp_path / "far", port=port, sink_port=sink.port, hold_ms=4000, calls=1)
    call = SippCall(
        name="path",
        scenario="caller.xml",
        csv_rows=(("4001", "+15550000100", "11#0", "queue:x", "main"),),
        keys=keys,
    )
    result = run_sipp(
        sipp, call, endpoints=endpoints(port), work_dir=tmp_path / "caller", timing=timing, timeout_s=30
    )
    assert finish(remote) == 0
    assert result.ok, result.errors
    starts = [event for event in sink.events if event.marker]
    assert tuple(event.key for event in starts) == keys
    sequences = [event.sequence for event in sink.events]
    assert sequences == sorted(sequences)  # FreeSWITCH drops events whose sequence number goes back


def test_caller_hangup_and_load_complete_their_calls(sipp: Path, tmp_path: Path) -> None:
    port = free_udp_port()
    remote = builtin_uas(sipp, tmp_path / "uas", port=port, calls=4)
    hangup = SippCall(name="hangup", scenario="caller_hangup.xml", args=("-s", "4001", "-d", "300"))
    load = SippCall(
        name="load", scenario="load.xml", args=("-s", "4001", "-d", "300", "-r", "5"), expected_calls=3
    )
    results = [
        run_sipp(
            sipp,
            call,
            endpoints=endpoints(port),
            work_dir=tmp_path / call.name,
            timing=DtmfTiming(),
            timeout_s=30,
        )
        for call in (hangup, load)
    ]
    assert finish(remote) == 0
    for result in results:
        assert result.ok, (result.name, result.returncode, result.errors)
