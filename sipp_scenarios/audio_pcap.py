"""A callee's voice as a capture SIPp's `play_pcap_audio` replays: speech, silence and tones in order.

The dialer's live tests answer its calls with SIPp playing what a person or an answering machine
says ("Hello?" then silence; a long greeting then a beep). The speech is a synthesized 8 kHz mono
16-bit WAV (the live tests make it with the same synthesizer as the prompts); silence and tones are
generated here. Everything becomes PCMU packets every 20 ms (dtmf_pcap.pcmu_packets).
"""

from __future__ import annotations

import math
import wave
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sipp_scenarios.dtmf_pcap import pcmu_packets, write_rtp_pcap

SAMPLE_RATE = 8000


@dataclass(frozen=True)
class Speech:
    """A WAV file (8000 Hz, mono, 16-bit) played as is."""

    wav: Path


@dataclass(frozen=True)
class Silence:
    ms: int


@dataclass(frozen=True)
class Beep:
    """A sine: an answering machine's beep is about 1 kHz for a fraction of a second."""

    ms: int = 600
    hz: int = 1000
    amplitude: float = 0.4


Segment = Speech | Silence | Beep


def wav_samples(path: Path) -> list[int]:
    """The samples of an 8000 Hz mono 16-bit WAV (ValueError for any other format)."""
    with wave.open(str(path), "rb") as wav:
        shape = (wav.getframerate(), wav.getnchannels(), wav.getsampwidth())
        if shape != (SAMPLE_RATE, 1, 2):
            raise ValueError(
                f"{path}: want 8000 Hz mono 16-bit, got {shape[0]} Hz, {shape[1]} ch, {shape[2] * 8}-bit"
            )
        frames = wav.readframes(wav.getnframes())
    return [int.from_bytes(frames[i : i + 2], "little", signed=True) for i in range(0, len(frames), 2)]


def segment_samples(segment: Segment) -> list[int]:
    if isinstance(segment, Speech):
        return wav_samples(segment.wav)
    count = segment.ms * SAMPLE_RATE // 1000
    if isinstance(segment, Silence):
        return [0] * count
    scale = segment.amplitude * 32767
    return [round(scale * math.sin(2 * math.pi * segment.hz * n / SAMPLE_RATE)) for n in range(count)]


def write_audio_pcap(path: Path, segments: Sequence[Segment]) -> float:
    """Write `segments` one after the other as a capture; returns its length in seconds."""
    samples: list[int] = []
    for segment in segments:
        samples.extend(segment_samples(segment))
    packets = pcmu_packets(samples)
    write_rtp_pcap(path, packets)
    return len(packets) * 0.02
