"""`make bench-live`: SIPp callers through the real FreeSWITCH and the real `callcenter serve`.

SIPp places CALLS calls at RATE per second to DID 4001 of the live dialplan (the example with pinned
opening hours: always open), each held HOLD_MS while the IVR greets and asks, then hung up by the
caller. Measured in the one run, from /proc: the CPU time FreeSWITCH and the application server spent
(user + system) over the calls, per call, beside each other and beside an idle stretch of the same
length (the baseline: what both burn doing nothing). Failed calls are SIPp's count.

Run: `make bench-live` (FreeSWITCH_BIN, else the first build in ../shared/freeswitch), or
    .venv/bin/python -m tests.bench.live_bench [CALLS [RATE [HOLD_MS]]]
Targets (docs/performance.md): application server <= 5 ms CPU per call, FreeSWITCH <= 30 ms per call,
0 failed calls among 1,000 at 30 calls/s.

Each run measures both ways of taking calls (docs/inbound-control.md), `socket` first as the
baseline, then `park`, and prints the ratio; `socket` or `park` among the arguments measures that
one only.

`floor` as a fourth argument measures the same calls run by FreeSWITCH's XML dialplan alone, without
the socket (FLOOR_DID: answer, the greeting, the main options' collect, the same synthesized files):
what FreeSWITCH spends on SIP and media whatever drives the call.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from dialplans.loader import LoadedDialplan
from dialplans.prompt_audio import find_prompt_audio, synthesis_voices
from freeswitch_conf.prompt_audio import PromptAudioReport
from freeswitch_conf.render import SwitchSettings
from freeswitch_conf.settings import CALL_CONTROL_CHOICES, CallControl
from sipp_scenarios.dtmf_pcap import DtmfTiming
from sipp_scenarios.sipp_run import SippCall, run_sipp
from tests.support.live import harness

DID = harness.OPEN_DID
FLOOR_DID = "4999"
MENU_TAIL = "silence_stream://250 cc_digits_1 ^[0-9*#]+$ 3000"  # what EslChannel sends after the prompt
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Load:
    calls: int = 1000
    rate: float = 30.0
    hold_ms: int = 6000
    floor: bool = False
    call_control: CallControl = "park"


def floor_extension(
    conf_dir: Path, loaded: LoadedDialplan, settings: SwitchSettings, prompts: PromptAudioReport
) -> None:
    """Add FLOOR_DID to the rendered public context: the example IVR's first two steps in XML."""
    voices = synthesis_voices(settings.tts_voice)

    def audio(name: str) -> Path:
        text = loaded.model.prompts[name].text
        found = find_prompt_audio(prompts.prompt_dir, voices, text or "")
        if found is None:
            raise RuntimeError(f"prompt {name} was not synthesized: {prompts.lines()}")
        return found

    add_public_extension(
        conf_dir,
        f"""
    <extension name="bench-floor">
      <condition field="destination_number" expression="^{FLOOR_DID}$">
        <action application="multiset" data="cc_did={FLOOR_DID} playback_terminators=none cc_say_by=tts"/>
        <action application="answer"/>
        <action application="set" data="playback_terminators=any"/>
        <action application="playback" data="{audio("welcome")}"/>
        <action application="play_and_get_digits" data="1 1 1 5000 none {audio("main_options")} {MENU_TAIL}"/>
        <action application="hangup"/>
      </condition>
    </extension>""",
    )


def add_public_extension(conf_dir: Path, extension: str) -> None:
    """Append an <extension> to the rendered public context (before the switch starts)."""
    public = conf_dir / "dialplan" / "public.xml"
    text = public.read_text(encoding="utf-8")
    public.write_text(text.replace("  </context>", extension + "\n  </context>", 1), encoding="utf-8")


def cpu_seconds(pid: int) -> float:
    """User + system CPU of one process so far (/proc/<pid>/stat fields 14 and 15)."""
    fields = Path(f"/proc/{pid}/stat").read_text(encoding="ascii").rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


ServerStarter = Callable[[harness.Live], contextlib.AbstractContextManager[subprocess.Popen[bytes]]]


def measure(
    load: Load,
    *,
    did: str | None = None,
    conf_hook: harness.ConfHook | None = None,
    server: ServerStarter = harness.app_server,
    how: str | None = None,
) -> tuple[float, float] | None:
    """SIPp's load against `did` on the first build, beside `server` (`callcenter serve` unless told):
    FreeSWITCH's and the app server's CPU ms per call (None: no build)."""
    builds = harness.freeswitch_builds()
    if not builds:
        print(f"skipped: {harness.NO_FREESWITCH}")
        return None
    build = builds[0]
    work = Path(tempfile.mkdtemp(prefix="bench-live-"))
    if conf_hook is None and load.floor:
        conf_hook = floor_extension
    did = did or (FLOOR_DID if load.floor else DID)
    how = how or (
        "the XML dialplan alone (floor)" if load.floor else f"the IVR, call control {load.call_control}"
    )
    with (
        harness.live_switch(work, build, conf_hook=conf_hook, call_control=load.call_control) as live,
        server(live) as app,
    ):
        switch_pid = live.switch.pid
        assert switch_pid is not None
        seconds = load.calls / load.rate + load.hold_ms / 1000
        before = (cpu_seconds(switch_pid), cpu_seconds(app.pid))
        time.sleep(min(seconds, 20))
        idle = (cpu_seconds(switch_pid) - before[0], cpu_seconds(app.pid) - before[1])
        idle_span = min(seconds, 20)
        call = SippCall(
            name=f"load {did} x{load.calls}",
            scenario="load.xml",
            args=("-s", did, "-d", str(load.hold_ms), "-r", f"{load.rate:g}", "-l", "2000"),
            expected_calls=load.calls,
        )
        before = (cpu_seconds(switch_pid), cpu_seconds(app.pid))
        started = time.monotonic()
        result = run_sipp(
            live.sipp,
            call,
            endpoints=live.endpoints,
            work_dir=work / "sipp",
            timing=DtmfTiming(),
            timeout_s=int(seconds) + 120,
        )
        elapsed = time.monotonic() - started
        time.sleep(2.0)  # the last hang-ups and their records
        used = (cpu_seconds(switch_pid) - before[0], cpu_seconds(app.pid) - before[1])
        version = live.release
    per_call = [
        1000 * (spent - rest * elapsed / idle_span) / load.calls
        for spent, rest in zip(used, idle, strict=True)
    ]
    print(
        f"FreeSWITCH {version}: {load.calls} calls at {load.rate:g}/s held {load.hold_ms} ms"
        f" on DID {did}, {how}"
    )
    outcome = f"completed {result.successful}, failed {result.failed} (SIPp exit {result.returncode})"
    print(f"  {outcome} in {elapsed:.1f} s")
    print(f"  calls_per_second        {result.successful / elapsed:8.1f}")
    idle_rates = [1000 * rest / idle_span for rest in idle]
    print(f"  freeswitch_cpu_ms_call  {per_call[0]:8.2f}   (idle baseline {idle_rates[0]:.1f} ms/s)")
    print(f"  app_server_cpu_ms_call  {per_call[1]:8.2f}   (idle baseline {idle_rates[1]:.1f} ms/s)")
    print(f"  app / freeswitch        {per_call[1] / per_call[0]:8.2f}x")
    if result.errors:
        print("  SIPp errors (tail):\n    " + result.errors.replace("\n", "\n    "))
    print(f"  traces: {work}")
    return per_call[0], per_call[1]


def run(argv: list[str] | None = None) -> None:
    words = list(argv if argv is not None else sys.argv[1:])
    floor = "floor" in words
    args = [float(a) for a in words if a not in ("floor", *CALL_CONTROL_CHOICES)]
    defaults = Load()
    load = Load(
        calls=int(args[0]) if args else defaults.calls,
        rate=args[1] if len(args) > 1 else defaults.rate,
        hold_ms=int(args[2]) if len(args) > 2 else defaults.hold_ms,
        floor=floor,
    )
    modes: list[CallControl] = [m for m in CALL_CONTROL_CHOICES if m in words] or list(CALL_CONTROL_CHOICES)
    if floor:  # no DID of the IVR is called: one run
        modes = modes[:1]
    figures = {mode: measure(dataclasses.replace(load, call_control=mode)) for mode in modes}
    socket, park = figures.get("socket"), figures.get("park")
    if socket is not None and park is not None:
        print(
            f"park / socket: FreeSWITCH {park[0] / socket[0]:.2f}x, app server {park[1] / socket[1]:.2f}x"
            " (CPU per call)"
        )


if __name__ == "__main__":
    run()
