"""The packaged SIPp scenarios: well-formed, and the SIP message flow each one promises."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from importlib import resources
from pathlib import Path

import pytest

from dialplans.models import Dialplan
from sipp_scenarios.generate import menu_paths, write_paths_csv
from sipp_scenarios.runner import SmokeOptions, SmokeReport, plan_calls
from sipp_scenarios.sipp_run import ScenarioResult
from tests.support.sipp_flows import flow, scenario

SCENARIOS = (
    "caller.xml",
    "caller_abandon.xml",
    "caller_hangup.xml",
    "load.xml",
    "caller_declined.xml",
    "caller_late_keys.xml",
)


def sdp_of(root: ET.Element) -> str:
    invite = next(e for e in root.iter("send") if "INVITE sip:" in (e.text or ""))
    return (invite.text or "").split("\n\n", 2)[-1]


@pytest.mark.parametrize("name", SCENARIOS)
def test_scenarios_parse_and_ship_with_the_package(name: str) -> None:
    root = scenario(name)
    assert root.tag == "scenario"
    assert root.get("name")


def test_caller_dials_keys_and_waits_for_the_switch_to_hang_up() -> None:
    assert flow(scenario("caller.xml")) == [
        "> INVITE",
        "< 100?",
        "< 180?",
        "< 183?",
        "< 200",
        "> ACK",
        "pause",
        "nop play_pcap_audio=dtmf.pcap",
        "< BYE",
        "> 200",
    ]


def test_caller_late_keys_plays_a_second_capture_after_the_pause() -> None:
    root = scenario("caller_late_keys.xml")
    assert flow(root) == [
        "> INVITE",
        "< 100?",
        "< 180?",
        "< 183?",
        "< 200",
        "> ACK",
        "pause",
        "nop play_pcap_audio=dtmf.pcap",
        "pause",
        "nop play_pcap_audio=late.pcap",
        "< BYE",
        "> 200",
    ]
    assert list(root.iter("pause"))[1].attrib == {}  # the length comes from -d


def test_caller_hangup_hangs_up_after_the_pause() -> None:
    root = scenario("caller_hangup.xml")
    assert flow(root) == [
        "> INVITE",
        "< 100?",
        "< 180?",
        "< 183?",
        "< 200",
        "> ACK",
        "pause",
        "> BYE",
        "< 200",
    ]
    pause = next(root.iter("pause"))
    assert pause.attrib == {}  # the length comes from -d


def test_caller_abandon_keys_then_hangs_up_after_the_pause() -> None:
    root = scenario("caller_abandon.xml")
    assert flow(root) == [
        "> INVITE",
        "< 100?",
        "< 180?",
        "< 183?",
        "< 200",
        "> ACK",
        "pause",
        "nop play_pcap_audio=dtmf.pcap",
        "pause",
        "> BYE",
        "< 200",
    ]
    assert list(root.iter("pause"))[1].attrib == {}  # the length comes from -d


def test_caller_declined_expects_603_and_acks_it_in_the_invite_transaction() -> None:
    root = scenario("caller_declined.xml")
    assert flow(root) == ["> INVITE", "< 100?", "< 180?", "< 183?", "< 603", "> ACK"]
    ack = [e.text or "" for e in root.iter("send")][-1]
    assert "[last_Via:]" in ack  # the INVITE's branch: a non-2xx ACK is part of its transaction
    assert "CSeq: 1 ACK" in ack


def test_load_holds_each_call_then_hangs_up() -> None:
    root = scenario("load.xml")
    assert flow(root) == [
        "> INVITE",
        "< 100?",
        "< 180?",
        "< 183?",
        "< 200",
        "> ACK",
        "pause",
        "> BYE",
        "< 200",
    ]


@pytest.mark.parametrize("name", SCENARIOS)
def test_every_call_offers_pcmu_and_rfc2833_on_sipps_media_port(name: str) -> None:
    sdp = sdp_of(scenario(name))
    assert "m=audio [media_port] RTP/AVP 0 101" in sdp
    assert "a=rtpmap:101 telephone-event/8000" in sdp
    assert "c=IN IP[media_ip_type] [media_ip]" in sdp


def test_caller_reads_the_fields_the_generator_writes(tmp_path: Path) -> None:
    text = resources.files("sipp_scenarios").joinpath("caller.xml").read_text(encoding="iso-8859-1")
    used = {int(n) for n in re.findall(r"\[field(\d+)\]", text)}
    plan = Dialplan.model_validate(
        {
            "prompts": {"p": {"text": "press 1"}},
            "menus": {"m": {"prompt": "p", "options": {"1": {"hangup": {}}}, "fallback": {"hangup": {}}}},
            "dids": {"+15551230001": {"menu": "m"}},
        }
    )
    rows = write_paths_csv(menu_paths(plan), tmp_path / "paths.csv").read_text(encoding="utf-8").splitlines()
    fields = rows[1].split(";")
    assert max(used) < len(fields)
    assert fields[0] == "+15551230001"  # field0 is the Request-URI user: the DID
    invite = next(line for line in text.splitlines() if "INVITE sip:" in line)
    assert "INVITE sip:[field0]@[remote_ip]:[remote_port]" in invite


def test_the_smoke_plan_plays_every_path_then_hangups_and_load() -> None:
    plan = Dialplan.model_validate(
        {
            "prompts": {"p": {"text": "press"}},
            "queues": {"q": {"extension": "2001"}},
            "menus": {
                "m": {
                    "prompt": "p",
                    "options": {"1": {"transfer": {"queue": "q"}}, "2": {"hangup": {}}},
                    "fallback": {"hangup": {}},
                }
            },
            "dids": {"4001": {"menu": "m"}, "4002": {"menu": "m"}},
        }
    )
    calls = plan_calls(plan, SmokeOptions(load_calls=3))
    assert [c.scenario for c in calls] == ["caller.xml"] * 4 + ["caller_hangup.xml"] * 2 + ["load.xml"]
    first = calls[0]
    assert first.keys == ("1",)
    assert first.csv_rows[0][:3] == ("4001", "+15550000100", "1")
    assert calls[-1].expected_calls == 3
    assert calls[-1].args[:2] == ("-s", "4001")
    assert [c.keys for c in plan_calls(plan, SmokeOptions(max_paths=1, load_calls=0))] == [("1",), None, None]


def test_a_report_is_ok_only_when_every_scenario_completed_all_its_calls(tmp_path: Path) -> None:
    def result(returncode: int, successful: int, failed: int) -> ScenarioResult:
        return ScenarioResult("s", ("sipp",), returncode, successful, failed, 2, "boom", tmp_path)

    assert SmokeReport(results=[result(0, 2, 0)]).ok
    assert not SmokeReport(results=[]).ok
    assert not SmokeReport(results=[result(0, 2, 0), result(1, 1, 1)]).ok
    assert not SmokeReport(results=[result(0, 1, 0)]).ok  # a call that never ran is not a pass
    text = str(SmokeReport(results=[result(1, 1, 1)], notes=["no app server"]))
    assert "0/1 scenarios passed" in text
    assert "FAIL" in text
    assert "boom" in text
    assert "no app server" in text
