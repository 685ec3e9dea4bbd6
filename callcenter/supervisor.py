"""`callcenter serve`: the application server (the worker) under a small supervising process.

The worker (`callcenter serve --worker`, callcenter.server.serve) does all the work. This parent
starts it, passes SIGTERM, SIGINT and SIGHUP on, and when the worker is killed (SIGKILL, a crash,
the kernel's OOM killer) it first releases the calls the worker held (esl_handlers.orphans), so
each caller is at their fallback within a frame instead of when the current prompt or music ends,
then starts a new worker: after 0.5 s, doubling to 30 s while workers keep dying within a minute.
A worker that exits by itself (a bad setting, a part that failed to stop) is not restarted: its
exit code is the supervisor's, for systemd or the operator to act on. The worker dies with the
parent (PR_SET_PDEATHSIG), so no worker is ever left running without its supervisor.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from types import FrameType
from typing import Final

log = logging.getLogger(__name__)

WORKER_COMMAND: Final = (sys.executable, "-m", "callcenter", "serve", "--worker")
_FORWARDED: Final = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
_PR_SET_PDEATHSIG: Final = 1


def supervise(
    release: Callable[[], int],
    *,
    command: Sequence[str] = WORKER_COMMAND,
    restart_initial: float = 0.5,
    restart_max: float = 30.0,
    stable_after: float = 60.0,
) -> int:
    """Run workers until one exits by itself or is stopped; its exit code. `release()` sends the
    calls a killed worker held to their fallback and returns how many it sent."""
    stopping = False
    worker: subprocess.Popen[bytes] | None = None

    def forward(signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = stopping or signum != signal.SIGHUP
        if worker is not None and worker.poll() is None:
            worker.send_signal(signum)

    previous = {signum: signal.signal(signum, forward) for signum in _FORWARDED}
    delay = restart_initial
    try:
        while True:
            started = time.monotonic()
            worker = subprocess.Popen(command, preexec_fn=_die_with_parent(os.getpid()))  # noqa: PLW1509
            log.info("application server worker started (pid %d)", worker.pid)
            code = worker.wait()
            if stopping or code >= 0:
                return code
            began = time.monotonic()
            released = _release(release)
            log.error(
                "application server worker (pid %d) killed by %s; %d calls it held sent to their "
                "fallback in %.0f ms; starting a new worker in %.1f s",
                worker.pid,
                signal.Signals(-code).name,
                released,
                (time.monotonic() - began) * 1000,
                delay,
            )
            delay = restart_initial if began - started >= stable_after else delay
            time.sleep(delay)
            delay = min(delay * 2, restart_max)
            if stopping:
                return 0
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _release(release: Callable[[], int]) -> int:
    try:
        return release()
    except Exception:
        log.exception(
            "could not release the dead worker's calls; they reach their fallback as their prompts end"
        )
        return 0


def _die_with_parent(parent: int) -> Callable[[], None]:
    """In the worker, before exec: be killed when the supervisor dies (Linux; elsewhere a no-op)."""
    libc_name = ctypes.util.find_library("c")

    def arrange() -> None:
        if libc_name and sys.platform.startswith("linux"):
            ctypes.CDLL(libc_name, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != parent:  # the supervisor died before the line above took effect
            os._exit(1)

    return arrange
