"""A caller's voice for the live tier: a steady PCMU tone as a capture SIPp's `play_pcap_audio` replays.

mod_voicemail keeps a message only when it is at least `min-record-len` (3 s) long, and ends the
recording after `record-silence-hits` of silence: a SIPp caller that sends no audio leaves nothing.
"""

from __future__ import annotations

import math
import struct
from pathlib import Path

from sipp_scenarios.dtmf_pcap import write_rtp_pcap

PCMU_PT = 0
_PACKET_MS = 20
_RATE = 8000
_SSRC = 0x43434332
_BIAS = 0x84
_CLIP = 32635


def mu_law(sample: int) -> int:
    """One 16-bit linear sample as G.711 mu-law (ITU-T G.711, the usual segment search)."""
    sign = 0x80 if sample < 0 else 0
    magnitude = min(abs(sample), _CLIP) + _BIAS
    exponent = 7
    for bit in range(7):
        if magnitude < (0x100 << bit):
            exponent = bit
            break
    mantissa = (magnitude >> (exponent + 3)) & 0x0F
    return ~(sign | (exponent << 4) | mantissa) & 0xFF


def write_tone_pcap(path: Path, seconds: float, hz: float = 440.0, amplitude: int = 8000) -> Path:
    samples_per_packet = _RATE * _PACKET_MS // 1000
    packets = []
    for index in range(int(seconds * 1000) // _PACKET_MS):
        first = index * samples_per_packet
        payload = bytes(
            mu_law(round(amplitude * math.sin(2 * math.pi * hz * (first + n) / _RATE)))
            for n in range(samples_per_packet)
        )
        header = struct.pack(">BBHII", 0x80, (0x80 if index == 0 else 0) | PCMU_PT, index, first, _SSRC)
        packets.append((index * _PACKET_MS, header + payload))
    return write_rtp_pcap(path, packets)
