"""The agent phone's SIPp scenarios and what the runner gives them: structure, fields, the registrar."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from importlib import resources
from pathlib import Path

import pytest

from dialplans.models import Dialplan
from freeswitch_conf.render import SwitchSettings, render_conf
from sipp_scenarios.agent_phone import AgentLogin, AgentOptions, AgentPhone, Registrar
from sipp_scenarios.runner import SmokeError, queue_path
from tests.support.rendering import Loaded
from tests.support.sipp_flows import flow, scenario

PLAN = Dialplan.model_validate(
    {
        "prompts": {"p": {"text": "press"}},
        "queues": {"sales": {"extension": "2001", "tiers": [{"agent": "1003"}]}},
        "agents": {"1003": {"name": "Chloe"}},
        "menus": {
            "main": {
                "prompt": "p",
                "options": {"2": {"menu": "more"}, "9": {"hangup": {}}},
                "fallback": {"hangup": {}},
            },
            "more": {
                "prompt": "p",
                "options": {"1": {"transfer": {"queue": "sales"}}},
                "fallback": {"hangup": {}},
            },
        },
        "dids": {"4001": {"menu": "main"}},
    }
)


def text_of(name: str) -> str:
    return resources.files("sipp_scenarios").joinpath(name).read_text(encoding="iso-8859-1")


def test_agent_registers_with_a_challenge_waits_then_unregisters() -> None:
    steps = [step for step in flow(scenario("agent.xml")) if not step.startswith(("nop", "pause"))]
    assert steps == [
        "> REGISTER",
        "< 100?",
        "< 401",
        "> REGISTER",
        "< 100?",
        "< 200",
        "> REGISTER",
        "< 100?",
        "< 200?",
        "< 401",
        "> REGISTER",
        "< 100?",
        "< 200",
    ]
    root = scenario("agent.xml")
    assert [r.get("auth") for r in root.iter("recv") if r.get("response") == "401"] == ["true", "true"]
    expires = [re.findall(r"Expires: (\d+)", send.text or "") for send in root.iter("send")]
    assert expires == [["3600"], ["3600"], ["0"], ["0"]]


def test_agent_authenticates_with_quoted_fields_and_names_its_injection_columns() -> None:
    text = text_of("agent.xml")
    # SIPp 3.6 reads a keyword inside [authentication ...] only when quoted.
    assert text.count('[authentication username="[field0]" password="[field2]"]') == 2
    assert {int(n) for n in re.findall(r"\[field(\d+)\]", text)} == {0, 1, 2}
    assert "From: <sip:[field0]@[field1]>" in text  # the domain is the realm under challenge-realm auto_from
    assert "REGISTER sip:[remote_ip]:[remote_port]" in text  # SIPp's digest uri is the remote address


def test_answer_scenario_rings_answers_and_ends_either_way() -> None:
    root = scenario("agent_answer.xml")
    messages = [step for step in flow(root) if step.startswith(("<", ">"))]
    assert messages[:4] == ["< INVITE", "> 180", "> 200", "< ACK"]
    assert "pause" in flow(root)  # the ring of ring_ms, 250 ms at a time
    bye_recvs = [r for r in root.iter("recv") if r.get("request") == "BYE"]
    assert len(bye_recvs) == 2
    assert bye_recvs[0].get("ontimeout") == "tick"
    assert any("BYE [$target]" in (s.text or "") for s in root.iter("send"))
    assert "[field" not in text_of("agent_answer.xml")  # out-of-call scenarios cannot read -inf files
    answer = next(s for s in root.iter("send") if "200 OK" in (s.text or "") and "m=audio" in (s.text or ""))
    assert "m=audio [media_port] RTP/AVP 0 101" in (answer.text or "")


def test_both_scenarios_share_the_call_done_flag() -> None:
    def globals_of(name: str) -> set[str]:
        element = scenario(name).find("Global")
        assert element is not None
        return set(element.get("variables", "").split(","))

    assert "call_done" in globals_of("agent.xml") & globals_of("agent_answer.xml")
    assert "hangup_after_ms" in globals_of("agent_answer.xml")


def test_no_answer_scenario_rings_and_succeeds_only_on_the_cancel() -> None:
    root = scenario("agent_no_answer.xml")
    assert flow(root)[:6] == ["< INVITE", "> 180", "< CANCEL", "> 200", "> 487", "< ACK"]
    assert [a.get("assign_to") for a in root.iter("assign")] == ["call_done"]
    assert not any(r.get("optional") for r in root.iter("recv"))  # a BYE or a lost CANCEL fails it
    terminated = next(s for s in root.iter("send") if "487" in (s.text or ""))
    assert "CSeq: [$invite_cseq] INVITE" in (terminated.text or "")  # the INVITE's, not the CANCEL's
    assert "[field" not in text_of("agent_no_answer.xml")
    element = root.find("Global")
    assert element is not None
    assert element.get("variables") == "call_done"


def test_a_phone_that_never_answers_runs_the_no_answer_scenario(tmp_path: Path) -> None:
    login = AgentLogin("1003", "callcenter.local", "s3cret-phone-password")
    registrar = Registrar("127.0.0.1", 5060, "callcenter.local")
    phone = AgentPhone(Path("/usr/bin/sipp"), login, registrar, tmp_path, AgentOptions(answers=False))
    command = phone._command
    assert command[command.index("-oocsf") + 1] == str(tmp_path / "agent_no_answer.xml")
    assert "hangup_after_ms" not in command  # SIPp refuses -set of a global the scenario lacks
    assert ET.parse(tmp_path / "agent_no_answer.xml").getroot().tag == "scenario"


@pytest.mark.parametrize(
    ("answers", "auto_answer", "check"),
    [(True, True, "check_it"), (False, False, "check_it_inverse"), (True, None, None)],
)
def test_the_phone_checks_the_invites_call_info_when_told(
    tmp_path: Path, answers: bool, auto_answer: bool | None, check: str | None
) -> None:
    login = AgentLogin("1003", "callcenter.local", "s3cret-phone-password")
    options = AgentOptions(answers=answers, auto_answer=auto_answer)
    phone = AgentPhone(Path("/usr/bin/sipp"), login, Registrar("127.0.0.1", 5060, "c.l"), tmp_path, options)
    scenario_file = phone._command[phone._command.index("-oocsf") + 1]
    invite = ET.parse(scenario_file).getroot().find("recv")
    assert invite is not None
    assert invite.get("request") == "INVITE"
    checks = [e for e in invite.iter("ereg") if e.get("header") == "Call-Info:"]
    if check is None:
        assert checks == []
        return
    [ereg] = checks
    assert (ereg.get("regexp"), ereg.get("search_in"), ereg.get(check)) == ("answer-after=0", "hdr", "true")


def test_registrar_is_read_from_the_rendered_agents_profile(tmp_path: Path) -> None:
    settings = SwitchSettings(
        esl_password="not-the-default",
        agent_sip_port=5077,
        domain="agents.example",
        agent_passwords={"1003": "a-very-long-phone-password"},
    )
    render_conf(Loaded(PLAN, tmp_path), settings, tmp_path / "conf")
    assert Registrar.from_conf(tmp_path / "conf") == Registrar("127.0.0.1", 5077, "agents.example")


def test_the_password_goes_to_a_private_injection_file_not_the_command_line(tmp_path: Path) -> None:
    login = AgentLogin("1003", "callcenter.local", "s3cret-phone-password")
    phone = AgentPhone(
        Path("/usr/bin/sipp"), login, Registrar("127.0.0.1", 5060, "callcenter.local"), tmp_path
    )
    command = phone._command
    assert "s3cret-phone-password" not in " ".join(command)
    assert "s3cret-phone-password" not in repr(login)
    credentials = tmp_path / "agent.csv"
    assert (
        credentials.read_text(encoding="utf-8").splitlines()[1]
        == "1003;callcenter.local;s3cret-phone-password"
    )
    assert credentials.stat().st_mode & 0o777 == 0o600
    assert command[command.index("-oocsf") + 1] == str(tmp_path / "agent_answer.xml")
    assert ET.parse(tmp_path / "agent.xml").getroot().tag == "scenario"


@pytest.mark.parametrize("password", ["with;semicolon", "with\nnewline", ""])
def test_values_that_would_break_the_injection_file_are_refused(password: str) -> None:
    with pytest.raises(ValueError, match="password"):
        AgentLogin("1003", "callcenter.local", password)


def test_queue_path_keys_the_shortest_way_into_the_queue() -> None:
    path = queue_path(PLAN, "sales")
    assert path.digits == ("2", "1")
    assert path.outcome == "queue:sales"
    with pytest.raises(SmokeError, match="nowhere"):
        queue_path(PLAN, "nowhere")
