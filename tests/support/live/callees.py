"""Customers for the dialer's live tests: synthesized people, answering machines and a fax behind one SIPp.

Each `Voice` is what a callee says when it answers (speech from the prompts' synthesizer, silences,
a beep, a fax tone); `callee_sipp` writes the captures and the scenario (sipp_scenarios.callee) and
runs SIPp as the carrier every campaign call goes to.
"""

from __future__ import annotations

import contextlib
import hashlib
import subprocess
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from freeswitch_conf.prompt_audio import find_synthesizer
from sipp_scenarios.audio_pcap import Beep, Segment, Silence, Speech, write_audio_pcap
from sipp_scenarios.callee import Callee, CalleeKind, callee_number, write_callee_scenario
from sipp_scenarios.ports import free_media_port
from tests.support.live.harness import Live, free_sip_port

NUMBER_PREFIX = "+1555010"


@dataclass(frozen=True)
class Said:
    """Speech to synthesize."""

    text: str


Part = Said | Silence | Beep


@dataclass(frozen=True)
class Voice:
    name: str
    parts: tuple[Part, ...]
    hangs_up_after_ms: int = 0
    """0: stays until the switch hangs up."""


@dataclass(frozen=True)
class CalleeSet:
    """The SIPp carrier: dial `endpoint(code)` to reach the callee of `code`."""

    host: str
    port: int

    def endpoint(self, code: int) -> str:
        return f"sofia/callers/sip:{callee_number(NUMBER_PREFIX, code)}@{self.host}:{self.port}"


def speech_wav(live: Live, text: str, folder: Path) -> Path:
    synthesizer = find_synthesizer(live.settings.tts_voice)
    if isinstance(synthesizer, str):
        raise AssertionError(f"the live tier needs a speech synthesizer: {synthesizer}")
    target = folder / f"said-{hashlib.sha256(text.encode()).hexdigest()[:16]}.wav"
    if not target.exists():
        synthesizer.synthesize(text, target)
    return target


def voice_pcap(live: Live, voice: Voice, folder: Path) -> Path:
    segments: list[Segment] = []
    for part in voice.parts:
        segments.append(Speech(speech_wav(live, part.text, folder)) if isinstance(part, Said) else part)
    path = folder / f"{voice.name}.pcap"
    write_audio_pcap(path, segments)
    return path


@contextlib.contextmanager
def callee_sipp(
    live: Live,
    folder: Path,
    answering: Mapping[int, Voice],
    others: Mapping[int, CalleeKind],
    *,
    ring_ms: int = 800,
) -> Iterator[CalleeSet]:
    """One SIPp answering `answering`'s codes with their voices and `others`' as busy/no answer/..."""
    folder.mkdir(parents=True, exist_ok=True)
    callees: dict[int, Callee] = {
        code: Callee("answer", voice_pcap(live, voice, folder), ring_ms, voice.hangs_up_after_ms)
        for code, voice in answering.items()
    }
    callees.update({code: Callee(kind) for code, kind in others.items()})
    scenario = write_callee_scenario(folder / "callees.xml", callees)
    port = free_sip_port()
    command = [str(live.sipp), "-sf", str(scenario), "-i", "127.0.0.1", "-p", str(port)]
    command += ["-mp", str(free_media_port()), "-nostdin", "-trace_err", "-timeout", "600s"]
    with (folder / "sipp.out").open("wb") as output:
        process = subprocess.Popen(command, cwd=folder, stdout=output, stderr=subprocess.STDOUT)
    try:
        time.sleep(0.5)
        if process.poll() is not None:
            raise AssertionError(f"the callees' SIPp exited: {_tail(folder)}")
        yield CalleeSet("127.0.0.1", port)
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _tail(folder: Path) -> str:
    texts: Sequence[str] = [
        path.read_text(errors="replace")[-800:] for path in sorted(folder.glob("*errors.log"))
    ]
    return (folder / "sipp.out").read_text(errors="replace")[-800:] + "".join(texts)
