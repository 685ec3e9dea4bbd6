"""`make test`'s pytest: the tiers side by side instead of one after the other, then the load-sensitive
live tests alone.

Phase 1: the live tier is mostly waiting on calls (rings, prompts, timers), not on the CPU, so the two
FreeSWITCH builds' live runs go in parallel, each its own pytest with FREESWITCH_BIN set, while the unit
and wire tiers (everything not marked live) run beside them at a lower priority so they never starve a
switch of the CPU. The live tests that need no switch (SIPp against stand-ins) run in the first build's
run only. Each run has its own temporary directory and its own slice of local ports
(sipp_scenarios/ports.py), so runs never draw the same port.

Phase 2: the tests marked `solo` (latency promises under load: the crash drill's 3 s, the soak's p99,
the database outage, the predictive dialler's 2 s to an agent) run alone, one build after the other, on
a machine doing nothing else: beside other runs they would measure the machine, not the product.

Each run's output goes to a log, printed whole when the run ends; the exit status is the first failing
run's, else 0 (a run that selected nothing, pytest's 5, counts as passed). With no build found, one live
run says why its tests skip (and fails under CI=true).

    python -m tests.run_tiers [extra pytest arguments for every run]
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from sipp_scenarios.ports import PORT_BLOCK_ENV
from sipp_scenarios.tools import FREESWITCH_ENV
from tests.support.live.harness import BUILD_TESTS_ONLY_ENV, ROOT, freeswitch_builds

NON_LIVE_NICENESS = 10
DURATIONS_SHOWN = 15
NOTHING_SELECTED = 5  # pytest's exit status when no test was selected


@dataclass
class TierRun:
    name: str
    args: list[str]
    env: dict[str, str]
    niceness: int = 0
    log: Path = field(init=False)
    process: subprocess.Popen[bytes] | None = field(default=None, init=False)
    started: float = field(default=0.0, init=False)
    seconds: float = field(default=0.0, init=False)

    def start(self, work: Path) -> None:
        self.log = work / f"{self.name}.log"
        basetemp = work / f"basetemp-{self.name}"
        command = [sys.executable, "-m", "pytest", *self.args, f"--basetemp={basetemp}"]
        command += ["-p", "no:cacheprovider", f"--durations={DURATIONS_SHOWN}"]
        if self.niceness:
            command = ["nice", "-n", str(self.niceness), *command]
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT
            )
        self.started = time.monotonic()
        print(f"tiers: {self.name} started (log {self.log})", flush=True)

    @property
    def failed(self) -> bool:
        code = None if self.process is None else self.process.returncode
        return code not in (0, NOTHING_SELECTED)


def phases(extra: list[str]) -> list[list[TierRun]]:
    """The runs of each phase: the parallel runs first, then the solo runs one by one."""
    base = dict(os.environ)
    builds = freeswitch_builds()
    live_envs: list[tuple[str, dict[str, str]]] = [("live", base)] if not builds else []
    for build in builds:
        live_envs.append((f"live-{build.release}", {**base, FREESWITCH_ENV: str(build.binary)}))
    count = 1 + len(live_envs)
    parallel = [TierRun("unit-wire", ["-m", "not live", *extra], {**base, PORT_BLOCK_ENV: f"0/{count}"})]
    parallel[0].niceness = NON_LIVE_NICENESS
    for index, (name, live_env) in enumerate(live_envs, start=1):
        env = {**live_env, PORT_BLOCK_ENV: f"{index}/{count}"}
        if index > 1:
            env[BUILD_TESTS_ONLY_ENV] = "1"
        parallel.append(TierRun(name, ["-m", "live and not solo", *extra], env))
    solo = [[TierRun(f"{name}-solo", ["-m", "live and solo", *extra], env)] for name, env in live_envs]
    return [parallel, *solo]


def run_phase(runs: list[TierRun], work: Path) -> None:
    for run in runs:
        run.start(work)
    pending = list(runs)
    while pending:
        for run in list(pending):
            assert run.process is not None
            code = run.process.poll()
            if code is None:
                continue
            run.seconds = time.monotonic() - run.started
            pending.remove(run)
            print(f"tiers: {run.name} ended with {code} after {run.seconds / 60:.1f} min", flush=True)
        time.sleep(1)


def main(extra: list[str]) -> int:
    work = Path(tempfile.mkdtemp(prefix="callcenter-tiers-"))
    began = time.monotonic()
    done: list[TierRun] = []
    for runs in phases(extra):
        run_phase(runs, work)
        done += runs
    for run in done:
        print(f"\n===== {run.name} ({run.seconds / 60:.1f} min) =====", flush=True)
        sys.stdout.write(run.log.read_text(encoding="utf-8", errors="replace"))
    failed = [run for run in done if run.failed]
    total = (time.monotonic() - began) / 60
    names = ", ".join(f"{run.name} ({run.process.returncode if run.process else '?'})" for run in failed)
    print(f"\ntiers: {len(done)} runs in {total:.1f} min; failed: {names or 'none'}", flush=True)
    if not failed:
        return 0
    code = failed[0].process.returncode if failed[0].process is not None else 1
    return code or 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
