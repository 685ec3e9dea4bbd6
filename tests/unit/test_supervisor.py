"""callcenter.supervisor: a killed worker's calls are released and a new worker starts; a worker
that exits by itself, or one asked to stop, ends the supervisor with its exit code."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from callcenter.supervisor import supervise


def worker(script: str) -> list[str]:
    return [sys.executable, "-c", script]


def test_a_killed_worker_is_released_and_replaced(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    # The first worker kills itself with SIGKILL; the second exits 3 by itself.
    script = (
        f"import os, pathlib, signal; p = pathlib.Path({str(runs)!r});"
        "n = len(p.read_text()) if p.exists() else 0; p.write_text('x' * (n + 1));"
        "os.kill(os.getpid(), signal.SIGKILL) if n == 0 else None; raise SystemExit(3)"
    )
    released: list[int] = []

    def release() -> int:
        released.append(1)
        return 7

    code = supervise(release, command=worker(script), restart_initial=0.01)
    assert code == 3
    assert runs.read_text() == "xx"
    assert released == [1]


def test_sigterm_is_passed_on_and_ends_the_supervisor(tmp_path: Path) -> None:
    started = tmp_path / "started"
    script = (
        "import pathlib, signal, sys, time;"
        "signal.signal(signal.SIGTERM, lambda *a: sys.exit(0));"
        f"pathlib.Path({str(started)!r}).touch(); time.sleep(30)"
    )

    def terminate_when_started() -> None:
        deadline = time.monotonic() + 20
        while not started.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=terminate_when_started, daemon=True).start()
    began = time.monotonic()
    assert supervise(lambda: 0, command=worker(script)) == 0
    assert time.monotonic() - began < 15


def test_the_worker_dies_with_the_supervisor(tmp_path: Path) -> None:
    """PR_SET_PDEATHSIG: a supervisor killed outright takes its worker along."""
    pid_file = tmp_path / "worker.pid"
    inner = (
        f"import os, pathlib, time; pathlib.Path({str(pid_file)!r}).write_text(str(os.getpid()));"
        "time.sleep(60)"
    )
    outer = (
        "import sys; from callcenter.supervisor import supervise;"
        f"supervise(lambda: 0, command=[sys.executable, '-c', {inner!r}])"
    )
    with subprocess.Popen([sys.executable, "-c", outer]) as parent:
        deadline = time.monotonic() + 20
        while not pid_file.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        child = int(pid_file.read_text())
        parent.kill()
    deadline = time.monotonic() + 10
    while Path(f"/proc/{child}").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not Path(f"/proc/{child}").exists()
