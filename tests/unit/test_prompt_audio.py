"""Prompts synthesized at render time: cache by (format, engine, voice, text), 8 kHz mono WAV, recorded
files winning, and a clear message plus the TTS fallback when nothing can synthesize."""

from __future__ import annotations

import shutil
import wave
from collections.abc import Callable
from pathlib import Path

import pytest

from dialplans.loader import LoadedDialplan, load_dialplan
from dialplans.prompt_audio import (
    ESPEAK_VOICE,
    Voice,
    check_prompt_dir,
    find_prompt_audio,
    prompt_audio_path,
    synthesis_voices,
)
from freeswitch_conf.prompt_audio import (
    PromptAudioReport,
    SynthesisError,
    check_wav,
    find_synthesizer,
    render_prompt_audio,
)
from ivr_scripts.prompts import PromptAudio, PromptBook

PLAN = """\
sounds_dir: sounds
prompts:
  hello: {{file: hello.wav, text: "{hello}"}}
  options: {{text: "Press 1 for sales, 2 for service."}}
  recorded: {{file: recorded.wav, text: "Never synthesized: the recording exists."}}
menus:
  main:
    greeting: hello
    prompt: options
    invalid_prompt: recorded
    options: {{}}
    fallback: {{hangup: }}
dids:
  "4001": {{menu: main}}
"""
HELLO = "Thank you for calling."
SLT = Voice("flite", "slt")


def plan(folder: Path, hello: str = HELLO) -> LoadedDialplan:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "sounds").mkdir(exist_ok=True)
    (folder / "sounds" / "recorded.wav").write_bytes(b"RIFF")
    path = folder / "plan.yaml"
    path.write_text(PLAN.format(hello=hello), encoding="utf-8")
    return load_dialplan(path)


def only(*names: str) -> Callable[[str], str | None]:
    """shutil.which that finds only `names` (the rest is 'not installed')."""
    return lambda name: shutil.which(name) if name in names else None


def needs(*tools: str) -> None:
    missing = [tool for tool in tools if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"needs {', '.join(missing)} (Debian: apt-get install flite espeak-ng sox)")


def render(
    loaded: LoadedDialplan, prompt_dir: Path, **kwargs: Callable[[str], str | None]
) -> PromptAudioReport:
    return render_prompt_audio(loaded.model, loaded.sounds_dir, prompt_dir, "slt", **kwargs)


def book(loaded: LoadedDialplan, prompt_dir: Path) -> PromptBook:
    return PromptBook.build(loaded.model, loaded.sounds_dir, PromptAudio(prompt_dir, synthesis_voices("slt")))


# -- the shared path function ----------------------------------------------------------------------


def test_path_is_a_hashed_wav_in_the_directory_and_deterministic(tmp_path: Path) -> None:
    path = prompt_audio_path(tmp_path, SLT, HELLO)
    assert path.parent == tmp_path
    assert path.suffix == ".wav"
    assert len(path.stem) == 24
    assert int(path.stem, 16) >= 0
    assert path == prompt_audio_path(tmp_path, Voice("flite", "slt"), HELLO)


def test_engine_voice_and_text_each_change_the_path(tmp_path: Path) -> None:
    base = prompt_audio_path(tmp_path, SLT, HELLO)
    assert prompt_audio_path(tmp_path, SLT, HELLO + " ") != base
    assert prompt_audio_path(tmp_path, Voice("flite", "kal"), HELLO) != base
    assert prompt_audio_path(tmp_path, Voice("espeak-ng", "slt"), HELLO) != base


def test_voices_are_flite_with_the_configured_voice_then_espeak() -> None:
    assert synthesis_voices("kal") == (Voice("flite", "kal"), Voice("espeak-ng", ESPEAK_VOICE))


def test_find_takes_the_first_voice_present(tmp_path: Path) -> None:
    voices = synthesis_voices("slt")
    assert find_prompt_audio(tmp_path, voices, HELLO) is None
    espeak = prompt_audio_path(tmp_path, voices[1], HELLO)
    espeak.write_bytes(b"RIFF")
    assert find_prompt_audio(tmp_path, voices, HELLO) == espeak
    flite = prompt_audio_path(tmp_path, voices[0], HELLO)
    flite.write_bytes(b"RIFF")
    assert find_prompt_audio(tmp_path, voices, HELLO) == flite


@pytest.mark.parametrize(
    "bad", ["relative/prompts", "/with space/prompts", "/a/${x}", "/a/b:c", "/a/b,c", "/a/it's", "/a!b"]
)
def test_prompt_dirs_freeswitch_would_misread_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="prompt_dir must be an absolute path"):
        check_prompt_dir(Path(bad))


def test_a_plain_absolute_directory_is_accepted() -> None:
    assert check_prompt_dir(Path("/var/lib/call-center/prompts_2")) == Path("/var/lib/call-center/prompts_2")


# -- synthesis with the real binaries --------------------------------------------------------------


def test_render_synthesizes_8khz_mono_16bit_wav_and_the_book_plays_it(tmp_path: Path) -> None:
    needs("flite", "sox")
    loaded = plan(tmp_path / "plan")
    prompt_dir = tmp_path / "prompts"
    report = render(loaded, prompt_dir)
    assert report.problem is None
    assert sorted(report.synthesized) == ["hello", "options"]
    assert report.recorded == ["recorded"]
    assert report.spoken == {}
    target = prompt_audio_path(prompt_dir, SLT, HELLO)
    with wave.open(str(target), "rb") as audio:
        assert (audio.getframerate(), audio.getnchannels(), audio.getsampwidth()) == (8000, 1, 2)
        assert audio.getnframes() > 8000 // 2  # "Thank you for calling." lasts over half a second
    assert target.stat().st_mode & 0o777 == 0o644
    assert sorted(p.name for p in prompt_dir.iterdir()) == sorted(
        prompt_audio_path(prompt_dir, SLT, text).name for text in (HELLO, "Press 1 for sales, 2 for service.")
    )  # no scratch files left behind
    prompts = book(loaded, prompt_dir)
    assert prompts["hello"].file == str(target)
    assert prompts["hello"].text == HELLO
    assert prompts["recorded"].file == str(loaded.sounds_dir / "recorded.wav")  # the recording wins


def test_unchanged_prompts_are_not_synthesized_again(tmp_path: Path) -> None:
    needs("flite", "sox")
    loaded = plan(tmp_path / "plan")
    prompt_dir = tmp_path / "prompts"
    render(loaded, prompt_dir)
    target = prompt_audio_path(prompt_dir, SLT, HELLO)
    before = target.stat().st_mtime_ns
    again = render(loaded, prompt_dir)
    assert again.synthesized == []
    assert sorted(again.cached) == ["hello", "options"]
    assert target.stat().st_mtime_ns == before


def test_a_changed_text_makes_a_new_file(tmp_path: Path) -> None:
    needs("flite", "sox")
    prompt_dir = tmp_path / "prompts"
    render(plan(tmp_path / "plan"), prompt_dir)
    changed = plan(tmp_path / "plan", hello="Thank you for calling Harbourside.")
    report = render(changed, prompt_dir)
    assert report.synthesized == ["hello"]
    assert report.cached == ["options"]
    new = prompt_audio_path(prompt_dir, SLT, "Thank you for calling Harbourside.")
    assert new.is_file()
    assert prompt_audio_path(prompt_dir, SLT, HELLO).is_file()  # the old file stays for a running server
    assert book(changed, prompt_dir)["hello"].file == str(new)


def test_espeak_ng_when_flite_is_missing(tmp_path: Path) -> None:
    needs("espeak-ng", "sox")
    loaded = plan(tmp_path / "plan")
    prompt_dir = tmp_path / "prompts"
    report = render(loaded, prompt_dir, which=only("espeak-ng", "sox"))
    assert report.problem is None
    target = prompt_audio_path(prompt_dir, Voice("espeak-ng", ESPEAK_VOICE), HELLO)
    check_wav(target)
    assert book(loaded, prompt_dir)["hello"].file == str(target)


# -- nothing to synthesize with: a clear message, and the prompts stay TTS ----------------------------


def test_no_synthesizer_says_so_and_the_prompts_are_spoken(tmp_path: Path) -> None:
    loaded = plan(tmp_path / "plan")
    prompt_dir = tmp_path / "prompts"
    report = render(loaded, prompt_dir, which=only("sox"))
    assert report.problem == "neither flite nor espeak-ng is on PATH (Debian: apt-get install flite sox)"
    assert sorted(report.spoken) == ["hello", "options"]
    assert report.lines()[0] == (
        "prompt audio: neither flite nor espeak-ng is on PATH (Debian: apt-get install flite sox); "
        "2 prompt(s) will be spoken by mod_flite"
    )
    assert not prompt_dir.exists() or not any(prompt_dir.iterdir())
    prompts = book(loaded, prompt_dir)
    assert prompts["hello"].file is None
    assert prompts["hello"].text == HELLO  # EslChannel speaks it with mod_flite


def test_no_sox_says_so(tmp_path: Path) -> None:
    report = render(plan(tmp_path / "plan"), tmp_path / "prompts", which=only("flite"))
    assert report.problem == "found flite but not sox, which converts its output to 8000 Hz"


def test_find_synthesizer_prefers_flite_with_the_configured_voice() -> None:
    found = find_synthesizer("kal", lambda name: f"/usr/bin/{name}")
    assert not isinstance(found, str)
    assert found.voice == Voice("flite", "kal")
    assert (found.binary, found.sox) == ("/usr/bin/flite", "/usr/bin/sox")


def test_a_failing_synthesizer_leaves_that_prompt_spoken_and_no_file(tmp_path: Path) -> None:
    needs("sox")
    false = shutil.which("false")
    assert false is not None
    prompt_dir = tmp_path / "prompts"
    report = render(
        plan(tmp_path / "plan"),
        prompt_dir,
        which=lambda name: false if name == "flite" else shutil.which(name),
    )
    assert report.problem is None
    assert report.synthesized == []
    assert report.spoken == {
        "hello": "flite exited with 1: no output",
        "options": "flite exited with 1: no output",
    }
    assert list(prompt_dir.iterdir()) == []
    assert any("'hello' will be spoken by mod_flite: flite exited with 1" in line for line in report.lines())


def test_check_wav_refuses_other_formats(tmp_path: Path) -> None:
    path = tmp_path / "16k.wav"
    with wave.open(str(path), "wb") as audio:
        audio.setnchannels(1)
        audio.setsampwidth(2)
        audio.setframerate(16000)
        audio.writeframes(b"\x00\x00" * 160)
    with pytest.raises(SynthesisError, match="expected 8000 Hz mono 16-bit audio, got 16000 Hz"):
        check_wav(path)
    (tmp_path / "junk.wav").write_bytes(b"not a wav")
    with pytest.raises(SynthesisError, match="not a readable WAV file"):
        check_wav(tmp_path / "junk.wav")


def test_without_a_prompt_directory_the_book_speaks_texts_as_before(tmp_path: Path) -> None:
    loaded = plan(tmp_path / "plan")
    prompts = PromptBook.build(loaded.model, loaded.sounds_dir)
    assert (prompts["options"].file, prompts["options"].text) == (None, "Press 1 for sales, 2 for service.")
