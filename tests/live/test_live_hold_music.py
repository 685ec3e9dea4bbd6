"""The live tier for music on hold: a SIPp caller waits in a queue nobody answers, on a real FreeSWITCH.

The caller's DID goes straight to a menu whose fallback (no key, one short try) transfers to a
queue with no agent ready; the caller hangs up ~16 s after the answer, having waited ~12 s. What
FreeSWITCH logs for that call shows what the caller heard: EXECUTE lines (INFO) for every
playback, and at DEBUG (raised for this module's switch) "Opening Stream [moh]" from
mod_local_stream, or "Unknown source" when the stream does not exist.
"""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Iterator
from typing import Any

import pytest

from ivr_scripts.acd.hold_sources import FALLBACK_HOLD_TONE
from sipp_scenarios.dtmf_pcap import DtmfTiming
from sipp_scenarios.sipp_run import SippCall, run_sipp
from sipp_scenarios.switch import esl_api
from tests.support.live import harness
from tests.support.live.harness import Build, Live

pytestmark = pytest.mark.live

GOOD_DID, BROKEN_DID = "4091", "4092"
BROKEN_STREAM = "local_stream://no_such_stream"
HANG_UP_AFTER_MS = 16000
# Seconds in the queue: the caller hangs up 16 s after the answer; the prompt and one 1 s try
# take ~3-4 s of it. A spinning hold makes ~50 playbacks a second.
MAX_MUSIC_PLAYBACKS = 3
MAX_FAILED_ATTEMPTS = 3


def hold_queues(data: dict[str, Any]) -> None:
    """Two queues nobody answers (their agent never logs in), each reached by its own DID at once."""
    agent = next(iter(data["agents"]))
    for name, extension, music in (("hold_good", "2091", None), ("hold_broken", "2092", BROKEN_STREAM)):
        queue: dict[str, Any] = {"name": name, "extension": extension, "tiers": [{"agent": agent}]}
        if music is not None:
            queue["music_on_hold"] = music
        data["queues"][name] = queue
        data["menus"][f"{name}_entry"] = {
            "prompt": "no_key",
            "options": {},
            "timeout": 1,
            "max_retries": 1,
            "fallback": {"transfer": {"queue": name}},
        }
    data["dids"][GOOD_DID] = {"name": "Hold music", "menu": "hold_good_entry"}
    data["dids"][BROKEN_DID] = {"name": "Broken hold music", "menu": "hold_broken_entry"}


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, build: Build | None) -> Iterator[Live]:
    with harness.live_switch(tmp_path_factory.mktemp("live_hold"), build, hold_queues) as running:
        # mod_local_stream says which stream a playback opens only at DEBUG.
        esl_api(running.endpoints, "fsctl loglevel debug")
        yield running


@pytest.fixture
def app_server(live: Live) -> Iterator[subprocess.Popen[bytes]]:
    with harness.app_server(live) as process:
        yield process


def wait_in_queue(live: Live, did: str) -> str:
    """Call `did`, stay on the line HANG_UP_AFTER_MS, hang up; the FreeSWITCH log of that call."""
    log = live.switch.log_dir / "freeswitch.log"
    start = log.stat().st_size
    result = run_sipp(
        live.sipp,
        SippCall(
            name=f"hold {did}", scenario="caller_hangup.xml", args=("-s", did, "-d", str(HANG_UP_AFTER_MS))
        ),
        endpoints=live.endpoints,
        work_dir=live.work / f"caller-{did}",
        timing=DtmfTiming(),
        timeout_s=60,
    )
    time.sleep(1.0)  # the hang-up's last lines
    assert live.switch.alive(), live.switch.log_tail()
    assert result.ok, f"{result}\n{live.switch.log_tail()}"
    with log.open("rb") as handle:
        handle.seek(start)
        return handle.read().decode("utf-8", errors="replace")


def playbacks(text: str, source: str) -> int:
    return len(re.findall(rf"EXECUTE \[depth=\d+\] \S+ playback\({re.escape(source)}\)", text))


def test_a_waiting_caller_hears_the_rendered_music_streaming(
    live: Live, app_server: subprocess.Popen[bytes]
) -> None:
    text = wait_in_queue(live, GOOD_DID)
    assert "Unknown source" not in text, text[-4000:]
    assert "Opening Stream [moh]" in text, text[-4000:]  # mod_local_stream_file_open found the stream
    count = playbacks(text, "local_stream://moh")
    # One playback plays the whole wait (no announcements here); the hang-up ends it.
    assert 1 <= count <= MAX_MUSIC_PLAYBACKS, text[-4000:]
    assert playbacks(text, FALLBACK_HOLD_TONE) == 0
    shown = esl_api(live.endpoints, "local_stream show moh")
    assert str(live.conf_dir / "sounds" / "moh") in shown, shown


def test_a_broken_hold_source_falls_back_to_the_tone_with_bounded_retries(
    live: Live, app_server: subprocess.Popen[bytes]
) -> None:
    text = wait_in_queue(live, BROKEN_DID)
    name = BROKEN_STREAM.removeprefix("local_stream://")
    assert f"Unknown source {name}" in text, text[-4000:]
    failed = playbacks(text, BROKEN_STREAM)
    assert 1 <= failed <= MAX_FAILED_ATTEMPTS, text[-4000:]
    assert text.count(f"Unknown source {name}, trying 'default'") == failed
    assert 1 <= playbacks(text, FALLBACK_HOLD_TONE) <= MAX_MUSIC_PLAYBACKS, text[-4000:]
    # The application server says so once for the call, not once per attempt.
    server_log = (live.work / "app_server.out").read_text(encoding="utf-8", errors="replace")
    assert server_log.count(f"hold music {BROKEN_STREAM} failed") == 1, server_log[-4000:]
