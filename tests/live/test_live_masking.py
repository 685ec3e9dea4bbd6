"""Card digits never reach a recording or a table, on the real switch: a line recorded from its first
second (a policy `all` on a DID of its own, by mutation) and the example's claim lookup marked
`sensitive`. The SIPp caller talks all along (a tone in its capture) and keys 4, then a customer
number, then #; the WAV FreeSWITCH wrote must be silent (zero samples: uuid_record mask) for as long
as the keys took and loud around that, and the number must be in no row of the database.
"""

from __future__ import annotations

import array
import dataclasses
import sqlite3
import time
import wave
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from schema.calls.models import IvrStep
from schema.db import create_engine_from_url
from sipp_scenarios.dtmf_pcap import DtmfTiming, Tone, write_dtmf_pcap
from sipp_scenarios.generate import MenuPath
from sipp_scenarios.runner import path_call
from sipp_scenarios.sipp_run import run_sipp
from sipp_scenarios.switch import esl_api
from tests.support.live import harness
from tests.support.live.acd import call_uuid_of, steady_calls
from tests.support.live.harness import Build, Live

pytestmark = pytest.mark.live

DID = "4005"  # the main line again, recorded whole
CARD = "271828"  # keyed into the sensitive lookup; must be found nowhere
KEYS = ("4", *CARD, "#")  # 4: the claim lookup of the main menu
# The keys 1.2 s apart (well within the menu's 3 s digit timeout), the first in the greeting.
TIMING = DtmfTiming(key_ms=200, gap_ms=1000)
LOUD = 1000  # a sample of the tone or a prompt; masked samples are 0


def pci_line(data: dict[str, Any]) -> None:
    steady_calls(data)
    data["recording"]["policies"]["pci_line"] = {"mode": "all", "stereo": False, "format": "wav"}
    data["dids"][DID] = {
        **data["dids"][harness.OPEN_DID],
        "name": "Recorded main line",
        "recording": "pci_line",
    }
    data["self_service"]["claim"]["sensitive"] = True


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, build: Build | None) -> Iterator[Live]:
    with harness.live_switch(tmp_path_factory.mktemp("live_masking"), build, pci_line) as running:
        yield running


@pytest.fixture(scope="module")
def engine(live: Live) -> Iterator[Engine]:
    engine = create_engine_from_url(harness.database_url(live))
    yield engine
    engine.dispose()


def steps_of(engine: Engine, call_uuid: str) -> list[IvrStep]:
    with Session(engine) as db:
        return list(db.scalars(select(IvrStep).where(IvrStep.call_uuid == call_uuid).order_by(IvrStep.seq)))


def key_in_card(live: Live, engine: Engine) -> tuple[str, list[IvrStep]]:
    """Call the recorded line keying KEYS while talking; hung up from the switch after the lookup."""
    caller = "+15550500001"
    path = MenuPath(DID, "main", KEYS, "lookup:claim", (("main", "4"),))
    work = live.work / "caller"
    work.mkdir(parents=True)
    talk = Tone(start_ms=0, duration_ms=len(KEYS) * (TIMING.key_ms + TIMING.gap_ms) + 6000)
    write_dtmf_pcap(work / "dtmf.pcap", KEYS, TIMING, talk)
    call = dataclasses.replace(path_call(1, path, caller=caller), keys=None)
    with ThreadPoolExecutor(1) as pool:
        running = pool.submit(
            run_sipp, live.sipp, call, endpoints=live.endpoints, work_dir=work, timing=TIMING, timeout_s=90
        )
        call_uuid = call_uuid_of(engine, caller)
        deadline = time.monotonic() + 60
        while not any(step.result.startswith("lookup_") for step in steps_of(engine, call_uuid)):
            assert time.monotonic() < deadline, [(s.menu, s.result) for s in steps_of(engine, call_uuid)]
            time.sleep(0.3)
        time.sleep(2.0)  # the not-found prompt, recorded unmasked
        esl_api(live.endpoints, f"uuid_kill {call_uuid}")
        result = running.result(timeout=60)
    assert result.ok, result.errors
    return call_uuid, steps_of(engine, call_uuid)


def recording_of(live: Live, call_uuid: str, timeout: float = 20.0) -> Path:
    deadline = time.monotonic() + timeout
    while True:
        found = sorted(Path(live.loaded.model.recording.directory).rglob(f"{call_uuid}*.wav"))
        if found:
            return found[0]
        assert time.monotonic() < deadline, f"no recording of {call_uuid}"
        time.sleep(0.2)


def longest_zero_run(samples: array.array[int]) -> tuple[int, int]:
    """(start, length) of the longest run of zero samples."""
    best, start = (0, 0), None
    for index, sample in enumerate([*samples, 1]):
        if sample == 0 and start is None:
            start = index
        elif sample != 0 and start is not None:
            best = max(best, (start, index - start), key=lambda run: run[1])
            start = None
    return best


def test_card_digits_are_masked_in_the_recording_and_stored_nowhere(live: Live, engine: Engine) -> None:
    with harness.app_server(live):
        call_uuid, steps = key_in_card(live, engine)
        time.sleep(1.0)
    lookups = [step for step in steps if step.result.startswith("lookup_")]
    assert [step.result for step in lookups] == ["lookup_not_found"], [(s.result, s.digits) for s in steps]
    assert lookups[0].digits is None
    path = recording_of(live, call_uuid)
    with wave.open(str(path), "rb") as audio:
        rate = audio.getframerate()
        assert audio.getnchannels() == 1
        samples = array.array("h", audio.readframes(audio.getnframes()))
    start, length = longest_zero_run(samples)
    keyed_s = (len(CARD) + 1) * (TIMING.key_ms + TIMING.gap_ms) / 1000
    # Masked from the ask prompt to the # (at least the time the number's keys took) ...
    assert length / rate >= keyed_s - 1, (start / rate, length / rate, len(samples) / rate)
    # ... and only then: the second before and the second after are the caller talking and the prompts.
    before, after = samples[max(0, start - rate) : start], samples[start + length : start + length + rate]
    for second in (before, after):
        assert len(second) == rate, (start / rate, length / rate, len(samples) / rate)
        assert sum(1 for s in second if abs(s) > LOUD) > rate // 4
    with sqlite3.connect(live.work / "calls.db") as db:
        dump = "\n".join(db.iterdump())
    assert CARD not in dump
    assert live.switch.alive(), live.switch.log_tail()
