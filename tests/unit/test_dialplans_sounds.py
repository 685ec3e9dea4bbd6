"""Audio files: found relative to the dialplan, missing ones warned about (TTS) or refused (no text)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dialplans.loader import DialplanError, load_dialplan, validate_file

PLAN = """\
sounds_dir: {sounds_dir}
prompts:
  hello: {{file: hello.wav, text: Hello}}
  spoken: {{text: Only ever spoken}}
  recorded: {{file: nested/recorded.wav}}
menus:
  main:
    greeting: hello
    prompt: spoken
    invalid_prompt: recorded
    options: {{}}
    fallback: {{hangup: }}
dids:
  "4001": {{menu: main}}
"""


def write_plan(folder: Path, sounds_dir: str, *, with_audio: bool) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    plan = folder / "plan.yaml"
    plan.write_text(PLAN.format(sounds_dir=sounds_dir), encoding="utf-8")
    if with_audio:
        audio = Path(sounds_dir) if Path(sounds_dir).is_absolute() else folder / sounds_dir
        (audio / "nested").mkdir(parents=True, exist_ok=True)
        (audio / "hello.wav").write_bytes(b"RIFF")
        (audio / "nested" / "recorded.wav").write_bytes(b"RIFF")
    return plan


def test_sounds_dir_is_relative_to_the_dialplan_not_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = write_plan(tmp_path / "plans", "audio", with_audio=True)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    loaded = load_dialplan(plan)
    assert loaded.warnings == []
    assert loaded.path == plan
    assert loaded.sounds_dir == (tmp_path / "plans" / "audio").resolve()
    assert loaded.prompt_file("hello") == loaded.sounds_dir / "hello.wav"
    assert loaded.prompt_file("recorded") == loaded.sounds_dir / "nested" / "recorded.wav"
    assert loaded.prompt_file("spoken") is None  # no file: TTS only
    assert loaded.prompt_file("nonexistent") is None


def test_an_absolute_sounds_dir_is_used_as_is(tmp_path: Path) -> None:
    audio = tmp_path / "shared-audio"
    plan = write_plan(tmp_path / "plans", str(audio), with_audio=True)
    loaded = load_dialplan(plan)
    assert loaded.sounds_dir == audio.resolve()
    assert loaded.prompt_file("hello") == audio.resolve() / "hello.wav"


def test_prompt_file_looks_at_the_disk_when_asked(tmp_path: Path) -> None:
    loaded = load_dialplan(write_plan(tmp_path, "audio", with_audio=True))
    (tmp_path / "audio" / "hello.wav").unlink()
    assert loaded.prompt_file("hello") is None


def test_missing_audio_is_a_warning_with_text_and_an_error_without(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write_plan(tmp_path, "audio", with_audio=False)
    plan = Path("plan.yaml")
    assert [str(d) for d in validate_file(plan)] == [
        "plan.yaml:3:17 prompts.hello.file: warning: audio file 'audio/hello.wav' not found; "
        "callers will hear its text by TTS",
        "plan.yaml:5:20 prompts.recorded.file: audio file 'audio/nested/recorded.wav' not found, "
        "and the prompt has no text to speak",
    ]
    with pytest.raises(DialplanError) as caught:
        load_dialplan(plan)
    assert [d.path for d in caught.value.diagnostics] == ["prompts.recorded.file"]


def test_a_prompt_needs_a_file_or_a_text(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    plan = write_plan(tmp_path, "audio", with_audio=True)
    plan.write_text(plan.read_text().replace("{text: Only ever spoken}", "{}"))
    assert [str(d) for d in validate_file(Path("plan.yaml"))] == [
        "plan.yaml:4:11 prompts.spoken: a prompt needs a file to play, a text to speak, or both"
    ]
