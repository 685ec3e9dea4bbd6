"""The agents as SIP users: a password each, on the agents' domain, in files only FreeSWITCH can read."""

from __future__ import annotations

import copy
import stat
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from dialplans.models import Agent, Dialplan
from freeswitch_conf.check import check_conf
from freeswitch_conf.directory import MIN_AGENT_PASSWORD_LENGTH, directory_users
from freeswitch_conf.render import RenderError, SwitchSettings, render_conf, render_files
from tests.support.rendering import Loaded

PLAN: dict[str, Any] = {
    "prompts": {"opts": {"text": "press 1"}},
    "queues": {"sales": {"name": "Sales", "extension": "2001", "tiers": [{"agent": "1001"}]}},
    "agents": {
        "1001": {"name": "Ann O'Neil", "department": "sales", "skills": {"german": 5}},
        "1002": {"name": "Chloé", "extension": "+4930100"},
    },
    "menus": {
        "main": {
            "prompt": "opts",
            "options": {"1": {"transfer": {"queue": "sales"}}, "2": {"transfer": {"extension": "1001"}}},
            "fallback": {"hangup": {}},
        }
    },
    "dids": {"4001": {"name": "Main", "menu": "main"}},
}
# Every character the XML and the pre-processor care about, in a password FreeSWITCH must read back exactly.
TRICKY = "p&<>\"'$${x}${y}-->]]>\\w"
PASSWORDS = {"1001": "A" * MIN_AGENT_PASSWORD_LENGTH, "1002": TRICKY}
ESL = "esl-secret-password"


def settings(passwords: dict[str, str] | None = None) -> SwitchSettings:
    return SwitchSettings(esl_password=ESL, agent_passwords=PASSWORDS if passwords is None else passwords)


def render(tmp_path: Path, plan: Dialplan | None = None, **kwargs: Any) -> dict[str, str]:
    return render_files(Loaded(plan or Dialplan.model_validate(PLAN), tmp_path), settings(**kwargs))


def users(files: dict[str, str]) -> dict[str, ET.Element]:
    return {u.attrib["id"]: u for u in ET.fromstring(files["directory/default.xml"]).iter("user")}


def values(element: ET.Element, tag: str) -> dict[str, str]:
    return {e.attrib["name"]: e.attrib["value"] for e in element.iter(tag)}


def test_every_agent_is_a_user_with_its_password_and_caller_id(tmp_path: Path) -> None:
    found = users(render(tmp_path))
    assert sorted(found) == ["+4930100", "1001"]
    assert values(found["1001"], "param") == {"password": PASSWORDS["1001"]}
    assert values(found["1001"], "variable") == {
        "user_context": "default",
        "effective_caller_id_name": "Ann O'Neil",
        "effective_caller_id_number": "1001",
        "cc_agent_id": "1001",
        "cc_department": "sales",
    }
    assert values(found["+4930100"], "param") == {"password": TRICKY}
    assert values(found["+4930100"], "variable")["effective_caller_id_name"] == "Chloé"
    assert "cc_department" not in values(found["+4930100"], "variable")


def test_the_password_gives_the_preprocessor_nothing_to_act_on(tmp_path: Path) -> None:
    out = tmp_path / "conf"
    render_conf(Loaded(Dialplan.model_validate(PLAN), tmp_path), settings(), out)
    text = (out / "directory" / "default.xml").read_text(encoding="utf-8")
    assert "$${" not in text
    assert TRICKY not in text  # only its escaped form is on disk
    root = check_conf(out)  # assembled as FreeSWITCH assembles it, pre-processor included
    passwords = {u.get("id"): values(u, "param")["password"] for u in root.iter("user")}
    assert passwords == {"1001": PASSWORDS["1001"], "+4930100": TRICKY}


def test_directory_files_are_private_and_hold_the_only_copy_of_the_passwords(tmp_path: Path) -> None:
    out = tmp_path / "conf"
    render_conf(Loaded(Dialplan.model_validate(PLAN), tmp_path), settings(), out)
    directory = sorted(p for p in (out / "directory").rglob("*") if p.is_file())
    assert [p.name for p in directory] == ["default.xml"]
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in directory)
    assert stat.S_IMODE((out / "dialplan" / "default.xml").stat().st_mode) == 0o640
    elsewhere = "".join(
        p.read_text(encoding="utf-8") for p in out.rglob("*.xml") if p.parent.name != "directory"
    )
    assert PASSWORDS["1001"] not in elsewhere


def test_each_agent_phone_is_dialable_in_context_default(tmp_path: Path) -> None:
    default = ET.fromstring(render(tmp_path)["dialplan/default.xml"])
    routes = {e.attrib["name"]: e for e in default.iter("extension")}
    assert list(routes) == ["queue-sales", "agent-1001", "agent-1002"]
    agent = routes["agent-1002"]
    condition = agent.find("condition")
    assert condition is not None
    assert condition.attrib["expression"] == r"^\+4930100$"
    assert agent.attrib["cc_label"] == "Chloé"
    assert [(a.attrib["application"], a.get("data", "")) for a in agent.iter("action")][-2:] == [
        ("bridge", "user/+4930100@callcenter.local"),
        ("hangup", "${originate_disposition}"),
    ]


def test_a_queue_keeps_its_number_over_an_agent_built_without_validation(tmp_path: Path) -> None:
    model = Dialplan.model_validate(PLAN)
    clash = Agent.model_construct(name="Clash", extension="2001", skills={}, department=None)
    plan = model.model_copy(update={"agents": {**model.agents, "1003": clash}})
    files = render(tmp_path, plan, passwords={**PASSWORDS, "1003": "B" * 20})
    names = [e.attrib["name"] for e in ET.fromstring(files["dialplan/default.xml"]).iter("extension")]
    assert "queue-sales" in names
    assert "agent-1003" not in names


def test_an_agent_without_a_password_is_refused_without_leaking_the_others(tmp_path: Path) -> None:
    with pytest.raises(RenderError, match="agent 1002 has no SIP password") as caught:
        render(tmp_path, passwords={"1001": PASSWORDS["1001"]})
    assert PASSWORDS["1001"] not in str(caught.value)


@pytest.mark.parametrize("password", ["short-password1", "sixteen chars ok", "tab\tinside-the-password", ""])
def test_weak_or_unprintable_passwords_are_refused(password: str) -> None:
    with pytest.raises(ValueError, match="agent 1001: the SIP password") as caught:
        settings({"1001": password})
    assert password not in str(caught.value) or not password
    with pytest.raises(RenderError):
        directory_users(Dialplan.model_validate(PLAN), {"1001": password, "1002": TRICKY})


def test_secrets_stay_out_of_repr() -> None:
    shown = repr(settings())
    assert ESL not in shown
    assert PASSWORDS["1001"] not in shown
    assert TRICKY not in repr(directory_users(Dialplan.model_validate(PLAN), PASSWORDS))


def test_a_plan_without_agents_needs_no_passwords(tmp_path: Path) -> None:
    plan = copy.deepcopy(PLAN)
    del plan["agents"]
    plan["queues"]["sales"]["tiers"] = []
    assert users(render(tmp_path, Dialplan.model_validate(plan), passwords={})) == {}
