"""Prompts played from the files `callcenter render` synthesized, on a real FreeSWITCH.

One SIPp call to the closed line (no key needed: the lead's type-ahead fix is not assumed): the
after-hours greeting, its options with no key pressed, then the goodbye and the switch's BYE. The
FreeSWITCH log must show playback / play_and_get_digits of the synthesized .wav files and no
speak or say: of a static prompt, the call must last as long as the audio (a file FreeSWITCH could
not open would end at once), and the call's IVR steps must show the whole path.
"""

from __future__ import annotations

import re
import subprocess
import time
import wave
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from dialplans.prompt_audio import find_prompt_audio, synthesis_voices
from schema.calls.models import Call, IvrStep
from schema.db import create_engine_from_url
from sipp_scenarios.ports import free_media_port
from tests.support.live import harness
from tests.support.live.harness import CLOSED_DID, Build, Live, free_sip_port

pytestmark = pytest.mark.live

CLOSED_PATH = ("closed_message", "closed_options", "goodbye")

CALLER = (
    harness.invite(caller="+15550000777", tag="SIPpTag77")
    + """  <recv request="BYE" timeout="90000"/>
  <send>
    <![CDATA[

      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Contact: <sip:sipp@[local_ip]:[local_port]>
      Content-Length: 0

    ]]>
  </send>
"""
)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, build: Build | None) -> Iterator[Live]:
    with harness.live_switch(tmp_path_factory.mktemp("live"), build) as running:
        yield running


@pytest.fixture
def app_server(live: Live) -> Iterator[subprocess.Popen[bytes]]:
    with harness.app_server(live) as process:
        yield process


def prompt_files(live: Live) -> dict[str, Path]:
    voices = synthesis_voices(live.settings.tts_voice)
    found: dict[str, Path] = {}
    for name in CLOSED_PATH:
        text = live.loaded.model.prompts[name].text
        assert text is not None
        path = find_prompt_audio(live.prompts.prompt_dir, voices, text)
        assert path is not None, f"{name}: not synthesized into {live.prompts.prompt_dir}"
        found[name] = path
    return found


def seconds(path: Path) -> float:
    with wave.open(str(path), "rb") as audio:
        return audio.getnframes() / audio.getframerate()


def test_render_synthesized_every_prompt_of_the_live_dialplan(live: Live) -> None:
    # CI installs flite and sox (.ci/run): a machine without them must not pass this silently.
    assert live.prompts.problem is None, live.prompts.problem
    assert live.prompts.spoken == {}
    assert sorted(live.prompts.synthesized + live.prompts.cached) == sorted(live.loaded.model.prompts)


def test_a_call_hears_its_prompts_from_files_not_mod_flite(
    live: Live, app_server: subprocess.Popen[bytes]
) -> None:
    files = prompt_files(live)
    log = live.switch.log_dir / "freeswitch.log"
    before = log.read_text(encoding="utf-8", errors="replace") if log.is_file() else ""
    run_dir = live.work / "prompts_call"
    run_dir.mkdir()
    (run_dir / "caller.xml").write_text(harness.scenario("prompts caller", CALLER), encoding="utf-8")
    started = time.monotonic()
    completed = subprocess.run(
        [
            str(live.sipp),
            f"{live.endpoints.sip_host}:{live.endpoints.sip_port}",
            "-sf",
            "caller.xml",
            "-s",
            CLOSED_DID,
            "-i",
            "127.0.0.1",
            "-p",
            str(free_sip_port()),
            "-mp",
            str(free_media_port("127.0.0.1")),
            "-rtp_echo",
            "-m",
            "1",
            "-nostdin",
            "-timeout",
            "100s",
        ],
        cwd=run_dir,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    elapsed = time.monotonic() - started
    after = log.read_text(encoding="utf-8", errors="replace")[len(before) :]
    assert completed.returncode == 0, (
        f"{completed.stdout[-2000:]}\n{completed.stderr[-2000:]}\n{after[-4000:]}"
    )

    executed = re.findall(r"EXECUTE \[depth=\d+\] \S+ (\w+)\((.*)\)$", after, re.MULTILINE)
    assert ("playback", str(files["closed_message"])) in executed, executed
    assert ("playback", str(files["goodbye"])) in executed, executed
    collects = [argument for app, argument in executed if app == "play_and_get_digits"]
    assert collects, executed
    assert all(f" {files['closed_options']} " in argument for argument in collects), collects
    assert [app for app, _ in executed if app == "speak"] == [], executed
    assert not [argument for argument in collects if "say:" in argument], collects
    assert not [argument for app, argument in executed if app == "set" and argument.startswith("tts_")]
    for path in files.values():
        # mod_sndfile's and switch_core_file's errors for a file that cannot be opened.
        assert f"Error Opening File [{path}]" not in after
        assert f"for [{path}]" not in after

    # The call lasts as long as its audio plus the menu's wait for a key: played, not skipped.
    menu = live.loaded.model.menus["after_hours"]
    heard = sum(seconds(path) for path in files.values()) + menu.timeout
    assert elapsed >= 0.9 * heard, (elapsed, heard)

    engine = create_engine_from_url(harness.database_url(live))
    try:
        deadline = time.monotonic() + 10
        while True:
            # A connection per look: one kept open would keep reading the snapshot of its first look.
            with engine.connect() as db:
                rows = db.execute(select(Call.uuid, Call.outcome).where(Call.did == CLOSED_DID)).all()
            if (rows and rows[0].outcome) or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert len(rows) == 1, rows
        with engine.connect() as db:
            steps = db.execute(
                select(IvrStep.prompt, IvrStep.result)
                .where(IvrStep.call_uuid == rows[0].uuid)
                .order_by(IvrStep.seq)
            ).all()
    finally:
        engine.dispose()
    assert rows[0].outcome == "hangup", rows
    played = [row.prompt for row in steps if row.result == "played"]
    assert played == ["closed_message", "goodbye"], steps
    output = (live.work / "app_server.out").read_text(encoding="utf-8", errors="replace")
    assert "not played" not in output, output[-3000:]
