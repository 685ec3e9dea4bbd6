"""The SIPp smoke run: a real FreeSWITCH on the rendered conf, one SIPp call per menu path.

    report = smoke(Path("build/freeswitch"), dialplan=loaded.model)   # raises ToolMissing
    print(report); sys.exit(0 if report.ok else 1)

The application server (`callcenter serve`) must already listen where the conf's socket
application points: without it every call goes to the dialplan's fallback (operators' phones,
voicemail or a message), not the menus, and the caller scenarios fail. The report says so when
the port is closed.
"""

from __future__ import annotations

import contextlib
import os
import socket
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from dialplans.models import Dialplan
from sipp_scenarios.agent_phone import AgentLogin, AgentOptions, AgentPhone, Registrar
from sipp_scenarios.dtmf_pcap import DtmfTiming
from sipp_scenarios.generate import DEFAULT_CALLER, DEFAULT_MAX_KEYS, MenuPath, menu_paths
from sipp_scenarios.sipp_run import ScenarioResult, SippCall, run_sipp
from sipp_scenarios.switch import EslError, FreeSwitch, SwitchEndpoints, esl_api
from sipp_scenarios.tools import SmokeError, ToolMissing, find_freeswitch, find_sipp

__all__ = [
    "QueueCallReport",
    "SmokeError",
    "SmokeOptions",
    "SmokeReport",
    "ToolMissing",
    "path_call",
    "plan_calls",
    "queue_call",
    "queue_path",
    "smoke",
]


@dataclass(frozen=True)
class SmokeOptions:
    run_dir: Path | None = None
    """Where logs, captures and SIPp traces go; a new temporary directory when None."""
    start_freeswitch: bool = True
    """False runs the scenarios against a FreeSWITCH already running on this conf."""
    max_paths: int | None = None
    max_keys: int = DEFAULT_MAX_KEYS
    timing: DtmfTiming = field(default_factory=DtmfTiming)
    call_timeout_s: int = 120
    hangup_after_ms: int = 1500
    load_calls: int = 4
    load_rate: float = 2.0
    load_hold_ms: int = 3000


@dataclass
class SmokeReport:
    results: list[ScenarioResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    freeswitch_version: str = ""
    run_dir: Path | None = None

    @property
    def ok(self) -> bool:
        return bool(self.results) and all(result.ok for result in self.results)

    def __str__(self) -> str:
        passed = sum(result.ok for result in self.results)
        version = self.freeswitch_version or "FreeSWITCH"
        lines = [f"sipp smoke: {passed}/{len(self.results)} scenarios passed ({version})"]
        lines += [f"  note: {note}" for note in self.notes]
        for result in self.results:
            status = "ok  " if result.ok else "FAIL"
            counts = f"{result.successful}/{result.expected} calls, {result.failed} failed"
            counts += f", exit {result.returncode}"
            lines.append(f"  {status} {result.name} ({counts})")
            if not result.ok and result.errors:
                lines += [f"       {line}" for line in result.errors.splitlines()]
        if self.run_dir is not None:
            lines.append(f"  traces and logs: {self.run_dir}")
        return "\n".join(lines)


def plan_calls(dialplan: Dialplan, options: SmokeOptions = SmokeOptions()) -> list[SippCall]:
    """Every SIPp run of a smoke test: each menu path, a hang-up per DID, and a short load."""
    paths = menu_paths(dialplan, max_keys=options.max_keys)
    if options.max_paths is not None:
        paths = paths[: options.max_paths]
    calls = [path_call(index, path) for index, path in enumerate(paths, start=1)]
    for did in sorted(dialplan.dids):
        calls.append(
            SippCall(
                name=f"hangup-mid-prompt {did}",
                scenario="caller_hangup.xml",
                args=("-s", did, "-d", str(options.hangup_after_ms)),
            )
        )
    if dialplan.dids and options.load_calls > 0:
        did = sorted(dialplan.dids)[0]
        calls.append(
            SippCall(
                name=f"load {did} x{options.load_calls}",
                scenario="load.xml",
                args=("-s", did, "-d", str(options.load_hold_ms), "-r", str(options.load_rate)),
                expected_calls=options.load_calls,
            )
        )
    return calls


def smoke(conf_dir: Path, *, dialplan: Dialplan, options: SmokeOptions = SmokeOptions()) -> SmokeReport:
    sipp = find_sipp()
    freeswitch = find_freeswitch() if options.start_freeswitch else None
    endpoints = SwitchEndpoints.from_conf(conf_dir)
    run_dir = options.run_dir or Path(tempfile.mkdtemp(prefix="callcenter-sipp-"))
    run_dir.mkdir(parents=True, exist_ok=True)
    report = SmokeReport(run_dir=run_dir)
    with _switch(freeswitch, conf_dir, run_dir / "freeswitch", endpoints) as switch:
        report.freeswitch_version = _version(endpoints)
        report.notes += _preflight(endpoints)
        for index, call in enumerate(plan_calls(dialplan, options), start=1):
            work_dir = run_dir / "sipp" / f"{index:03d}-{call.scenario.removesuffix('.xml')}"
            report.results.append(
                run_sipp(
                    sipp,
                    call,
                    endpoints=endpoints,
                    work_dir=work_dir,
                    timing=options.timing,
                    timeout_s=options.call_timeout_s,
                )
            )
            if switch is not None and not switch.alive():
                report.notes.append(f"FreeSWITCH exited during {call.name}\n{switch.log_tail()}")
                break
    return report


@dataclass(frozen=True)
class QueueCallReport:
    """A queued caller and the agent phone that took the call: both SIPp runs must have succeeded."""

    path: MenuPath
    caller: ScenarioResult
    agent: ScenarioResult

    @property
    def ok(self) -> bool:
        return self.caller.ok and self.agent.ok

    def __str__(self) -> str:
        lines = [f"queue call {self.path.did} keys {self.path.dialed or '-'} -> {self.path.outcome}"]
        for result in (self.caller, self.agent):
            status = "ok  " if result.ok else "FAIL"
            lines.append(f"  {status} {result.name} (exit {result.returncode}, {result.successful} ok)")
            if not result.ok and result.errors:
                lines += [f"       {line}" for line in result.errors.splitlines()]
        return "\n".join(lines)


def queue_path(dialplan: Dialplan, queue: str, *, max_keys: int = DEFAULT_MAX_KEYS) -> MenuPath:
    """The first (fewest keys) menu path that ends in `queue`."""
    paths = [p for p in menu_paths(dialplan, max_keys=max_keys) if p.outcome == f"queue:{queue}"]
    if not paths:
        raise SmokeError(f"no menu path of at most {max_keys} keys reaches queue {queue!r}")
    return min(paths, key=lambda path: len(path.digits))


def queue_call(
    conf_dir: Path,
    *,
    dialplan: Dialplan,
    queue: str,
    login: AgentLogin,
    run_dir: Path,
    agent: AgentOptions | None = None,
    timing: DtmfTiming | None = None,
    call_timeout_s: int = 120,
    register_timeout_s: float = 20.0,
) -> QueueCallReport:
    """Register a SIPp agent phone on the agents profile, then call the DID keying into `queue`.

    The agent must already be logged in and ready (`callcenter agent login/ready`) for the queue to
    offer it the call. Raises AgentPhoneError when the phone cannot register.
    """
    sipp = find_sipp()
    path = queue_path(dialplan, queue)
    endpoints = SwitchEndpoints.from_conf(conf_dir)
    phone = AgentPhone(sipp, login, Registrar.from_conf(conf_dir), run_dir / "agent", agent or AgentOptions())
    phone.start()
    try:
        phone.wait_registered(register_timeout_s)
        caller = run_sipp(
            sipp,
            path_call(1, path),
            endpoints=endpoints,
            work_dir=run_dir / "caller",
            timing=timing or DtmfTiming(),
            timeout_s=call_timeout_s,
        )
        # A caller that failed may never have reached the agent: do not wait out its timeout.
        agent_result = phone.finish(timeout=30 if caller.ok else 5)
    finally:
        phone.stop()
    return QueueCallReport(path, caller, agent_result)


def path_call(index: int, path: MenuPath, *, caller: str = DEFAULT_CALLER) -> SippCall:
    """The SIPp run of one menu path (caller.xml), calling from `caller`."""
    keys = " ".join(path.digits) or "(none)"
    return SippCall(
        name=f"path {index} {path.did} [{path.start_menu}] keys {keys} -> {path.outcome}",
        scenario="caller.xml",
        csv_rows=((path.did, caller, path.dialed or "-", path.outcome, path.start_menu),),
        keys=path.digits,
    )


@contextlib.contextmanager
def _switch(
    binary: Path | None, conf_dir: Path, run_dir: Path, endpoints: SwitchEndpoints
) -> Iterator[FreeSwitch | None]:
    if binary is None:
        yield None
        return
    run_dir.mkdir(parents=True, exist_ok=True)
    with FreeSwitch(binary, conf_dir, run_dir, endpoints) as switch:
        yield switch


def _version(endpoints: SwitchEndpoints) -> str:
    try:
        return esl_api(endpoints, "version").strip()
    except (OSError, EslError) as exc:
        raise SmokeError(
            f"no FreeSWITCH answers on the event socket {endpoints.esl_host}:{endpoints.esl_port}: {exc}"
        ) from exc


def _preflight(endpoints: SwitchEndpoints) -> list[str]:
    notes = []
    try:
        with socket.create_connection((endpoints.app_host, endpoints.app_port), timeout=2):
            pass
    except OSError:
        notes.append(
            f"nothing listens on {endpoints.app_host}:{endpoints.app_port}: start `callcenter serve`; "
            "until then every call goes to the dialplan's fallback"
        )
    if os.geteuid() != 0:
        notes.append("not root: SIPp replays DTMF captures over a raw socket and needs root or CAP_NET_RAW")
    return notes
