"""FreeSWITCH CPU per call: prompts spoken by mod_flite vs. played from synthesized files.

Runs a real FreeSWITCH (the live tier's harness: FREESWITCH_BIN or ../shared/freeswitch/*) on the
rendered conf with `callcenter serve` beside it, then SIPp's load.xml (answered calls to DID 4001,
each held HOLD_MS, at RATE per second), once with the server pointed at an empty prompt directory
(every prompt spoken by mod_flite, as before render synthesized them) and once at the directory
render filled. FreeSWITCH's CPU is utime + stime of its process from /proc/<pid>/stat, read before
and after the calls (the switch's idle cost over the same wall time is measured and shown too).

    .venv/bin/python -m tests.bench prompt_cpu          # CALLS=200 by default; CALLS=50 for a quick look
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import tempfile
import time
from pathlib import Path

from sipp_scenarios.ports import free_media_port
from tests.bench.live_bench import cpu_seconds
from tests.support.live import harness
from tests.support.live.harness import OPEN_DID, Live, free_sip_port

CALLS = int(os.environ.get("CALLS", "200"))
RATE = 5
HOLD_MS = 8000  # the greeting (~3 s) and most of the main options; below the menu's own timeout


def freeswitch_pid(live: Live) -> int:
    pid = live.switch.pid
    if pid is None:
        raise RuntimeError("FreeSWITCH is not running")
    return pid


def load(live: Live, work: Path) -> tuple[int, float]:
    """(calls SIPp completed, wall seconds) for CALLS calls of load.xml to the open line."""
    work.mkdir(parents=True, exist_ok=True)
    # A copy in the run directory: SIPp writes its statistics file beside the scenario.
    scenario = work / "load.xml"
    scenario.write_bytes((harness.ROOT / "sipp_scenarios" / "load.xml").read_bytes())
    started = time.monotonic()
    completed = subprocess.run(
        [
            str(live.sipp),
            f"{live.endpoints.sip_host}:{live.endpoints.sip_port}",
            "-sf",
            scenario.name,
            "-s",
            OPEN_DID,
            "-d",
            str(HOLD_MS),
            "-r",
            str(RATE),
            "-m",
            str(CALLS),
            "-l",
            str(RATE * (HOLD_MS // 1000 + 4)),
            "-i",
            "127.0.0.1",
            "-p",
            str(free_sip_port()),
            "-mp",
            str(free_media_port("127.0.0.1")),
            "-rtp_echo",
            "-nostdin",
            "-timeout",
            f"{CALLS // RATE + 120}s",
            "-trace_stat",
        ],
        cwd=work,
        capture_output=True,
        text=True,
        check=False,
        timeout=CALLS // RATE + 180,
    )
    wall = time.monotonic() - started
    stats = sorted(work.glob("load_*_.csv"))
    ok = CALLS if completed.returncode == 0 else -1
    if stats:
        header, *rows = stats[-1].read_text(encoding="utf-8").splitlines()
        names = header.split(";")
        last = dict(zip(names, rows[-1].split(";"), strict=False))
        ok = int(last.get("SuccessfulCall(C)", ok))
    return ok, wall


def measure(live: Live, label: str, prompt_dir: Path) -> str:
    serving = dataclasses.replace(live, prompts=dataclasses.replace(live.prompts, prompt_dir=prompt_dir))
    with harness.app_server(serving):
        pid = freeswitch_pid(live)
        before = cpu_seconds(pid)
        ok, wall = load(live, live.work / f"load-{label}")
        used = cpu_seconds(pid) - before
    idle_before = cpu_seconds(pid)
    time.sleep(10)
    idle_rate = (cpu_seconds(pid) - idle_before) / 10
    per_call = 1000 * (used - idle_rate * wall) / max(ok, 1)
    return (
        f"{live.release:8} {label:9} {ok:4}/{CALLS} calls in {wall:5.1f} s: FreeSWITCH CPU {used:6.2f} s, "
        f"idle {idle_rate * 1000:4.1f} ms/s, {per_call:6.1f} ms per call above idle"
    )


def run() -> None:
    builds = harness.freeswitch_builds()
    if not builds:
        print(harness.NO_FREESWITCH)
        return
    for build in builds:
        with tempfile.TemporaryDirectory(prefix="prompt-cpu-") as scratch:
            work = Path(scratch)
            with harness.live_switch(work, build) as live:
                print(live.prompts.lines()[-1], flush=True)
                empty = work / "no-prompts"
                empty.mkdir()
                print(measure(live, "mod_flite", empty), flush=True)
                print(measure(live, "files", live.prompts.prompt_dir), flush=True)
