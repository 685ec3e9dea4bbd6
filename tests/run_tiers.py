"""`make test`'s pytest: the tiers side by side instead of one after the other.

The live tier is mostly waiting on calls (rings, prompts, timers), not on the CPU, so the two
FreeSWITCH builds' live runs go in parallel, each its own pytest with FREESWITCH_BIN set, while the unit
and wire tiers (everything not marked live) run beside them at a lower priority so they never starve
a switch of the CPU. Each run has its own temporary directory; the live tests already take free ports.
The live tests that need no switch (SIPp against stand-ins) run in the first build's run only.
Each run's output goes to a log, printed whole when the run ends; the exit status is the first failing
run's, else 0. With no build found, one live run says why its tests skip (and fails under CI=true).

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

from sipp_scenarios.tools import FREESWITCH_ENV
from tests.support.live.harness import BUILD_TESTS_ONLY_ENV, ROOT, freeswitch_builds

NON_LIVE_NICENESS = 10
DURATIONS_SHOWN = 15


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


def tier_runs(extra: list[str]) -> list[TierRun]:
    base = dict(os.environ)
    runs = [TierRun("unit-wire", ["-m", "not live", *extra], base, NON_LIVE_NICENESS)]
    builds = freeswitch_builds()
    if not builds:
        return [*runs, TierRun("live", ["-m", "live", *extra], base)]
    for index, build in enumerate(builds):
        env = {**base, FREESWITCH_ENV: str(build.binary)}
        if index:
            env[BUILD_TESTS_ONLY_ENV] = "1"
        runs.append(TierRun(f"live-{build.release}", ["-m", "live", *extra], env))
    return runs


def wait_all(runs: list[TierRun]) -> None:
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
    runs = tier_runs(extra)
    work = Path(tempfile.mkdtemp(prefix="callcenter-tiers-"))
    began = time.monotonic()
    for run in runs:
        run.start(work)
        print(f"tiers: {run.name} started (log {run.log})", flush=True)
    wait_all(runs)
    for run in runs:
        print(f"\n===== {run.name} ({run.seconds / 60:.1f} min) =====", flush=True)
        sys.stdout.write(run.log.read_text(encoding="utf-8", errors="replace"))
    codes = [(run.name, run.process.returncode) for run in runs if run.process is not None]
    failed = [f"{name} ({code})" for name, code in codes if code != 0]
    total = (time.monotonic() - began) / 60
    print(f"\ntiers: {len(runs)} runs in {total:.1f} min; failed: {', '.join(failed) or 'none'}", flush=True)
    return next((code for _, code in codes if code != 0), 0)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
