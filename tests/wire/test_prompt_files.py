"""Whole calls with synthesized prompts: the server plays the files the renderer's path function names,
speaks nothing it could have played, and sets tts_engine/tts_voice at most once per call, only to speak."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from callcenter.server import Application
from dialplans.loader import load_dialplan
from dialplans.prompt_audio import Voice, prompt_audio_path
from esl_handlers.app_args import quoted
from tests.support.server_configs import EXAMPLE_DIALPLAN, wire_config
from tests.support.standin import CallScript, InboundSwitch, OutboundSwitch, ScriptedCall
from tests.support.waiting import unsampled_uuid

pytestmark = pytest.mark.wire

EXAMPLE = EXAMPLE_DIALPLAN
MONDAY_10AM_LONDON = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC)
PASSWORD = "wire-test-secret"
SLT = Voice("flite", "slt")  # what `callcenter render` uses with the default tts_voice


def prompt_file(prompt_dir: Path, name: str) -> str:
    text = load_dialplan(EXAMPLE).model.prompts[name].text
    assert text is not None
    return str(prompt_audio_path(prompt_dir, SLT, text))


def synthesized(prompt_dir: Path) -> Path:
    """Stand-in files where the renderer would write them (the stand-in switch never reads audio)."""
    prompt_dir.mkdir(parents=True, exist_ok=True)
    for name in load_dialplan(EXAMPLE).model.prompts:
        Path(prompt_file(prompt_dir, name)).write_bytes(b"RIFF")
    return prompt_dir


def run_call(tmp_path: Path, prompt_dir: Path, keys: list[str]) -> ScriptedCall:
    events = InboundSwitch(password=PASSWORD)
    events.start()
    config = wire_config(
        events, PASSWORD, f"sqlite:///{tmp_path / 'calls.db'}", tmp_path, prompt_dir=prompt_dir
    )
    app = Application(config, clock=lambda: MONDAY_10AM_LONDON)
    app.start()
    try:
        assert events.wait_for_subscribers(1, timeout=5)
        script = CallScript(keys=keys, uuid=unsampled_uuid(10), destination="4001")
        return OutboundSwitch(app.outbound.address).run_call(script, timeout=15)
    finally:
        assert app.stop() == [], "parts failed to stop"
        events.stop()


@pytest.fixture
def prompt_dir(tmp_path: Path) -> Path:
    return tmp_path / "build" / "prompts"


def test_synthesized_prompts_are_played_from_files_and_nothing_is_spoken(
    tmp_path: Path, prompt_dir: Path
) -> None:
    call = run_call(tmp_path, synthesized(prompt_dir), keys=["8", "6"])
    assert ("playback", prompt_file(prompt_dir, "welcome")) in call.executed
    collects = [arg or "" for app, arg in call.executed if app == "play_and_get_digits"]
    assert len(collects) == 2
    assert all(f" {quoted(prompt_file(prompt_dir, 'main_options'))} " in arg for arg in collects)
    assert ("playback", prompt_file(prompt_dir, "invalid_key")) in call.executed
    assert [app for app, _ in call.executed if app == "speak"] == []
    assert not [arg for app, arg in call.executed if app == "set" and (arg or "").startswith("tts_")]


def test_without_synthesized_files_prompts_are_spoken_and_tts_is_set_once(
    tmp_path: Path, prompt_dir: Path
) -> None:
    call = run_call(tmp_path, prompt_dir, keys=["8", "6"])  # render never ran: an empty directory
    assert ("speak", "flite|slt|Thank you for calling Harbourside Motors.") in call.executed
    collects = [arg or "" for app, arg in call.executed if app == "play_and_get_digits"]
    assert len(collects) == 2
    assert all(" 'say:For repair appointments" in arg for arg in collects)
    tts_sets = [(name, value) for name, value in call.api_sets if name.startswith("tts_")]
    assert tts_sets == [("tts_engine", "flite"), ("tts_voice", "slt")]
    # Set before the first collect: the api command precedes that sendmsg on the wire.
    lines = [c.line if c.verb == "api" else c.header("execute-app-name") for c in call.commands]
    first_tts = next(i for i, line in enumerate(lines) if line and "tts_engine=flite" in line)
    assert first_tts < lines.index("play_and_get_digits")
