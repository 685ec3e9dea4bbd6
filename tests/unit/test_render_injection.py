"""Text from YAML never becomes markup, a pre-processor directive or a run-time expansion.

Names and labels are free text: they are rendered, and must come back from the XML parser
exactly as written while changing nothing else. Numbers, context names and settings have a
strict alphabet: a hostile one is refused before anything is written.
"""

from __future__ import annotations

import copy
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from markupsafe import Markup
from pydantic import ValidationError

from dialplans.models import Agent, Dialplan, Did, Queue, Transfer, TransferTarget
from freeswitch_conf.check import assemble, check_conf
from freeswitch_conf.escaping import RenderError, xml_value
from freeswitch_conf.render import SwitchSettings, render_conf, render_files
from tests.support.rendering import Loaded

PAYLOADS = [
    '<X-PRE-PROCESS cmd="set" data="x=y"/>',
    "${system(rm -rf /)}",
    "$${password}",
    "\"quoted\" and 'single'",
    "]]>",
    "<!--#set x=y-->",
    "--> <injected/> <!--",
    "x-pre-process without a bracket",
    "two\nlines",
    "back\\slash ${x}",
]

BASE: dict[str, Any] = {
    "prompts": {"opts": {"text": "press 1"}},
    "queues": {"sales": {"name": "Sales", "extension": "2001"}},
    "menus": {
        "main": {
            "prompt": "opts",
            "options": {"1": {"transfer": {"queue": "sales"}}, "2": {"transfer": {"extension": "2009"}}},
            "fallback": {"hangup": {}},
        }
    },
    "dids": {"4001": {"name": "Main", "menu": "main"}, "+15551230001": {"name": "Second", "menu": "main"}},
}
SETTINGS = SwitchSettings(esl_password="pa$${ss}<\"'>&]]>word")


def hostile(payload: str) -> Dialplan:
    plan = copy.deepcopy(BASE)
    plan["dids"]["4001"]["name"] = payload
    plan["dids"]["+15551230001"]["name"] = payload + payload
    plan["queues"]["sales"]["name"] = payload
    return Dialplan.model_validate(plan)


def element_shape(root: ET.Element) -> list[tuple[str, tuple[str, ...]]]:
    return [(e.tag, tuple(sorted(e.attrib))) for e in root.iter()]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_free_text_round_trips_as_data_and_changes_no_structure(payload: str, tmp_path: Path) -> None:
    clean = render_files(Loaded(Dialplan.model_validate(BASE), tmp_path), SETTINGS)
    dirty = render_files(Loaded(hostile(payload), tmp_path), SETTINGS)
    assert clean.keys() == dirty.keys()
    for name in clean:
        assert element_shape(ET.fromstring(dirty[name])) == element_shape(ET.fromstring(clean[name])), name
    labels = [
        e.attrib["cc_label"]
        for f in ("dialplan/public.xml", "dialplan/default.xml")
        for e in ET.fromstring(dirty[f]).iter("extension")
        if e.attrib["cc_label"]
    ]
    assert sorted(labels) == sorted([payload, payload, payload + payload])


@pytest.mark.parametrize("payload", PAYLOADS)
def test_raw_text_gives_the_preprocessor_nothing_to_act_on(payload: str, tmp_path: Path) -> None:
    out = tmp_path / "conf"
    render_conf(Loaded(hostile(payload), tmp_path), SETTINGS, out)
    directives = []
    for path in out.rglob("*.xml"):
        text = path.read_text(encoding="utf-8")
        assert "$${" not in text
        assert "<!--#" not in text
        assert "]]>" not in text
        for line in text.splitlines():
            if "x-pre-process" in line.lower():
                assert re.fullmatch(
                    r'\s*<X-PRE-PROCESS cmd="(set|include)" data="[A-Za-z0-9_./:=,*-]*"/>', line
                ), line
                directives.append(line)
    assert sorted(directives) == sorted(directive_lines_of_a_clean_render(tmp_path))
    assembled = assemble(out)
    assert "x" not in assembled.global_vars
    root = check_conf(out)
    assert [e.tag for e in root.iter() if "pre-process" in e.tag.lower()] == []


def directive_lines_of_a_clean_render(tmp_path: Path) -> list[str]:
    out = tmp_path / "clean"
    render_conf(Loaded(Dialplan.model_validate(BASE), tmp_path), SETTINGS, out)
    return [
        line
        for path in out.rglob("*.xml")
        for line in path.read_text(encoding="utf-8").splitlines()
        if "x-pre-process" in line.lower()
    ]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_no_payload_reaches_dialplan_action_data(payload: str, tmp_path: Path) -> None:
    files = render_files(Loaded(hostile(payload), tmp_path), SETTINGS)
    for name in ("dialplan/public.xml", "dialplan/default.xml"):
        for action in ET.fromstring(files[name]).iter("action"):
            data = action.get("data", "")
            if action.get("application") == "hangup":
                assert data == "${originate_disposition}"  # the template's own, and the only expansion
            else:
                assert "$" not in data, data
                assert "\\" not in data, data


def test_the_password_survives_escaping_exactly(tmp_path: Path) -> None:
    files = render_files(Loaded(Dialplan.model_validate(BASE), tmp_path), SETTINGS)
    esl = ET.fromstring(files["autoload_configs/event_socket.conf.xml"])
    password = next(p.get("value") for p in esl.iter("param") if p.get("name") == "password")
    assert password == SETTINGS.esl_password
    assert "$${" not in files["autoload_configs/event_socket.conf.xml"]


@pytest.mark.parametrize("payload", [*PAYLOADS, "2001 XML default", "1;2", "12 34"])
def test_hostile_numbers_are_refused(payload: str, tmp_path: Path) -> None:
    model = Dialplan.model_validate(BASE)
    as_did = model.model_copy(update={"dids": {payload: Did.model_construct(name="x", menu="main")}})
    as_queue = model.model_copy(
        update={"queues": {"sales": Queue.model_construct(name="Sales", extension=payload)}}
    )
    for plan in (as_did, as_queue):
        with pytest.raises(RenderError):
            render_files(Loaded(plan, tmp_path), SETTINGS)


@pytest.mark.parametrize("payload", [*PAYLOADS, "../../etc", "public/../x"])
def test_hostile_context_names_are_refused(payload: str, tmp_path: Path) -> None:
    model = Dialplan.model_validate(BASE)
    target = Transfer.model_construct(
        transfer=TransferTarget.model_construct(extension="2009", queue=None, context=payload)
    )
    menu = model.menus["main"].model_copy(update={"options": {"1": target}})
    plan = model.model_copy(update={"menus": {"main": menu}})
    with pytest.raises(RenderError):
        render_files(Loaded(plan, tmp_path), SETTINGS)


@pytest.mark.parametrize("field", ["app_host", "domain", "sip_ip"])
@pytest.mark.parametrize("payload", PAYLOADS)
def test_hostile_settings_are_refused(field: str, payload: str) -> None:
    kwargs: dict[str, Any] = {"esl_password": "secret-1", field: payload}
    with pytest.raises(ValueError):
        SwitchSettings(**kwargs)


def test_markup_cannot_be_smuggled_past_the_escaper() -> None:
    with pytest.raises(RenderError):
        xml_value(Markup("<X-PRE-PROCESS/>"))
    with pytest.raises(RenderError):
        xml_value("bell\x07")


AGENT_PASSWORDS = {"1001": "agent-password-0123456789"}


def with_agent(name: str, skills: dict[str, int], department: str | None = None) -> Dialplan:
    """BASE with one agent whose free text skipped the model's validation, as a careless caller could."""
    model = Dialplan.model_validate(BASE)
    agent = Agent.model_construct(name=name, extension="1001", skills=skills, department=department)
    return model.model_copy(update={"agents": {"1001": agent}})


def _expands_or_quotes(payload: str) -> bool:
    return any(ch in payload for ch in '$\\{}<>"\n')


@pytest.mark.parametrize("payload", PAYLOADS)
def test_agent_names_round_trip_or_are_refused(payload: str, tmp_path: Path) -> None:
    settings = SwitchSettings(esl_password="secret-1", agent_passwords=AGENT_PASSWORDS)
    clean = render_files(Loaded(with_agent("Ann", {"german": 5}, department="sales"), tmp_path), settings)
    if _expands_or_quotes(payload):
        with pytest.raises(RenderError, match="agent 1001's name"):
            render_files(Loaded(with_agent(payload, {"german": 5}), tmp_path), settings)
        with pytest.raises(RenderError, match="agent 1001's department"):
            render_files(Loaded(with_agent("Ann", {}, department=payload), tmp_path), settings)
        return
    dirty = render_files(Loaded(with_agent(payload, {"german": 5}, department=payload), tmp_path), settings)
    for name in clean:
        assert element_shape(ET.fromstring(dirty[name])) == element_shape(ET.fromstring(clean[name])), name
    user = next(ET.fromstring(dirty["directory/default.xml"]).iter("user"))
    variables = {v.attrib["name"]: v.attrib["value"] for v in user.iter("variable")}
    assert (variables["effective_caller_id_name"], variables["cc_department"]) == (payload, payload)
    route = next(
        e
        for e in ET.fromstring(dirty["dialplan/default.xml"]).iter("extension")
        if "1001" in e.attrib["name"]
    )
    assert route.attrib["cc_label"] == payload


@pytest.mark.parametrize("payload", PAYLOADS)
def test_agent_skills_never_reach_the_conf(payload: str, tmp_path: Path) -> None:
    settings = SwitchSettings(esl_password="secret-1", agent_passwords=AGENT_PASSWORDS)
    clean = render_files(Loaded(with_agent("Ann", {"german": 5}), tmp_path), settings)
    dirty = render_files(Loaded(with_agent("Ann", {payload: 5, "german": 5}), tmp_path), settings)
    assert dirty == clean  # skills are the ACD's business, read from the YAML: nothing of them is rendered


def test_the_dialplan_model_refuses_what_the_renderer_refuses() -> None:
    plan = copy.deepcopy(BASE)
    plan["agents"] = {"1001": {"name": "${system(id)}", "skills": {"<x/>": 3}}}
    with pytest.raises(ValidationError) as caught:
        Dialplan.model_validate(plan)
    assert {tuple(e["loc"]) for e in caught.value.errors()} == {
        ("agents", "1001", "name"),
        ("agents", "1001", "skills", "<x/>", "[key]"),
    }
