"""Run one SIPp scenario against the callers profile and read back what happened."""

from __future__ import annotations

import csv
import subprocess
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from sipp_scenarios.dtmf_pcap import DtmfTiming, write_dtmf_pcap
from sipp_scenarios.ports import free_media_port, free_udp_port
from sipp_scenarios.switch import SwitchEndpoints

_ERROR_TAIL_LINES = 12
# Lines SIPp 3.6 prints on every run; they say nothing about the calls.
_NOISE = ("Failed to delete FD from epoll", "Resolving remote host")


@dataclass(frozen=True)
class SippCall:
    """One SIPp run: a packaged scenario, its arguments, and the calls it must complete."""

    name: str
    scenario: str
    args: tuple[str, ...] = ()
    csv_rows: tuple[tuple[str, ...], ...] = ()
    keys: tuple[str, ...] | None = None
    expected_calls: int = 1


@dataclass(frozen=True)
class ScenarioResult:
    name: str
    command: tuple[str, ...]
    returncode: int
    successful: int
    failed: int
    expected: int
    errors: str
    work_dir: Path

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and self.failed == 0 and self.successful == self.expected


def run_sipp(
    sipp: Path,
    call: SippCall,
    *,
    endpoints: SwitchEndpoints,
    work_dir: Path,
    timing: DtmfTiming,
    timeout_s: int,
) -> ScenarioResult:
    work_dir.mkdir(parents=True, exist_ok=True)
    scenario = work_dir / call.scenario
    scenario.write_bytes(resources.files("sipp_scenarios").joinpath(call.scenario).read_bytes())
    if call.keys is not None:
        # caller.xml plays dtmf.pcap from its own directory (SIPp resolves it next to the scenario).
        write_dtmf_pcap(work_dir / "dtmf.pcap", call.keys, timing)
    command = _sipp_command(sipp, call, endpoints, scenario, work_dir, timeout_s=timeout_s)
    if call.csv_rows:
        rows = "\n".join(";".join(row) for row in call.csv_rows)
        (work_dir / "calls.csv").write_text(f"SEQUENTIAL\n{rows}\n", encoding="utf-8")
        command += ["-inf", str(work_dir / "calls.csv")]
    if "-m" not in call.args:
        command += ["-m", str(call.expected_calls)]
    with (work_dir / "sipp.stderr").open("wb") as stderr:
        try:
            completed = subprocess.run(
                command,
                cwd=work_dir,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                timeout=timeout_s + 30,
                check=False,
            )
            returncode = completed.returncode
        except subprocess.TimeoutExpired:
            returncode = -1
    successful, failed = call_counts(work_dir / "stat.csv")
    return ScenarioResult(
        name=call.name,
        command=tuple(command),
        returncode=returncode,
        successful=successful,
        failed=failed,
        expected=call.expected_calls,
        errors=error_tail(work_dir),
        work_dir=work_dir,
    )


def _sipp_command(
    sipp: Path, call: SippCall, endpoints: SwitchEndpoints, scenario: Path, work_dir: Path, *, timeout_s: int
) -> list[str]:
    """SIPp's command line for `call`: the switch, free local ports, the traces in `work_dir`."""
    return [
        str(sipp),
        f"{endpoints.sip_host}:{endpoints.sip_port}",
        "-sf",
        str(scenario),
        "-i",
        endpoints.sip_host,
        "-mi",
        endpoints.sip_host,
        "-p",
        str(free_udp_port(endpoints.sip_host)),
        "-mp",
        str(free_media_port(endpoints.sip_host)),
        "-rtp_echo",
        "-nostdin",
        "-timeout",
        f"{timeout_s}s",
        "-timeout_error",
        "-trace_err",
        "-error_file",
        str(work_dir / "errors.log"),
        "-trace_stat",
        "-stf",
        str(work_dir / "stat.csv"),
        "-trace_screen",
        "-screen_file",
        str(work_dir / "screen.log"),
        *call.args,
    ]


def call_counts(stat_file: Path) -> tuple[int, int]:
    """Cumulative successful and failed calls from SIPp's -trace_stat file (last row)."""
    if not stat_file.is_file():
        return 0, 0
    rows = list(
        csv.reader(stat_file.read_text(encoding="utf-8", errors="replace").splitlines(), delimiter=";")
    )
    if len(rows) < 2:
        return 0, 0
    final = dict(zip(rows[0], rows[-1], strict=False))
    return _int(final.get("SuccessfulCall(C)")), _int(final.get("FailedCall(C)"))


def _int(text: str | None) -> int:
    return int(text) if text is not None and text.strip().isdigit() else 0


def error_tail(work_dir: Path) -> str:
    lines: list[str] = []
    for name in ("errors.log", "sipp.stderr"):
        path = work_dir / name
        if path.is_file():
            lines += [
                line
                for line in path.read_text(encoding="utf-8", errors="replace").splitlines()
                if line.strip() and not any(noise in line for noise in _NOISE)
            ]
    return "\n".join(lines[-_ERROR_TAIL_LINES:])
