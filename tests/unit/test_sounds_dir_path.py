"""A sounds folder FreeSWITCH cannot be given safely is refused at validate time; a space is fine.

The folder reaches FreeSWITCH three ways: vars.xml's `sound_prefix` (the pre-processor's `set`,
which reads the raw text up to the next `"` and expands `$${…}`), the fallback's `playback` action
data (expanded at run time: `${…}`), and the server's `playback` over ESL. None of them splits a
file name on spaces.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from callcenter.cli import main
from dialplans.loader import validate_file
from freeswitch_conf.escaping import RenderError, preprocess_safe

PLAN = """\
sounds_dir: {sounds_dir}
prompts:
  hello: {{file: hello.wav, text: Hello}}
menus:
  main:
    prompt: hello
    options: {{}}
    fallback: {{hangup: }}
dids:
  "4001": {{menu: main}}
fallback:
  then: {{hangup: {{prompt: hello}}}}
"""


def plan_in(folder: Path, sounds_dir: str) -> Path:
    """plan.yaml in `folder`, its sounds in `folder/sounds_dir`, with the prompt's recording there."""
    quoted = f'"{sounds_dir}"' if '"' not in sounds_dir else f"'{sounds_dir}'"
    plan = folder / "plan.yaml"
    plan.write_text(PLAN.format(sounds_dir=quoted), encoding="utf-8")
    audio = folder / sounds_dir
    audio.mkdir(parents=True)
    (audio / "hello.wav").write_bytes(b"RIFF")
    return plan


@pytest.mark.parametrize(("folder", "character"), [("my$sounds", "$"), ('say "hi"', '"'), ("a{b}", "{")])
def test_a_sounds_dir_freeswitch_would_misread_is_an_error_naming_the_character(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, folder: str, character: str
) -> None:
    monkeypatch.chdir(tmp_path)
    plan_in(tmp_path, folder)
    errors = [d for d in validate_file(Path("plan.yaml")) if d.severity == "error"]
    assert [(d.line, d.column, d.path) for d in errors] == [(1, 13, "sounds_dir")]
    assert f"holds {character!r}" in errors[0].message
    assert str(tmp_path / folder) in errors[0].message


def test_a_prompt_file_freeswitch_would_misread_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    plan = plan_in(tmp_path, "sounds")
    plan.write_text(plan.read_text(encoding="utf-8").replace("hello.wav", "hel$lo.wav"), encoding="utf-8")
    (tmp_path / "sounds" / "hel$lo.wav").write_bytes(b"RIFF")
    errors = [d for d in validate_file(Path("plan.yaml")) if d.severity == "error"]
    assert [d.path for d in errors] == ["prompts.hello.file"]
    assert "holds '$'" in errors[0].message


@pytest.fixture
def render_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CALLCENTER_ROOT", str(tmp_path))
    monkeypatch.setenv("CALLCENTER_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("CALLCENTER_DIALPLAN", str(tmp_path / "plan.yaml"))
    monkeypatch.setenv("CALLCENTER_TTS_ENGINE", "none")
    monkeypatch.delenv("CALLCENTER_ESL_PASSWORD", raising=False)
    monkeypatch.delenv("CALLCENTER_FALLBACK_EXTENSION", raising=False)
    return tmp_path / "conf"


def test_render_with_a_dollar_in_sounds_dir_exits_1_with_the_error_not_a_traceback(
    render_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan_in(render_env.parent, "my$sounds")
    assert main(["render", "--out", str(render_env)]) == 1
    err = capsys.readouterr().err
    assert "sounds_dir: the sounds folder" in err
    assert "holds '$'" in err
    assert "Traceback" not in err
    assert not render_env.exists()


def test_a_sounds_dir_with_a_space_renders_and_freeswitch_reads_it_back(
    render_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan_in(render_env.parent, "my sounds")
    sounds = render_env.parent / "my sounds"
    assert main(["render", "--out", str(render_env)]) == 0, capsys.readouterr().err
    # vars.xml: the pre-processor's `set` takes the raw text between data=" and the next quote.
    variables = dict(
        re.findall(
            r'<X-PRE-PROCESS cmd="set" data="([^="]+)=([^"]*)"/>', (render_env / "vars.xml").read_text()
        )
    )
    assert variables["sound_prefix"] == str(sounds)
    fallback = ET.parse(render_env / "dialplan" / "cc_fallback.xml").getroot()
    plays = [a.get("data") for a in fallback.iter("action") if a.get("application") == "playback"]
    assert plays
    assert set(plays) == {str(sounds / "hello.wav")}


def test_a_setting_render_refuses_is_a_message_not_a_traceback(
    render_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    plan_in(render_env.parent, "sounds")
    monkeypatch.setenv("CALLCENTER_SAY_SOUND_PREFIX", "/sounds/$${x}")
    assert main(["render", "--out", str(render_env)]) == 1
    assert capsys.readouterr().err.startswith("callcenter render: say_sound_prefix must be an absolute path")
    assert not render_env.exists()


@pytest.mark.parametrize("value", ["/a$b", '/a"b', " /a", "/a "])
def test_sound_prefix_spaces_are_allowed_only_inside(value: str) -> None:
    with pytest.raises(RenderError, match="spaces inside"):
        preprocess_safe(value, spaces=True)


def test_other_pre_processor_values_take_no_space() -> None:
    assert preprocess_safe("/srv/my sounds", spaces=True) == "/srv/my sounds"
    with pytest.raises(RenderError, match="only letters, digits and _"):
        preprocess_safe("/srv/my sounds")
