"""MP3 recordings need mod_shout: loaded, with its shout.conf, only when a recording policy writes mp3."""

from __future__ import annotations

import copy
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from dialplans.loader import load_dialplan
from dialplans.models import Dialplan
from freeswitch_conf.check import check_conf
from freeswitch_conf.recording import MP3_MODULE, records_mp3
from freeswitch_conf.reload import changed_files, plan_reload
from freeswitch_conf.render import BASE_MODULES, SwitchSettings, modules_for, render_conf, render_files
from tests.support.dialplans import EXAMPLE
from tests.support.rendering import Loaded

PLAN: dict[str, Any] = {
    "prompts": {"opts": {"text": "press 1"}},
    "queues": {"sales": {"extension": "2001", "tiers": [{"agent": "1001"}]}},
    "agents": {"1001": {"name": "Ann"}},
    "menus": {
        "main": {
            "prompt": "opts",
            "options": {"1": {"transfer": {"queue": "sales"}}},
            "fallback": {"hangup": {}},
        }
    },
    "dids": {"4001": {"name": "Main", "menu": "main"}},
}
SETTINGS = SwitchSettings(esl_password="esl-secret-password", agent_passwords={"1001": "A" * 16})
SHOUT_CONF = "autoload_configs/shout.conf.xml"


def plan(**formats: str) -> Dialplan:
    """PLAN with one recording policy per `name=format`; none of them named by a DID or queue."""
    data = copy.deepcopy(PLAN)
    data["recording"] = {"policies": {name: {"mode": "all", "format": f} for name, f in formats.items()}}
    return Dialplan.model_validate(data)


def modules(files: dict[str, str]) -> list[str]:
    return [
        m.attrib["module"] for m in ET.fromstring(files["autoload_configs/modules.conf.xml"]).iter("load")
    ]


def render(tmp_path: Path, dialplan: Dialplan) -> dict[str, str]:
    return render_files(Loaded(dialplan, tmp_path), SETTINGS)


@pytest.mark.parametrize("formats", [{}, {"calls": "wav"}, {"calls": "wav", "sample": "wav"}])
def test_wav_needs_only_mod_sndfile(tmp_path: Path, formats: dict[str, str]) -> None:
    files = render(tmp_path, plan(**formats))
    assert MP3_MODULE not in modules(files)
    assert "mod_sndfile" in modules(files)
    assert SHOUT_CONF not in files


def test_an_mp3_policy_loads_mod_shout_with_its_configuration(tmp_path: Path) -> None:
    # Even a policy no line names: the API may start recording under any policy.
    files = render(tmp_path, plan(calls="wav", archive="mp3"))
    assert modules(files) == [*BASE_MODULES, "mod_flite", MP3_MODULE]
    conf = ET.fromstring(files[SHOUT_CONF])
    assert conf.attrib["name"] == "shout.conf"
    assert conf.find("settings") is not None
    assert list(conf.iter("param")) == []  # LAME's defaults: 16 kbit/s per channel at 8 kHz


def test_the_rendered_tree_with_mp3_loads(tmp_path: Path) -> None:
    out = tmp_path / "conf"
    render_conf(Loaded(plan(archive="mp3"), tmp_path), SETTINGS, out)
    root = check_conf(out)
    names = [c.get("name") for c in root.iter("configuration")]
    assert names.count("shout.conf") == 1
    [load] = [m for m in root.iter("load") if m.get("module") == MP3_MODULE]
    assert load.get("module") == "mod_shout"


def test_modules_for_appends_mod_shout_last() -> None:
    assert modules_for(SETTINGS, mp3=True)[-1] == MP3_MODULE
    assert modules_for(SETTINGS, voicemail=True, mp3=True)[-2:] == ("mod_voicemail", MP3_MODULE)
    assert MP3_MODULE not in modules_for(SETTINGS, voicemail=True)


def test_records_mp3_reads_every_policy() -> None:
    assert not records_mp3(plan())
    assert not records_mp3(plan(a="wav", b="wav"))
    assert records_mp3(plan(a="wav", b="mp3"))


def test_switching_a_policy_to_mp3_asks_for_a_restart(tmp_path: Path) -> None:
    before = render(tmp_path, plan(calls="wav"))
    after = render(tmp_path, plan(calls="mp3"))
    reload = plan_reload(changed_files(before, after))
    assert set(reload.restart_needed) == {"autoload_configs/modules.conf.xml", SHOUT_CONF}
    assert reload.commands == ()


def test_the_example_records_wav_so_loads_no_mod_shout() -> None:
    loaded = load_dialplan(EXAMPLE)
    assert loaded.model.recording.policies
    passwords = dict.fromkeys(loaded.model.agents, "A" * 16)
    settings = SwitchSettings(esl_password="esl-secret-password", agent_passwords=passwords)
    assert MP3_MODULE not in modules(render_files(loaded, settings))
