"""What the live drills and the soak share: SIPp callers at a steady rate, and a look at the
application server's worker process (callcenter.supervisor starts it as the supervisor's one child)."""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections import Counter
from importlib import resources
from pathlib import Path

from sipp_scenarios.ports import free_media_port
from tests.support.live.harness import Live, free_sip_port


def hanging_up_scenario(work: Path) -> Path:
    """sipp_scenarios/caller_hangup.xml: answered, in the menu for -d milliseconds, hangs up."""
    work.mkdir(parents=True, exist_ok=True)
    path = work / "caller_hangup.xml"
    path.write_bytes(resources.files("sipp_scenarios").joinpath("caller_hangup.xml").read_bytes())
    return path


def start_load(
    live: Live,
    work: Path,
    scenario: Path,
    *,
    did: str,
    rate: int,
    total: int,
    limit: int,
    timeout_s: int,
    extra: tuple[str, ...] = (),
) -> subprocess.Popen[bytes]:
    """One SIPp process placing `total` calls to `did` at `rate` a second, at most `limit` at once;
    its statistics in work/stat.csv."""
    command = [
        str(live.sipp),
        f"{live.endpoints.sip_host}:{live.endpoints.sip_port}",
        "-sf",
        str(scenario),
        "-s",
        did,
        "-i",
        "127.0.0.1",
        "-p",
        str(free_sip_port()),
        "-mp",
        str(free_media_port("127.0.0.1")),
        "-r",
        str(rate),
        "-m",
        str(total),
        "-l",
        str(limit),
        "-nostdin",
        "-timeout",
        f"{timeout_s}s",
        "-timeout_error",
        "-trace_err",
        "-trace_stat",
        "-stf",
        str(work / "stat.csv"),
        *extra,
    ]
    return subprocess.Popen(command, cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def worker_of(supervisor: subprocess.Popen[bytes]) -> int:
    """The pid of `callcenter serve`'s worker: the supervisor's one child."""
    children = Path(f"/proc/{supervisor.pid}/task/{supervisor.pid}/children").read_text().split()
    assert len(children) == 1, children
    return int(children[0])


def rss(pid: int) -> int:
    """The process's resident memory, in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"no VmRSS for {pid}")


def open_descriptors(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def descriptor_kinds(pid: int) -> Counter[str]:
    """What the process holds open, by kind: `socket`, `pipe`, `anon_inode:[eventpoll]`, or a file's path."""
    kinds: Counter[str] = Counter()
    folder = f"/proc/{pid}/fd"
    for name in os.listdir(folder):
        with contextlib.suppress(OSError):  # closed meanwhile
            target = os.readlink(f"{folder}/{name}")
            kinds[target.split(":[", 1)[0] if target.startswith(("socket:", "pipe:")) else target] += 1
    return kinds


class OutputSince:
    """A file's text from the moment this is made (the server's output, FreeSWITCH's log)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.start = path.stat().st_size if path.is_file() else 0

    def text(self) -> str:
        with self.path.open("rb") as handle:
            handle.seek(self.start)
            return handle.read().decode("utf-8", errors="replace")
