"""Event parsing throughput: our codec against greenswitch 0.0.19, on the captured FreeSWITCH events.

Both parsers get the same bytes: every fs>app event frame of both transcript versions, concatenated
into one stream as a socket would deliver it. greenswitch runs its real receive loop
(`ESLProtocol.receive_events`: readline per header line, `ESLEvent`, `handle_event`, `_read_socket`,
`parse_data`) over an in-memory file standing in for `sock.makefile("rb")`; nothing of it is stubbed.
Both sides then hand every event to a consumer that reads Event-Name and Unique-ID; a second run
of ours has the consumer decode every header (greenswitch always builds its full dict).

greenswitch cannot parse text/event-json (its parse_data raises AttributeError on the first JSON
line), so the comparison uses the text/event-plain frames; our JSON rate is reported on its own.

Run: .venv/bin/python -m tests.bench.codec_bench
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable

from greenswitch.esl import ESLProtocol

from esl_handlers.codec import EslParser, Event
from tests.support.transcripts import read_entries, transcript_files, transcripts_dir

READ_SIZE = 65536  # bytes per simulated socket read


def captured_event_frames() -> dict[str, list[bytes]]:
    """fs>app event frames of every transcript, keyed by Content-Type."""
    frames: dict[str, list[bytes]] = {"text/event-plain": [], "text/event-json": []}
    for path in transcript_files():
        for entry in read_entries(path):
            if not entry.from_switch:
                continue
            head = entry.raw.split("\n\n", 1)[0].split("\n")
            for content_type, bucket in frames.items():
                if f"Content-Type: {content_type}" in head:
                    bucket.append(entry.raw.encode("utf-8"))
    if not frames["text/event-plain"]:
        raise SystemExit(f"no captured events under {transcripts_dir()}")
    return frames


def ours_stream(stream: bytes) -> int:
    parser = EslParser()
    seen = 0
    for start in range(0, len(stream), READ_SIZE):
        for frame in parser.feed(stream[start : start + READ_SIZE]):
            if isinstance(frame, Event) and frame.name and frame.unique_id is not None:
                seen += 1
    parser.feed_eof()
    return seen


def ours_stream_full_decode(stream: bytes) -> int:
    """Like ours_stream, but the consumer decodes every header of every event (as a CDR dump would)."""
    parser = EslParser()
    seen = 0
    for start in range(0, len(stream), READ_SIZE):
        for frame in parser.feed(stream[start : start + READ_SIZE]):
            if isinstance(frame, Event) and dict(frame.headers.items()).get("Unique-ID") is not None:
                seen += 1
    parser.feed_eof()
    return seen


def ours_frame_by_frame(frames: list[bytes]) -> int:
    parser = EslParser()
    seen = 0
    for data in frames:
        for frame in parser.feed(data):
            if isinstance(frame, Event) and frame.name and frame.unique_id is not None:
                seen += 1
    return seen


class _ClosedSocket:
    def close(self) -> None:
        pass


def greenswitch_stream(stream: bytes) -> int:
    protocol = ESLProtocol()
    protocol.sock = _ClosedSocket()
    protocol.sock_file = io.BytesIO(stream)
    protocol.receive_events()  # returns at end of stream
    queue = protocol._esl_event_queue
    seen = 0
    while not queue.empty():
        headers = queue.get().headers
        if headers.get("Event-Name") and headers.get("Unique-ID") is not None:
            seen += 1
    return seen


def greenswitch_json_failures(frames: list[bytes]) -> int:
    """How many JSON event frames greenswitch's receive loop fails on."""
    failures = 0
    for data in frames:
        try:
            greenswitch_stream(data)
        except Exception:
            failures += 1
    return failures


def best_rate(work: Callable[[], int], frames: int, expected_seen: int, rounds: int) -> float:
    """Frames per second of the fastest round; every round must hand over all the events."""
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        seen = work()
        best = min(best, time.perf_counter() - started)
        if seen != expected_seen:
            raise SystemExit(f"{work} handed over {seen} of {expected_seen} events")
    return frames / best


def run(rounds: int = 15) -> dict[str, float]:
    frames = captured_event_frames()
    plain = frames["text/event-plain"]
    json_frames = frames["text/event-json"]
    plain_stream = b"".join(plain)
    json_stream = b"".join(json_frames)
    # The consumer counts the events carrying a Unique-ID (all but BACKGROUND_JOB); both must agree.
    with_uuid = ours_stream(plain_stream)
    if greenswitch_stream(plain_stream) != with_uuid:
        raise SystemExit("greenswitch and our codec disagree on the events")

    results = {
        "plain_events": float(len(plain)),
        "mean_event_bytes": sum(map(len, plain)) / len(plain),
        "ours_events_per_s": best_rate(lambda: ours_stream(plain_stream), len(plain), with_uuid, rounds),
        "ours_frame_by_frame_events_per_s": best_rate(
            lambda: ours_frame_by_frame(plain), len(plain), with_uuid, rounds
        ),
        "ours_full_decode_events_per_s": best_rate(
            lambda: ours_stream_full_decode(plain_stream), len(plain), with_uuid, rounds
        ),
        "greenswitch_events_per_s": best_rate(
            lambda: greenswitch_stream(plain_stream), len(plain), with_uuid, rounds
        ),
        "ours_json_events_per_s": best_rate(
            lambda: ours_stream(json_stream), len(json_frames), ours_stream(json_stream), rounds * 10
        ),
        "json_frames": float(len(json_frames)),
        "greenswitch_json_frames_failed": float(greenswitch_json_failures(json_frames)),
    }
    results["ratio"] = results["ours_events_per_s"] / results["greenswitch_events_per_s"]

    print(f"captured text/event-plain frames: {len(plain)} (mean {results['mean_event_bytes']:.0f} bytes)")
    print(f"ours, 64 KiB reads      : {results['ours_events_per_s']:>10,.0f} events/s")
    print(f"ours, one frame per read: {results['ours_frame_by_frame_events_per_s']:>10,.0f} events/s")
    print(f"ours, all headers decoded: {results['ours_full_decode_events_per_s']:>9,.0f} events/s")
    print(f"greenswitch 0.0.19      : {results['greenswitch_events_per_s']:>10,.0f} events/s")
    print(f"ratio ours / greenswitch: {results['ratio']:>10.1f}x")
    json_rate = results["ours_json_events_per_s"]
    print(f"ours, text/event-json   : {json_rate:>10,.0f} events/s ({len(json_frames)} frames)")
    print(
        f"greenswitch failed on {results['greenswitch_json_frames_failed']:.0f} of {len(json_frames)} "
        "text/event-json frames"
    )
    return results


if __name__ == "__main__":
    run()
