"""RFC 4733 (RFC 2833) telephone-events as a pcap file that SIPp's `play_pcap_audio` replays.

SIPp 3.6 can only send DTMF by replaying a capture, and the file is fixed when the scenario
loads. The captures SIPp ships (dtmf_2833_<key>.pcap) each carry one key with its own
sequence numbers: replaying "1" twice, or "2" then "1", sends sequence numbers that do not
increase, and FreeSWITCH drops those events (handle_rfc2833() in switch_rtp.c ignores a packet
whose sequence number is not above the last one). So each call gets one capture of its whole
key sequence: sequence numbers always increase, every key has its own RTP timestamp, and the
pause between keys is in the capture's own timing, which SIPp honours.

A second capture played later in the same call (caller_late_keys.xml: a survey's answers after the
agent hangs up) must go on where the stream is by then: `stream_ms` starts its sequence numbers and
timestamps that far into the call, above every packet of a first capture played from its start.

A `Tone` adds the caller's voice to the same capture: PCMU (payload type 0) packets of a sine, every
20 ms, with their own sequence numbers and timestamps (a voicemail needs sound to keep recording).

SIPp sends the packets from a raw socket, addressed to the media address of the far end's SDP:
only the UDP ports of the capture are rewritten, so the addresses written here do not matter.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

TELEPHONE_EVENT_PT = 101
PCMU_PT = 0
EVENT_CODES = {**{str(d): d for d in range(10)}, "*": 10, "#": 11}
_PACKET_MS = 20
_SAMPLES_PER_MS = 8
_SSRC = 0x43434331
_VOLUME = 10
_END_REPEATS = 3
_PCAP_HEADER = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)  # DLT_EN10MB
_ETHERNET = bytes.fromhex("0000000000020000000000010800")
_SRC_IP = bytes([192, 0, 2, 1])
_DST_IP = bytes([192, 0, 2, 2])
_SRC_PORT = 49152
_DST_PORT = 10000
_EPOCH = 1_700_000_000


@dataclass(frozen=True)
class DtmfTiming:
    """When the keys are pressed: each key lasts `key_ms`, `gap_ms` separates two keys."""

    key_ms: int = 200
    gap_ms: int = 2000

    def __post_init__(self) -> None:
        if self.key_ms < 2 * _PACKET_MS or self.key_ms % _PACKET_MS:
            raise ValueError(f"key_ms must be a multiple of {_PACKET_MS} ms, at least {2 * _PACKET_MS}")
        if self.gap_ms < _PACKET_MS:
            raise ValueError(f"gap_ms must be at least {_PACKET_MS} ms")


@dataclass(frozen=True)
class RtpEvent:
    """One RTP packet of a telephone-event, as it is written (and as a receiver decodes it)."""

    at_ms: int
    sequence: int
    timestamp: int
    marker: bool
    key: str
    end: bool
    duration: int


def rtp_events(
    keys: Sequence[str], timing: DtmfTiming = DtmfTiming(), *, stream_ms: int = 0
) -> list[RtpEvent]:
    """The packets of `keys`; `stream_ms`: how far into the call's RTP stream the capture starts."""
    for key in keys:
        if key not in EVENT_CODES:
            raise ValueError(f"{key!r} is not a DTMF key (0-9, * or #)")
    if stream_ms < 0:
        raise ValueError("stream_ms must not be negative")
    packets: list[RtpEvent] = []
    # One sequence number per 20 ms packet time: more than any earlier capture in the call can use.
    sequence = 1000 + stream_ms // _PACKET_MS
    per_key = timing.key_ms // _PACKET_MS
    for index, key in enumerate(keys):
        start_ms = index * (timing.key_ms + timing.gap_ms)
        timestamp = 16000 + (stream_ms + start_ms) * _SAMPLES_PER_MS
        for step in range(per_key):
            duration = (step + 1) * _PACKET_MS * _SAMPLES_PER_MS
            packets.append(
                RtpEvent(start_ms + step * _PACKET_MS, sequence, timestamp, step == 0, key, False, duration)
            )
            sequence += 1
        end_ms = start_ms + per_key * _PACKET_MS
        for _ in range(_END_REPEATS):  # the end packet is sent three times with one sequence number
            packets.append(
                RtpEvent(
                    end_ms, sequence, timestamp, False, key, True, per_key * _PACKET_MS * _SAMPLES_PER_MS
                )
            )
        sequence += 1
    return packets


def rtp_packet(event: RtpEvent) -> bytes:
    header = struct.pack(
        ">BBHII",
        0x80,
        (0x80 if event.marker else 0) | TELEPHONE_EVENT_PT,
        event.sequence,
        event.timestamp,
        _SSRC,
    )
    flags = (0x80 if event.end else 0) | _VOLUME
    return header + struct.pack(">BBH", EVENT_CODES[event.key], flags, event.duration)


def decode_rtp_event(packet: bytes, at_ms: int = 0) -> RtpEvent | None:
    """The telephone-event in an RTP packet, or None for any other packet."""
    if len(packet) < 16 or packet[1] & 0x7F != TELEPHONE_EVENT_PT:
        return None
    _, marker_pt, sequence, timestamp, _ = struct.unpack(">BBHII", packet[:12])
    code, flags, duration = struct.unpack(">BBH", packet[12:16])
    keys = {code: key for key, code in EVENT_CODES.items()}
    if code not in keys:
        return None
    return RtpEvent(
        at_ms, sequence, timestamp, bool(marker_pt & 0x80), keys[code], bool(flags & 0x80), duration
    )


@dataclass(frozen=True)
class Tone:
    """A sine of `hz` the caller sends from `start_ms` (the capture's clock: 0 is the first key's time)
    for `duration_ms`, at `amplitude` of full scale."""

    start_ms: int
    duration_ms: int
    hz: int = 440
    amplitude: float = 0.3

    def __post_init__(self) -> None:
        if self.start_ms < 0 or self.duration_ms < _PACKET_MS or not 0 < self.amplitude <= 1:
            raise ValueError(f"not a tone to send: {self}")


def tone_packets(tone: Tone) -> list[tuple[int, bytes]]:
    """(send time in ms, RTP packet) of every PCMU packet of `tone`."""
    samples = [
        round(tone.amplitude * 32767 * math.sin(2 * math.pi * tone.hz * n / 8000))
        for n in range(tone.duration_ms // _PACKET_MS * _PACKET_MS * _SAMPLES_PER_MS)
    ]
    return pcmu_packets(samples, start_ms=tone.start_ms)


def pcmu_packets(samples: Sequence[int], *, start_ms: int = 0) -> list[tuple[int, bytes]]:
    """(send time in ms, RTP packet) of 8 kHz 16-bit `samples` as PCMU, one packet per whole 20 ms
    (a last partial packet is dropped); sequence numbers from 20000, the first packet marked."""
    per_packet = _PACKET_MS * _SAMPLES_PER_MS
    packets = []
    for index in range(len(samples) // per_packet):
        first = index * per_packet
        payload = bytes(ulaw(sample) for sample in samples[first : first + per_packet])
        header = struct.pack(
            ">BBHII", 0x80, (0x80 if index == 0 else 0) | PCMU_PT, (20000 + index) & 0xFFFF, first, _SSRC + 1
        )
        packets.append((start_ms + index * _PACKET_MS, header + payload))
    return packets


def ulaw(sample: int) -> int:
    """One 16-bit linear sample as G.711 mu-law."""
    sign = 0x80 if sample < 0 else 0
    magnitude = min(abs(sample), 32635) + 0x84
    exponent = 7
    while exponent > 0 and not magnitude & (0x4000 >> (7 - exponent)):
        exponent -= 1
    mantissa = (magnitude >> (exponent + 3)) & 0x0F
    return ~(sign | (exponent << 4) | mantissa) & 0xFF


def write_dtmf_pcap(
    path: Path,
    keys: Sequence[str],
    timing: DtmfTiming = DtmfTiming(),
    tone: Tone | None = None,
    *,
    stream_ms: int = 0,
) -> Path:
    """The capture of `keys`, with `tone`'s packets among them when given; `stream_ms` starts the keys'
    sequence numbers and timestamps that far in, so a second capture replayed later in the same call
    continues the first."""
    packets = [(event.at_ms, rtp_packet(event)) for event in rtp_events(keys, timing, stream_ms=stream_ms)]
    if tone is not None:
        packets = sorted(packets + tone_packets(tone), key=lambda packet: packet[0])
    return write_rtp_pcap(path, packets)


def write_rtp_pcap(path: Path, packets: Iterable[tuple[int, bytes]]) -> Path:
    """RTP packets (milliseconds from the start, packet) as a capture `play_pcap_audio` replays."""
    records = [_PCAP_HEADER]
    for identification, (at_ms, packet) in enumerate(packets):
        frame = _ETHERNET + _udp_ipv4(packet, identification)
        seconds, millis = divmod(at_ms, 1000)
        records.append(struct.pack("<IIII", _EPOCH + seconds, millis * 1000, len(frame), len(frame)))
        records.append(frame)
    path.write_bytes(b"".join(records))
    return path


def _udp_ipv4(payload: bytes, identification: int) -> bytes:
    udp = struct.pack(">HHHH", _SRC_PORT, _DST_PORT, 8 + len(payload), 0) + payload
    header = struct.pack(
        ">BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), identification & 0xFFFF, 0x4000, 64, 17, 0, _SRC_IP, _DST_IP
    )
    checksum = _ones_complement(header)
    return header[:10] + struct.pack(">H", checksum) + header[12:] + udp


def _ones_complement(data: bytes) -> int:
    total = sum(int.from_bytes(data[i : i + 2], "big") for i in range(0, len(data), 2))
    while total > 0xFFFF:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF
