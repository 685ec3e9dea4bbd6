"""An agent's phone played by SIPp in the background: registered, answering one call, unregistered.

    with AgentPhone(sipp, AgentLogin("1003", "callcenter.local", password), registrar, work_dir) as phone:
        phone.wait_registered(timeout=20)          # raises AgentPhoneError if SIPp gave up
        ...place the caller...
    result = phone.result                          # a ScenarioResult, like run_sipp's

agent.xml registers and unregisters; agent_answer.xml, its out-of-call scenario, answers the
INVITE (with AgentOptions(answers=False), agent_no_answer.xml rings and waits for the CANCEL instead).
The password goes to SIPp in an injection file of mode 0600, never on its command line, so neither
`ps` nor the recorded command shows it.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from types import TracebackType

from sipp_scenarios.ports import free_media_port, free_udp_port
from sipp_scenarios.sipp_run import ScenarioResult, call_counts, error_tail
from sipp_scenarios.tools import SmokeError

AGENT_SCENARIO = "agent.xml"
ANSWER_SCENARIO = "agent_answer.xml"
NO_ANSWER_SCENARIO = "agent_no_answer.xml"
REGISTERED_MARK = "registered "
_AGENTS_PROFILE = "agents"
_POLL_S = 0.1


class AgentPhoneError(SmokeError):
    """The agent's SIPp exited or did not register in time; the message ends with its errors."""


@dataclass(frozen=True)
class AgentLogin:
    extension: str
    domain: str
    password: str = field(repr=False)

    def __post_init__(self) -> None:
        fields = {"extension": self.extension, "domain": self.domain, "password": self.password}
        for name, value in fields.items():
            if not value or any(ch in value for ch in ';\n\r"'):
                raise ValueError(f"the agent's {name} is empty or cannot go into a SIPp injection file")


@dataclass(frozen=True)
class Registrar:
    """Where the phone registers: the agents profile's address."""

    host: str
    port: int
    domain: str

    @classmethod
    def from_conf(cls, conf_dir: Path) -> Registrar:
        """The agents profile of a rendered conf: its sip-ip, sip-port and forced registration domain."""
        path = conf_dir / "autoload_configs" / "sofia.conf.xml"
        try:
            root = ET.parse(path).getroot()  # noqa: S314 - the project's own rendered configuration
        except (OSError, ET.ParseError) as exc:
            raise SmokeError(f"cannot read {path}: {exc}") from exc
        profile = next((p for p in root.iter("profile") if p.get("name") == _AGENTS_PROFILE), None)
        if profile is None:
            raise SmokeError(f"{path}: no {_AGENTS_PROFILE} profile")
        params = {p.get("name", ""): p.get("value", "") for p in profile.iter("param")}
        return cls(params["sip-ip"], int(params["sip-port"]), params["force-register-domain"])


@dataclass(frozen=True)
class AgentOptions:
    hangup_after_ms: int = 0
    """0: stay in the call until the far end's BYE; otherwise send a BYE of its own after about this long."""
    ring_ms: int = 0
    """How long the phone rings before it answers (0: at once), in steps of 250 ms."""
    timeout_s: int = 120
    answers: bool = True
    """False: the phone rings and is never picked up; it waits for the switch's CANCEL
    (agent_no_answer.xml) and fails without one."""
    auto_answer: bool | None = None
    """True: the INVITE must ask the phone to answer by itself (`Call-Info: <sip:…>;answer-after=0`,
    mod_sofia's sip_auto_answer), False: it must not; the phone's run fails otherwise. None: not checked."""


def with_call_info_check(scenario: str, auto_answer: bool | None) -> str:
    """An answering scenario whose INVITE fails the phone's run when its Call-Info is not as
    `auto_answer` says (SIPp's ereg check_it / check_it_inverse); unchanged for None."""
    if auto_answer is None:
        return scenario
    check = 'check_it="true"' if auto_answer else 'check_it_inverse="true"'
    ereg = f'<ereg regexp="answer-after=0" search_in="hdr" header="Call-Info:" {check} assign_to="asked"/>'
    checked = scenario.replace("<action>", "<action>\n      " + ereg, 1)  # the INVITE's is the first
    # SIPp refuses a variable set and never read unless a <Reference> (after it is set) names it.
    return checked.replace("</recv>", '</recv>\n  <Reference variables="asked"/>', 1)


class AgentPhone:
    """A SIPp agent phone running while the caller runs; `result` is set once it has finished."""

    def __init__(
        self,
        sipp: Path,
        login: AgentLogin,
        registrar: Registrar,
        work_dir: Path,
        options: AgentOptions = AgentOptions(),
    ) -> None:
        self.login = login
        self.registrar = registrar
        self.work_dir = work_dir
        self.options = options
        self.log_file = work_dir / "agent.log"
        self.result: ScenarioResult | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._command = self._prepare(sipp)

    def _prepare(self, sipp: Path) -> tuple[str, ...]:
        self.work_dir.mkdir(parents=True, exist_ok=True)
        package = resources.files("sipp_scenarios")
        answer_scenario = ANSWER_SCENARIO if self.options.answers else NO_ANSWER_SCENARIO
        (self.work_dir / AGENT_SCENARIO).write_bytes(package.joinpath(AGENT_SCENARIO).read_bytes())
        answering = package.joinpath(answer_scenario).read_text(encoding="utf-8")
        checked = with_call_info_check(answering, self.options.auto_answer)
        (self.work_dir / answer_scenario).write_text(checked, encoding="utf-8")
        credentials = self.work_dir / "agent.csv"
        fd = os.open(credentials, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(f"SEQUENTIAL\n{self.login.extension};{self.login.domain};{self.login.password}\n")
        host = self.registrar.host
        work = self.work_dir
        return (
            str(sipp),
            f"{host}:{self.registrar.port}",
            "-sf",
            str(work / AGENT_SCENARIO),
            "-oocsf",
            str(work / answer_scenario),
            "-inf",
            str(credentials),
            # agent_no_answer.xml has neither $hangup_after_ms nor $ring_ms to set
            *(self._answer_settings() if self.options.answers else ()),
            "-i",
            host,
            "-mi",
            host,
            "-p",
            str(free_udp_port(host)),
            "-mp",
            str(free_media_port(host)),
            "-rtp_echo",
            "-m",
            "1",
            "-nostdin",
            "-timeout",
            f"{self.options.timeout_s}s",
            "-timeout_error",
            "-trace_logs",
            "-log_file",
            str(self.log_file),
            "-trace_err",
            "-error_file",
            str(work / "errors.log"),
            "-trace_stat",
            "-stf",
            str(work / "stat.csv"),
        )

    def _answer_settings(self) -> tuple[str, ...]:
        hangup_after, ring = str(self.options.hangup_after_ms), str(self.options.ring_ms)
        return ("-set", "hangup_after_ms", hangup_after, "-set", "ring_ms", ring)

    def __enter__(self) -> AgentPhone:
        self.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if kind is None:
            self.finish()
        else:
            self.stop()

    def start(self) -> None:
        with (self.work_dir / "sipp.stderr").open("wb") as stderr:
            self._process = subprocess.Popen(
                self._command,
                cwd=self.work_dir,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
            )

    def registered(self) -> bool:
        if not self.log_file.is_file():
            return False
        return REGISTERED_MARK in self.log_file.read_text(encoding="utf-8", errors="replace")

    def wait_registered(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.registered():
                return
            if self._process is None or self._process.poll() is not None:
                code = None if self._process is None else self._process.returncode
                tail = error_tail(self.work_dir)
                raise AgentPhoneError(f"agent SIPp exited ({code}) before registering\n{tail}")
            time.sleep(_POLL_S)
        raise AgentPhoneError(
            f"agent {self.login.extension} not registered at {self.registrar.host}:{self.registrar.port} "
            f"after {timeout:.0f}s\n{error_tail(self.work_dir)}"
        )

    def finish(self, timeout: float | None = None) -> ScenarioResult:
        """Wait for SIPp to unregister and exit, then read what it did."""
        process = self._process
        returncode = -1
        limit = timeout if timeout is not None else self.options.timeout_s + 30
        if process is not None:
            try:
                returncode = process.wait(timeout=limit)
            except subprocess.TimeoutExpired:
                self.stop()
        successful, failed = call_counts(self.work_dir / "stat.csv")
        self.result = ScenarioResult(
            name=f"agent {self.login.extension}",
            command=self._command,
            returncode=returncode,
            successful=successful,
            failed=failed,
            expected=1,
            errors=error_tail(self.work_dir),
            work_dir=self.work_dir,
        )
        return self.result

    def stop(self) -> None:
        process = self._process
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            process.wait()
