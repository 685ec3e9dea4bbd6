"""The fallback as FreeSWITCH dialplan: context cc_fallback, what each DID transfers to after `socket`,
the voicemail boxes it needs, and YAML text that must stay text."""

from __future__ import annotations

import copy
import dataclasses
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from dialplans.fallback_models import (
    FallbackHangup,
    FallbackHangupSpec,
    FallbackVoicemail,
    ServerDownFallback,
)
from dialplans.models import Dialplan, Transfer, TransferTarget
from dialplans.prompt_audio import prompt_audio_path, synthesis_voices
from freeswitch_conf.check import check_conf
from freeswitch_conf.fallback import VOICEMAIL_SKIPS, spoken
from freeswitch_conf.render import RenderError, SwitchSettings, modules_for, render_conf, render_files
from tests.support.rendering import Loaded

PASSWORDS = {"1001": "A" * 20, "1002": "B" * 20}
SETTINGS = SwitchSettings(esl_password="esl-secret-password", agent_passwords=PASSWORDS)
PLAN: dict[str, Any] = {
    "prompts": {
        "opts": {"text": "press 1"},
        "leave": {"file": "leave.wav", "text": "Please leave a message after the tone."},
        "sorry": {"text": "Sorry, nobody is here."},
    },
    "agents": {"1001": {"name": "Ann"}, "1002": {"name": "Bea", "extension": "+4930100"}},
    "menus": {"main": {"prompt": "opts", "options": {"1": {"hangup": {}}}, "fallback": {"hangup": {}}}},
    "fallback": {
        "ring": ["1001", "1002"],
        "ring_timeout": 25,
        "then": {"voicemail": "care", "greeting": "leave"},
    },
    "dids": {
        "4001": {"name": "Main", "menu": "main"},
        "+4930200": {
            "name": "Rescue",
            "menu": "main",
            "fallback": {"ring": ["1002"], "then": {"hangup": {"prompt": "sorry", "cause": "USER_BUSY"}}},
        },
    },
}


def plan(**changes: Any) -> Dialplan:
    data = copy.deepcopy(PLAN)
    data.update(changes)
    return Dialplan.model_validate(data)


def render(tmp_path: Path, model: Dialplan | None = None) -> dict[str, str]:
    return render_files(Loaded(model or plan(), tmp_path), SETTINGS)


def extensions(files: dict[str, str], name: str) -> dict[str, list[tuple[str, str]]]:
    root = ET.fromstring(files[name])
    return {
        ext.attrib["name"]: [(a.attrib["application"], a.attrib.get("data", "")) for a in ext.iter("action")]
        for ext in root.iter("extension")
    }


def test_each_did_falls_back_to_its_own_or_the_top_level_fallback(tmp_path: Path) -> None:
    public = extensions(render(tmp_path), "dialplan/public.xml")
    assert public["did-4001"][-2:] == [
        ("socket", "127.0.0.1:8084 async full"),
        ("transfer", "main XML cc_fallback"),
    ]
    assert public["did-+4930200"][-1] == ("transfer", "+4930200 XML cc_fallback")


def test_the_top_level_fallback_rings_the_agents_then_takes_a_message(tmp_path: Path) -> None:
    fallback = extensions(render(tmp_path), "dialplan/cc_fallback.xml")
    assert list(fallback) == ["fallback-main", "fallback-+4930200"]
    assert fallback["fallback-main"] == [
        ("set", "cc_fallback=main"),
        ("set", "call_timeout=25"),
        ("set", "continue_on_fail=true"),
        ("set", "hangup_after_bridge=true"),
        ("bridge", "user/1001@callcenter.local,user/+4930100@callcenter.local"),
        ("answer", ""),
        # leave.wav does not exist: its text is spoken.
        ("speak", "flite|slt|Please leave a message after the tone."),
        *[("set", f"{name}=true") for name in VOICEMAIL_SKIPS],
        ("voicemail", "default callcenter.local care"),
        ("hangup", "NORMAL_CLEARING"),
    ]


def test_a_line_s_own_fallback_plays_its_message_and_hangs_up_with_its_cause(tmp_path: Path) -> None:
    fallback = extensions(render(tmp_path), "dialplan/cc_fallback.xml")
    assert fallback["fallback-+4930200"] == [
        ("set", "cc_fallback=+4930200"),
        ("set", "call_timeout=20"),
        ("set", "continue_on_fail=true"),
        ("set", "hangup_after_bridge=true"),
        ("bridge", "user/+4930100@callcenter.local"),
        ("answer", ""),
        ("speak", "flite|slt|Sorry, nobody is here."),
        ("hangup", "USER_BUSY"),
    ]
    root = ET.fromstring(render(tmp_path)["dialplan/cc_fallback.xml"])
    condition = next(e for e in root.iter("extension") if e.attrib["name"] == "fallback-+4930200").find(
        "condition"
    )
    assert condition is not None
    assert condition.attrib["expression"] == r"^\+4930200$"


def test_a_recorded_prompt_is_played_from_the_sounds_folder(tmp_path: Path) -> None:
    (tmp_path / "leave.wav").write_bytes(b"RIFF")
    fallback = extensions(render(tmp_path), "dialplan/cc_fallback.xml")
    assert ("playback", f"{tmp_path}/leave.wav") in fallback["fallback-main"]
    assert not [action for action in fallback["fallback-main"] if action[0] == "speak"]


def test_a_text_prompt_plays_the_file_render_synthesized_rather_than_tts(tmp_path: Path) -> None:
    prompts = tmp_path / "prompts"
    prompts.mkdir()
    voice = synthesis_voices(SETTINGS.tts_voice)[1]  # espeak-ng's file: any synthesizer's is found
    synthesized = prompt_audio_path(prompts, voice, "Sorry, nobody is here.")
    synthesized.write_bytes(b"RIFF")
    settings = dataclasses.replace(SETTINGS, prompt_dir=prompts)
    fallback = extensions(render_files(Loaded(plan(), tmp_path), settings), "dialplan/cc_fallback.xml")
    assert ("playback", str(synthesized)) in fallback["fallback-+4930200"]
    assert not [action for action in fallback["fallback-+4930200"] if action[0] == "speak"]
    # A prompt render could not synthesize keeps `speak`: the message is never lost.
    assert ("speak", "flite|slt|Please leave a message after the tone.") in fallback["fallback-main"]


def test_without_any_fallback_callers_get_a_temporary_failure(tmp_path: Path) -> None:
    data = copy.deepcopy(PLAN)
    del data["fallback"]
    del data["dids"]["+4930200"]["fallback"]
    files = render(tmp_path, Dialplan.model_validate(data))
    assert extensions(files, "dialplan/cc_fallback.xml") == {
        "fallback-main": [("set", "cc_fallback=main"), ("hangup", "NORMAL_TEMPORARY_FAILURE")]
    }
    assert "mod_voicemail" not in files["autoload_configs/modules.conf.xml"]


def test_when_every_line_has_its_own_there_is_no_top_level_extension(tmp_path: Path) -> None:
    data = copy.deepcopy(PLAN)
    del data["fallback"]
    data["dids"] = {"+4930200": data["dids"]["+4930200"]}
    assert list(extensions(render(tmp_path, Dialplan.model_validate(data)), "dialplan/cc_fallback.xml")) == [
        "fallback-+4930200"
    ]


def test_the_mailbox_is_a_directory_user_nobody_can_register_as(tmp_path: Path) -> None:
    files = render(tmp_path)
    users = {u.attrib["id"]: u for u in ET.fromstring(files["directory/default.xml"]).iter("user")}
    params = {p.attrib["name"]: p.attrib["value"] for p in users["care"].iter("param")}
    assert params == {"sip-forbid-register": "true", "vm-enabled": "true"}
    assert "mod_voicemail" in modules_for(SETTINGS, voicemail=True)
    assert 'module="mod_voicemail"' in files["autoload_configs/modules.conf.xml"]
    assert "autoload_configs/voicemail.conf.xml" in files


def test_a_mailbox_that_is_an_agent_s_extension_is_that_agent(tmp_path: Path) -> None:
    model = plan(fallback={"ring": ["1001"], "then": {"voicemail": "1001"}})
    users = [
        u.attrib["id"] for u in ET.fromstring(render(tmp_path, model)["directory/default.xml"]).iter("user")
    ]
    assert sorted(users) == ["+4930100", "1001"]


def test_the_conf_assembles(tmp_path: Path) -> None:
    render_conf(Loaded(plan(), tmp_path / "sounds"), SETTINGS, tmp_path / "conf")
    root = check_conf(tmp_path / "conf")
    contexts = {context.attrib["name"] for context in root.iter("context")}
    assert {"public", "default", "cc_fallback"} <= contexts


HOSTILE_TEXT = "Call ${api(system rm -rf /)} $${base_dir} 'quoted' \"double\" a|b <x/> &amp; \\n -->"


def test_spoken_text_is_inert_in_the_dialplan(tmp_path: Path) -> None:
    prompts = copy.deepcopy(PLAN["prompts"])
    prompts["sorry"] = {"text": HOSTILE_TEXT}
    files = render(tmp_path, plan(prompts=prompts))
    raw = files["dialplan/cc_fallback.xml"]
    # Nothing the pre-processor, the XML parser or the run-time expander would act on.
    for token in ("${", "<x", "-->", "a|b", "'quoted'", '"double'):
        assert token not in raw, token
    assert "X-PRE-PROCESS" not in raw.upper()
    speak = dict(extensions(files, "dialplan/cc_fallback.xml")["fallback-+4930200"])["speak"]
    engine, voice, text = speak.split("|")
    assert (engine, voice) == ("flite", "slt")
    assert not set(text) & set("$\\|'\"{}<>")
    assert text.startswith("Call api(system rm -rf /) base_dir quoted double a b x/")


@pytest.mark.parametrize("text", ["$$$", "  ", "{}|'"])
def test_text_with_nothing_speakable_is_refused(text: str) -> None:
    with pytest.raises(RenderError):
        spoken(text)


@pytest.mark.parametrize(
    "fallback",
    [
        ServerDownFallback.model_construct(
            ring=[],
            ring_timeout=20,
            then=FallbackVoicemail.model_construct(voicemail="care/../../etc", greeting=None),
        ),
        ServerDownFallback.model_construct(
            ring=[],
            ring_timeout=20,
            then=FallbackHangup.model_construct(
                hangup=FallbackHangupSpec.model_construct(prompt=None, cause="${api(x)}")
            ),
        ),
        ServerDownFallback.model_construct(ring=["9999"], ring_timeout=20, then=FallbackHangup()),
        ServerDownFallback.model_construct(
            ring=[],
            ring_timeout=20,
            then=FallbackHangup.model_construct(
                hangup=FallbackHangupSpec.model_construct(prompt="nope", cause="NORMAL_CLEARING")
            ),
        ),
    ],
    ids=["mailbox", "cause", "agent", "prompt"],
)
def test_a_model_built_without_validation_cannot_inject(tmp_path: Path, fallback: ServerDownFallback) -> None:
    with pytest.raises(RenderError):
        render(tmp_path, plan().model_copy(update={"fallback": fallback}))


def test_a_transfer_into_the_fallback_context_is_refused_by_the_renderer_too(tmp_path: Path) -> None:
    model = plan()
    target = TransferTarget.model_construct(extension="main", queue=None, context="cc_fallback")
    menu = model.menus["main"].model_copy(update={"fallback": Transfer.model_construct(transfer=target)})
    with pytest.raises(RenderError, match="reserved"):
        render(tmp_path, model.model_copy(update={"menus": {"main": menu}}))
