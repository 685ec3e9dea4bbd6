"""The dialer's customers in SIPp: the scenario branches by the dialled number, the voices become PCMU."""

from __future__ import annotations

import struct
import wave
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from sipp_scenarios.audio_pcap import Beep, Silence, Speech, segment_samples, wav_samples, write_audio_pcap
from sipp_scenarios.callee import Callee, callee_number, write_callee_scenario


def _wav(path: Path, rate: int = 8000, samples: tuple[int, ...] = (0, 1000, -1000, 32767)) -> Path:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(b"".join(struct.pack("<h", s) for s in samples))
    return path


def test_each_code_branches_to_its_own_callee(tmp_path: Path) -> None:
    pcap = tmp_path / "hello.pcap"
    scenario = write_callee_scenario(
        tmp_path / "callees.xml",
        {1: Callee("answer", pcap), 31: Callee("busy"), 32: Callee("no_answer"), 33: Callee("unreachable")},
    )
    root = ET.parse(scenario).getroot()
    jumps = {
        nop.get("next"): nop.get("test")
        for nop in root.iter("nop")
        if nop.get("next", "").startswith("callee_")
    }
    assert jumps == {f"callee_{code}": f"is_{code}" for code in (1, 31, 32, 33)}
    assert {label.get("id") for label in root.iter("label")} >= {"callee_1", "callee_31", "done"}
    texts = [send.text or "" for send in root.iter("send")]
    assert any("486 Busy Here" in text for text in texts)
    assert any("487 Request Terminated" in text for text in texts)
    assert [exe.get("play_pcap_audio") for exe in root.iter("exec")] == [str(pcap)]
    assert not any(e.get("assign_to") == "caller" for e in root.iter("ereg")), (
        "SIPp refuses variables set, never used"
    )


def test_a_callee_that_hangs_up_sends_its_own_bye(tmp_path: Path) -> None:
    scenario = write_callee_scenario(
        tmp_path / "c.xml", {5: Callee("answer", tmp_path / "m.pcap", hangup_after_ms=9000)}
    )
    root = ET.parse(scenario).getroot()
    assert any((send.text or "").lstrip().startswith("BYE") for send in root.iter("send"))
    assert {e.get("assign_to") for e in root.iter("ereg")} >= {"caller", "callee", "target"}


def test_callees_are_checked() -> None:
    with pytest.raises(ValueError, match="needs a capture"):
        Callee("answer")
    with pytest.raises(ValueError, match="needs a capture"):
        Callee("busy", Path("x.pcap"))
    with pytest.raises(ValueError, match="two digits"):
        callee_number("+1555010", 100)
    assert callee_number("+1555010", 7) == "+155501007"


def test_voices_become_20_ms_pcmu_packets(tmp_path: Path) -> None:
    speech = _wav(tmp_path / "s.wav", samples=tuple(range(0, 1600)))
    seconds = write_audio_pcap(tmp_path / "v.pcap", [Silence(100), Speech(speech), Beep(ms=200)])
    assert seconds == pytest.approx(0.1 + 0.2 + 0.2)
    assert segment_samples(Silence(20)) == [0] * 160
    beep = segment_samples(Beep(ms=20, hz=1000, amplitude=0.5))
    assert max(beep) == round(0.5 * 32767)
    assert wav_samples(speech)[:3] == [0, 1, 2]


def test_a_wav_of_another_format_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="want 8000 Hz mono 16-bit, got 16000 Hz"):
        wav_samples(_wav(tmp_path / "w.wav", rate=16000))
