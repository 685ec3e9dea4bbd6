"""The hold music the renderer ships: a WAV local_stream can play, in the conf dir, made once."""

from __future__ import annotations

import math
import sys
import wave
import xml.etree.ElementTree as ET
from array import array
from pathlib import Path

import pytest

from dialplans.models import Dialplan
from freeswitch_conf import hold_music
from freeswitch_conf.hold_music import HOLD_MUSIC_DIR, hold_music_name, own_music_problem
from freeswitch_conf.render import SwitchSettings, render_conf
from tests.support.rendering import Loaded

PASSWORD = "k3y-with.plenty_of:entropy"
PLAN = {
    "prompts": {"hello": {"text": "Hello."}},
    "menus": {"main": {"prompt": "hello", "options": {}, "fallback": {"hangup": {}}}},
    "dids": {"4001": {"name": "Main line", "menu": "main"}},
}


def loaded(tmp_path: Path) -> Loaded:
    return Loaded(model=Dialplan.model_validate(PLAN), sounds_dir=tmp_path / "sounds")


def samples(path: Path) -> tuple[wave._wave_params, array[int]]:
    with wave.open(str(path), "rb") as wav:
        params = wav.getparams()
        data = array("h", wav.readframes(params.nframes))
    if sys.byteorder == "big":
        data.byteswap()
    return params, data


def dbfs(value: float) -> float:
    return 20 * math.log10(max(value, 1) / 32767)


def test_the_conf_dir_carries_one_wav_local_stream_plays_as_is(tmp_path: Path) -> None:
    conf = tmp_path / "conf"
    render_conf(loaded(tmp_path), SwitchSettings(esl_password=PASSWORD), conf)

    music_dir = conf / HOLD_MUSIC_DIR
    # local_stream opens every regular file of its directory, hidden ones too: nothing else may be there.
    assert [p.name for p in music_dir.iterdir()] == [hold_music_name()]
    params, data = samples(music_dir / hold_music_name())
    # The stream's rate (local_stream.conf: 8000), mono, 16-bit: no resampling, no transcoding.
    assert (params.framerate, params.nchannels, params.sampwidth) == (8000, 1, 2)
    assert 50 <= params.nframes / params.framerate <= 90
    peak = max(abs(v) for v in data)
    rms = math.sqrt(sum(v * v for v in data) / len(data))
    assert -14 <= dbfs(peak) <= -6  # loud enough to hear, never clipped
    assert -30 <= dbfs(rms) <= -16
    # Each second has sound (no gap sounding like a dropped call) ...
    for second in range(1, params.nframes // 8000 - 1):
        chunk = data[second * 8000 : (second + 1) * 8000]
        assert max(abs(v) for v in chunk) > 1000, f"silent at {second} s"
    # ... and the loop's ends are faded, so the restart does not click.
    assert max(abs(v) for v in data[:40]) < 300
    assert max(abs(v) for v in data[-40:]) < 300


def test_a_second_render_reuses_the_music_instead_of_making_it_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    conf = tmp_path / "conf"
    render_conf(loaded(tmp_path), SwitchSettings(esl_password=PASSWORD), conf)
    first = (conf / HOLD_MUSIC_DIR / hold_music_name()).read_bytes()

    def must_not_run() -> bytes:
        raise AssertionError("the music was synthesized again")

    monkeypatch.setattr(hold_music, "hold_music_wav", must_not_run)
    render_conf(loaded(tmp_path), SwitchSettings(esl_password=PASSWORD), conf)
    assert (conf / HOLD_MUSIC_DIR / hold_music_name()).read_bytes() == first


def test_a_truncated_previous_file_is_made_again(tmp_path: Path) -> None:
    conf = tmp_path / "conf"
    render_conf(loaded(tmp_path), SwitchSettings(esl_password=PASSWORD), conf)
    path = conf / HOLD_MUSIC_DIR / hold_music_name()
    path.write_bytes(path.read_bytes()[:1000])
    render_conf(loaded(tmp_path), SwitchSettings(esl_password=PASSWORD), conf)
    assert path.stat().st_size > 1_000_000


def test_the_name_changes_with_the_score(monkeypatch: pytest.MonkeyPatch) -> None:
    before = hold_music_name()
    monkeypatch.setattr(hold_music, "GENERATOR_VERSION", hold_music.GENERATOR_VERSION + 1)
    assert hold_music_name() != before


def test_an_engineers_own_music_directory_is_used_and_nothing_is_generated(tmp_path: Path) -> None:
    conf = tmp_path / "conf"
    own = tmp_path / "our-music"
    render_conf(loaded(tmp_path), SwitchSettings(esl_password=PASSWORD, moh_dir=own), conf)
    assert not (conf / HOLD_MUSIC_DIR).exists()
    root = ET.parse(conf / "autoload_configs/local_stream.conf.xml").getroot()
    assert [(d.get("name"), d.get("path")) for d in root.iter("directory")] == [("moh", str(own))]


def test_an_own_music_directory_that_local_stream_cannot_use_is_named(tmp_path: Path) -> None:
    own = tmp_path / "our-music"
    assert "does not exist" in (own_music_problem(own) or "")
    own.mkdir()
    assert "holds no file" in (own_music_problem(own) or "")
    (own / ".DS_Store").write_bytes(b"x")
    assert ".DS_Store" in (own_music_problem(own) or "")
    (own / ".DS_Store").unlink()
    (own / "jazz.wav").write_bytes(hold_music.hold_music_wav())
    assert own_music_problem(own) is None
