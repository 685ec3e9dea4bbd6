"""mod_voicemail for queues that overflow to a mailbox: loaded only then, with its configuration, and each
mailbox a directory user that can receive messages but never register."""

from __future__ import annotations

import copy
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from dialplans.models import Dialplan, OverflowToVoicemail
from freeswitch_conf.check import check_conf
from freeswitch_conf.render import RenderError, SwitchSettings, render_conf, render_files
from freeswitch_conf.voicemail import voicemail_boxes
from tests.support.rendering import Loaded

PLAN: dict[str, Any] = {
    "prompts": {"opts": {"text": "press 1"}},
    "queues": {
        "sales": {"extension": "2001", "tiers": [{"agent": "1001"}], "max_wait": 60},
        "care": {"extension": "2002", "tiers": [{"agent": "1001"}], "max_wait": 60},
        "night": {"extension": "2003", "tiers": [{"agent": "1001"}], "max_wait": 60},
    },
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
ESL = "esl-secret-password"
VOICEMAIL_DIR = Path("/srv/cc/voicemail")


def plan(**overflows: str) -> Dialplan:
    """PLAN with `queue=mailbox` overflows to voicemail."""
    data = copy.deepcopy(PLAN)
    for queue, box in overflows.items():
        data["queues"][queue]["on_max_wait"] = {"voicemail": box}
    return Dialplan.model_validate(data)


def render(tmp_path: Path, dialplan: Dialplan) -> dict[str, str]:
    settings = SwitchSettings(
        esl_password=ESL, agent_passwords={"1001": "A" * 16}, voicemail_dir=VOICEMAIL_DIR
    )
    return render_files(Loaded(dialplan, tmp_path), settings)


def modules(files: dict[str, str]) -> list[str]:
    return [
        m.attrib["module"] for m in ET.fromstring(files["autoload_configs/modules.conf.xml"]).iter("load")
    ]


def groups(files: dict[str, str]) -> dict[str, list[ET.Element]]:
    root = ET.fromstring(files["directory/default.xml"])
    return {g.attrib["name"]: list(g.iter("user")) for g in root.iter("group")}


def params(user: ET.Element) -> dict[str, str]:
    return {p.attrib["name"]: p.attrib["value"] for p in user.iter("param")}


def test_without_a_voicemail_overflow_there_is_no_voicemail(tmp_path: Path) -> None:
    files = render(tmp_path, plan())
    assert "mod_voicemail" not in modules(files)
    assert "autoload_configs/voicemail.conf.xml" not in files
    assert list(groups(files)) == ["agents"]


def test_a_voicemail_overflow_loads_the_module_with_its_configuration(tmp_path: Path) -> None:
    files = render(tmp_path, plan(care="care-desk"))
    assert modules(files)[-1] == "mod_voicemail"
    conf = ET.fromstring(files["autoload_configs/voicemail.conf.xml"])
    assert conf.attrib["name"] == "voicemail.conf"
    [profile] = conf.iter("profile")
    assert profile.attrib["name"] == "default"
    assert params(profile)["storage-dir"] == str(VOICEMAIL_DIR)


def test_each_mailbox_is_a_user_that_cannot_register(tmp_path: Path) -> None:
    files = render(tmp_path, plan(care="care-desk", night="care-desk", sales="Sales_2"))
    boxes = groups(files)["voicemail"]
    assert [user.attrib["id"] for user in boxes] == ["Sales_2", "care-desk"]  # once each, sorted
    for user in boxes:
        assert params(user) == {"sip-forbid-register": "true", "vm-enabled": "true"}
    assert [user.attrib["id"] for user in groups(files)["agents"]] == ["1001"]


def test_a_mailbox_that_is_an_agent_extension_reuses_the_agent(tmp_path: Path) -> None:
    files = render(tmp_path, plan(care="1001"))
    assert "voicemail" not in groups(files)
    assert "mod_voicemail" in modules(files)
    ids = [u.attrib["id"] for u in ET.fromstring(files["directory/default.xml"]).iter("user")]
    assert ids == ["1001"]


def test_the_rendered_tree_with_voicemail_loads(tmp_path: Path) -> None:
    settings = SwitchSettings(esl_password=ESL, agent_passwords={"1001": "A" * 16})
    out = tmp_path / "conf"
    render_conf(Loaded(plan(care="care-desk"), tmp_path), settings, out)
    root = check_conf(out)
    [conf] = [c for c in root.iter("configuration") if c.get("name") == "voicemail.conf"]
    [profile] = conf.iter("profile")
    assert params(profile)["storage-dir"] == "/var/lib/callcenter/voicemail"
    assert (out / "directory/default.xml").stat().st_mode & 0o077 == 0


@pytest.mark.parametrize("box", ["care desk", "x${system(id)}", "a<b>", "-leading", "$${password}", "a&amp"])
def test_a_mailbox_built_without_validation_is_refused(tmp_path: Path, box: str) -> None:
    dialplan = plan(care="care-desk")
    unsafe = dialplan.queues["care"].model_copy(
        update={"on_max_wait": OverflowToVoicemail.model_construct(voicemail=box)}
    )
    dialplan = dialplan.model_copy(update={"queues": {**dialplan.queues, "care": unsafe}})
    with pytest.raises(RenderError, match="mailbox"):
        render(tmp_path, dialplan)
    with pytest.raises(RenderError):
        voicemail_boxes(dialplan)


@pytest.mark.parametrize("path", [Path("relative/vm"), Path("/with space/vm"), Path("/x/$${y}")])
def test_the_voicemail_dir_must_be_absolute_and_plain(path: Path) -> None:
    with pytest.raises(ValueError, match=r"."):
        SwitchSettings(esl_password=ESL, voicemail_dir=path)
