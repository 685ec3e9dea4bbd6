"""The DTMF capture caller.xml replays: RFC 4733 events FreeSWITCH will accept, in a pcap SIPp reads."""

from __future__ import annotations

import itertools
import struct
from pathlib import Path

import pytest

from sipp_scenarios.dtmf_pcap import (
    PCMU_PT,
    TELEPHONE_EVENT_PT,
    DtmfTiming,
    Tone,
    decode_rtp_event,
    rtp_events,
    rtp_packet,
    ulaw,
    write_dtmf_pcap,
)


def read_pcap(path: Path) -> list[tuple[float, bytes, bytes]]:
    """(time, IPv4 header, UDP datagram) per frame, parsed independently of the writer."""
    data = path.read_bytes()
    magic, major, minor, _, _, snaplen, linktype = struct.unpack("<IHHiIII", data[:24])
    assert (magic, major, minor, linktype) == (0xA1B2C3D4, 2, 4, 1)
    frames, offset = [], 24
    while offset < len(data):
        seconds, micros, captured, original = struct.unpack("<IIII", data[offset : offset + 16])
        assert captured == original <= snaplen  # SIPp refuses truncated captures
        frame = data[offset + 16 : offset + 16 + captured]
        offset += 16 + captured
        assert frame[12:14] == b"\x08\x00"  # IPv4 over Ethernet, as SIPp's prepare_pcap expects
        ihl = (frame[14] & 0x0F) * 4
        frames.append((seconds + micros / 1e6, frame[14 : 14 + ihl], frame[14 + ihl :]))
    return frames


def ones_complement_sum(data: bytes) -> int:
    total = sum(int.from_bytes(data[i : i + 2], "big") for i in range(0, len(data), 2))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return total


def test_repeated_keys_get_increasing_sequence_numbers_and_their_own_timestamps() -> None:
    events = rtp_events(["1", "1", "#"])
    distinct = sorted({(e.sequence, e.timestamp) for e in events})
    sequences = [s for s, _ in distinct]
    assert sequences == list(range(sequences[0], sequences[0] + len(sequences)))
    starts = [e.timestamp for e in events if e.marker]
    assert len(starts) == 3
    assert starts == sorted(set(starts))
    assert [e.key for e in events if e.marker] == ["1", "1", "#"]


def test_each_key_ends_with_three_identical_end_packets() -> None:
    events = rtp_events(["5"], DtmfTiming(key_ms=100))
    ends = [e for e in events if e.end]
    assert len(ends) == 3
    assert len({(e.sequence, e.duration) for e in ends}) == 1
    durations = [e.duration for e in events if not e.end]
    assert durations == sorted(durations)
    assert ends[0].duration == 100 * 8


def test_packets_decode_back_to_the_same_events() -> None:
    for event in rtp_events(["*", "0", "9"]):
        packet = rtp_packet(event)
        assert packet[1] & 0x7F == TELEPHONE_EVENT_PT
        assert decode_rtp_event(packet, event.at_ms) == event


def test_the_pcap_holds_every_event_in_well_formed_udp(tmp_path: Path) -> None:
    timing = DtmfTiming(key_ms=60, gap_ms=500)
    events = rtp_events(["2", "2"], timing)
    frames = read_pcap(write_dtmf_pcap(tmp_path / "dtmf.pcap", ["2", "2"], timing))
    assert len(frames) == len(events)
    for (_, ip, datagram), event in zip(frames, events, strict=True):
        assert ones_complement_sum(ip) == 0xFFFF  # a valid IPv4 header checksum
        assert ip[9] == 17
        _, dport, length, _ = struct.unpack(">HHHH", datagram[:8])
        assert length == len(datagram)
        assert dport == 10000  # one destination port: SIPp rewrites it to the far end's RTP port
        assert decode_rtp_event(datagram[8:], event.at_ms) == event
    first_key_end = frames[len(events) // 2 - 1][0]
    second_key_start = frames[len(events) // 2][0]
    assert second_key_start - first_key_end == pytest.approx(timing.gap_ms / 1000, abs=0.001)


def test_non_dtmf_keys_and_bad_timings_are_refused() -> None:
    with pytest.raises(ValueError, match="DTMF key"):
        rtp_events(["A"])
    with pytest.raises(ValueError):
        DtmfTiming(key_ms=30)
    assert decode_rtp_event(b"\x80\x00" + bytes(14)) is None  # PCMU, not an event


def test_a_later_capture_continues_the_stream_above_an_earlier_one() -> None:
    """FreeSWITCH drops telephone-events whose sequence number is not above the last one seen."""
    first = rtp_events(["1", "1"])
    later = rtp_events(["4", "1"], DtmfTiming(gap_ms=6000), stream_ms=22_000)
    assert min(e.sequence for e in later) > max(e.sequence for e in first)
    assert min(e.timestamp for e in later) > max(e.timestamp for e in first)
    assert later[0].at_ms == 0  # the capture's own timing still starts when it is played
    assert [e.timestamp for e in later if e.marker] == [16000 + 22_000 * 8, 16000 + (22_000 + 6200) * 8]
    with pytest.raises(ValueError, match="stream_ms"):
        rtp_events(["1"], stream_ms=-1)


def ulaw_decode(code: int) -> int:
    """G.711 mu-law to linear, written from the standard's table, independently of the encoder."""
    code = ~code & 0xFF
    magnitude = ((code & 0x0F) << 3 | 0x84) << ((code >> 4) & 0x07)
    return (0x84 - magnitude) if code & 0x80 else (magnitude - 0x84)


def test_mu_law_round_trips_within_its_step() -> None:
    assert ulaw(0) == 0xFF
    for sample in range(-32000, 32000, 97):
        decoded = ulaw_decode(ulaw(sample))
        assert abs(decoded - sample) <= max(8, abs(sample) // 16), (sample, decoded)


def test_a_tone_rides_in_the_capture_as_pcmu_beside_the_keys(tmp_path: Path) -> None:
    tone = Tone(start_ms=1000, duration_ms=200, hz=400)
    path = write_dtmf_pcap(tmp_path / "dtmf.pcap", ["5"], DtmfTiming(), tone)
    datagrams = [(at, udp[8:]) for at, _, udp in read_pcap(path)]
    audio = [(at, rtp) for at, rtp in datagrams if rtp[1] & 0x7F == PCMU_PT]
    events = [rtp for _, rtp in datagrams if rtp[1] & 0x7F == TELEPHONE_EVENT_PT]
    assert len(events) == len(rtp_events(["5"]))
    assert len(audio) == 10
    assert [at for at, _ in datagrams] == sorted(at for at, _ in datagrams)
    assert audio[0][0] - datagrams[0][0] == pytest.approx(1.0)
    sequences = [struct.unpack(">H", rtp[2:4])[0] for _, rtp in audio]
    assert sequences == list(range(sequences[0], sequences[0] + 10))
    assert audio[0][1][1] & 0x80  # the marker starts the talk spurt
    samples = [ulaw_decode(code) for _, rtp in audio for code in rtp[12:]]
    assert len(samples) == 10 * 160
    peak = max(abs(sample) for sample in samples)
    assert 0.25 * 32767 < peak < 0.35 * 32767  # the default amplitude, 0.3 of full scale
    # 400 Hz at 8 kHz: a sign change every 10 samples
    changes = sum(1 for a, b in itertools.pairwise(samples) if (a < 0) != (b < 0))
    assert changes == pytest.approx(len(samples) / 10, abs=4)


@pytest.mark.parametrize("tone", [(-1, 100), (0, 10)])
def test_a_tone_out_of_range_is_refused(tone: tuple[int, int]) -> None:
    with pytest.raises(ValueError, match="not a tone"):
        Tone(*tone)
