"""A FreeSWITCH started on a rendered conf directory, for the length of a smoke run.

What the runner needs to know about the switch it reads back from the conf directory itself
(the callers profile's address, the event socket's port and password), so it always tests
exactly what was rendered.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

from sipp_scenarios.tools import SmokeError

_READY_TIMEOUT_S = 60.0
_STOP_TIMEOUT_S = 20.0
_LOG_TAIL_LINES = 40
# FreeSWITCH's compiled-in directories (/usr/local/freeswitch/...) need not exist: every one is passed.
_WRITABLE_DIRS = (
    "log",
    "db",
    "run",
    "temp",
    "cache",
    "storage",
    "recordings",
    "certs",
    "grammar",
    "scripts",
    "sounds",
)
_PROFILES = ("callers", "agents")
_running: set[subprocess.Popen[bytes]] = set()


class SwitchFailed(SmokeError):
    """FreeSWITCH exited or never became ready; the message ends with the tail of its log."""


@dataclass(frozen=True)
class SwitchEndpoints:
    sip_host: str
    sip_port: int
    esl_host: str
    esl_port: int
    esl_password: str
    app_host: str
    app_port: int

    @classmethod
    def from_conf(cls, conf_dir: Path) -> SwitchEndpoints:
        configs = conf_dir / "autoload_configs"
        sofia = _parse(configs / "sofia.conf.xml")
        callers = next((p for p in sofia.iter("profile") if p.get("name") == "callers"), None)
        if callers is None:
            raise SmokeError(f"{conf_dir}: sofia.conf has no callers profile")
        sip = _params(callers)
        esl = _params(_parse(configs / "event_socket.conf.xml"))
        socket_data = next(
            (
                a.get("data", "")
                for a in _parse(conf_dir / "dialplan" / "public.xml").iter("action")
                if a.get("application") == "socket"
            ),
            "",
        )
        app_host, _, app_port = socket_data.split(" ")[0].rpartition(":")
        return cls(
            sip_host=sip["sip-ip"],
            sip_port=int(sip["sip-port"]),
            esl_host=esl["listen-ip"],
            esl_port=int(esl["listen-port"]),
            esl_password=esl["password"],
            app_host=app_host,
            app_port=int(app_port) if app_port.isdigit() else 0,
        )


class FreeSwitch:
    """`with FreeSwitch(binary, conf_dir, run_dir) as fs:` starts it and waits until it is ready."""

    def __init__(self, binary: Path, conf_dir: Path, run_dir: Path, endpoints: SwitchEndpoints) -> None:
        self.binary = binary
        self.conf_dir = conf_dir.absolute()
        self.run_dir = run_dir.absolute()
        self.endpoints = endpoints
        self.log_dir = self.run_dir / "log"
        self._process: subprocess.Popen[bytes] | None = None

    def command(self) -> list[str]:
        dirs = {name: self.run_dir / name for name in _WRITABLE_DIRS}
        for path in dirs.values():
            path.mkdir(parents=True, exist_ok=True)
        args = [str(self.binary), "-nonat", "-nc", "-nf", "-conf", str(self.conf_dir)]
        for name, path in dirs.items():
            args += [f"-{name}", str(path)]
        return args

    def __enter__(self) -> FreeSwitch:
        self.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()

    def start(self) -> None:
        command = _die_with_us() + self.command()
        output = (self.run_dir / "freeswitch.out").open("wb")
        with output:
            self._process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        _running.add(self._process)
        try:
            self.wait_ready()
        except BaseException:
            self.stop()
            raise

    def wait_ready(self, timeout: float = _READY_TIMEOUT_S) -> str:
        """Block until both SIP profiles run; returns FreeSWITCH's version line.

        `sofia status` has one line per profile, `callers  profile  sip:mod_sofia@IP:PORT  RUNNING (0)`;
        `sofia status profile NAME` prints the profile's details and never says RUNNING."""
        deadline = time.monotonic() + timeout
        last_error = "no answer yet"
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                raise SwitchFailed(f"FreeSWITCH exited with {self._process.returncode}\n{self.log_tail()}")
            try:
                status = esl_api(self.endpoints, "sofia status")
                waiting = [name for name in _PROFILES if not profile_running(status, name)]
                if not waiting:
                    return esl_api(self.endpoints, "version").strip()
                last_error = f"profiles not running yet: {', '.join(waiting)}"
            except (OSError, EslError) as exc:
                last_error = str(exc)
            time.sleep(0.5)
        raise SwitchFailed(f"FreeSWITCH not ready after {timeout:.0f}s ({last_error})\n{self.log_tail()}")

    def alive(self) -> bool:
        return self._process is None or self._process.poll() is None

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None:
            _stop(process)

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    def log_tail(self, lines: int = _LOG_TAIL_LINES) -> str:
        texts = []
        for path in (self.log_dir / "freeswitch.log", self.run_dir / "freeswitch.out"):
            if path.is_file():
                tail = path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:]
                texts.append(f"--- {path}\n" + "\n".join(tail))
        return "\n".join(texts)


def _die_with_us() -> list[str]:
    """`setpriv --pdeathsig KILL` (util-linux): the kernel kills FreeSWITCH when the thread that started
    it dies, however it dies (SIGKILL, a crash, an interrupt in the middle of Popen), which no atexit
    hook can cover. The wrapper's `exec` keeps the signal. Callers start the switch from the thread
    that lives as long as they need it (the main thread in the CLI and the tests)."""
    setpriv = shutil.which("setpriv")
    return [setpriv, "--pdeathsig", "KILL"] if setpriv else []


def profile_running(sofia_status: str, profile: str) -> bool:
    """Whether `sofia status` lists `profile` as a profile that is RUNNING."""
    for line in sofia_status.splitlines():
        fields = line.split()
        if len(fields) >= 4 and fields[0] == profile and fields[1] == "profile" and "RUNNING" in fields[3:]:
            return True
    return False


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM, then SIGKILL to the whole process group after a grace period; always reaped."""
    try:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=_STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()
    finally:
        _running.discard(process)


@atexit.register
def _stop_all() -> None:
    """No FreeSWITCH outlives the Python process that started it, whatever ended that process."""
    for process in list(_running):
        _stop(process)


class EslError(SmokeError):
    pass


def esl_api(endpoints: SwitchEndpoints, command: str, timeout: float = 5.0) -> str:
    """Run one `api` command over inbound ESL and return its body."""
    with socket.create_connection((endpoints.esl_host, endpoints.esl_port), timeout=timeout) as sock:
        stream = sock.makefile("rb")
        _expect(stream, "auth/request")
        sock.sendall(f"auth {endpoints.esl_password}\n\n".encode())
        headers, _ = _read_frame(stream)
        if not headers.get("Reply-Text", "").startswith("+OK"):
            raise EslError(f"ESL refused our password: {headers.get('Reply-Text', '')}")
        sock.sendall(f"api {command}\n\n".encode())
        headers, body = _expect(stream, "api/response")
        sock.sendall(b"exit\n\n")
        return body


def _expect(stream: BinaryIO, content_type: str) -> tuple[dict[str, str], str]:
    headers, body = _read_frame(stream)
    if headers.get("Content-Type") != content_type:
        raise EslError(f"expected {content_type}, got {headers.get('Content-Type')!r}")
    return headers, body


def _read_frame(stream: BinaryIO) -> tuple[dict[str, str], str]:
    headers: dict[str, str] = {}
    while True:
        line = stream.readline(8192)
        if not line:
            raise EslError("FreeSWITCH closed the event socket")
        text = line.decode("utf-8", errors="replace").rstrip("\n")
        if not text:
            if headers:
                break
            continue
        name, _, value = text.partition(":")
        headers[name.strip()] = value.strip()
    length = int(headers.get("Content-Length", "0"))
    if length < 0 or length > 16 * 1024 * 1024:
        raise EslError(f"refusing an ESL body of {length} bytes")
    body = stream.read(length) if length else b""
    if len(body) != length:
        raise EslError("FreeSWITCH closed the event socket in the middle of a reply")
    return headers, body.decode("utf-8", errors="replace")


def _parse(path: Path) -> ET.Element:
    try:
        return ET.parse(path).getroot()  # noqa: S314 - the project's own rendered configuration
    except (OSError, ET.ParseError) as exc:
        raise SmokeError(f"cannot read {path}: {exc}") from exc


def _params(element: ET.Element) -> dict[str, str]:
    return {p.get("name", ""): p.get("value", "") for p in element.iter("param")}
