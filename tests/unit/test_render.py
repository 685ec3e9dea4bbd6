"""The rendered FreeSWITCH conf directory: complete, loadable as FreeSWITCH reads it, and ours."""

from __future__ import annotations

import dataclasses
import os
import re
import stat
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from dialplans.models import Dialplan
from freeswitch_conf.check import assemble, check_conf
from freeswitch_conf.hold_music import hold_music_name
from freeswitch_conf.render import (
    BASE_MODULES,
    MARKER,
    MODULE_CONFIGS,
    RenderError,
    SwitchSettings,
    modules_for,
    render_conf,
    render_files,
)
from freeswitch_conf.settings import PARK_LEASE_SECONDS
from tests.support.rendering import Loaded

PASSWORD = "k3y-with.plenty_of:entropy"

# The example line of MISSION F1: repairs 1, claims 2, roadside 3, owners' club 5, complaints 6, agent 0.
EXAMPLE: dict[str, Any] = {
    "prompts": {name: {"text": f"text of {name}"} for name in ("hello", "options", "club", "hours", "bye")},
    "queues": {
        "repairs": {"name": "Repair appointments", "extension": "2001"},
        "claims": {"name": "Insurance claims", "extension": "2002"},
        "roadside": {"name": "Roadside rescue", "extension": "*2003"},
        "complaints": {"name": "Complaints", "extension": "2006"},
        "agents": {"name": "Any agent", "extension": "2000"},
    },
    "menus": {
        "main": {
            "greeting": "hello",
            "prompt": "options",
            "options": {
                "1": {"transfer": {"queue": "repairs"}},
                "2": {"transfer": {"queue": "claims"}},
                "3": {"transfer": {"queue": "roadside"}},
                "5": {"menu": "club"},
                "6": {"transfer": {"queue": "complaints"}},
                "0": {"transfer": {"queue": "agents"}},
            },
            "fallback": {"transfer": {"extension": "0"}},
        },
        "club": {
            "prompt": "club",
            "options": {
                "1": {"play": "hours"},
                "2": {"transfer": {"extension": "2105"}},
                "9": {"menu": "main"},
                "#": {"hangup": {"prompt": "bye"}},
            },
            "fallback": {"hangup": {"cause": "NO_ANSWER"}},
        },
    },
    "dids": {
        "+15551230001": {"name": "Dealership main line", "menu": "main"},
        "4001": {"name": "Owners' club", "menu": "club"},
    },
}


@pytest.fixture
def loaded(tmp_path: Path) -> Loaded:
    return Loaded(model=Dialplan.model_validate(EXAMPLE), sounds_dir=tmp_path / "sounds")


@pytest.fixture
def settings() -> SwitchSettings:
    return SwitchSettings(
        esl_password=PASSWORD, esl_port=8123, app_port=9084, caller_sip_port=5090, say_by="say"
    )


@pytest.fixture
def conf_dir(tmp_path: Path, loaded: Loaded, settings: SwitchSettings) -> Path:
    out = tmp_path / "conf"
    render_conf(loaded, settings, out)
    return out


def parse(conf_dir: Path, name: str) -> ET.Element:
    return ET.parse(conf_dir / name).getroot()


def params(element: ET.Element) -> dict[str, str]:
    return {p.attrib["name"]: p.attrib["value"] for p in element.iter("param")}


def extension(conf_dir: Path, file: str, name: str) -> ET.Element:
    found = [e for e in parse(conf_dir, file).iter("extension") if e.get("name") == name]
    assert len(found) == 1, (
        f"{name} in {file}: {[e.get('name') for e in parse(conf_dir, file).iter('extension')]}"
    )
    return found[0]


def actions(ext: ET.Element) -> list[tuple[str, str]]:
    return [(a.attrib["application"], a.get("data", "")) for a in ext.iter("action")]


def test_every_rendered_file_is_well_formed_xml(conf_dir: Path) -> None:
    files = sorted(p for p in conf_dir.rglob("*") if p.is_file())
    assert len(files) >= 15
    assert [p.name for p in files if p.suffix != ".xml"] == [MARKER, hold_music_name()]
    for path in files:
        if path.suffix == ".xml":
            ET.parse(path)


def test_the_assembled_document_has_what_freeswitch_looks_up(conf_dir: Path) -> None:
    root = check_conf(conf_dir)
    configurations = {c.get("name") for c in root.iter("configuration")}
    assert {"switch.conf", "modules.conf", "acl.conf", "event_socket.conf", "sofia.conf"} <= configurations
    assert {c.get("name") for c in root.iter("context")} == {"public", "default", "cc_fallback"}
    assert [d.get("name") for d in root.iter("domain")] == ["callcenter.local"]


def test_lines_respect_the_preprocessor(conf_dir: Path) -> None:
    """FreeSWITCH drops whole lines with `<?`, `<include>` or a misplaced X-PRE-PROCESS mention."""
    for path in conf_dir.rglob("*.xml"):
        for line in path.read_text(encoding="utf-8").splitlines():
            stripped = line.strip()
            if "<?" in line:
                assert stripped == '<?xml version="1.0"?>', path
            if "<include>" in line or "</include>" in line:
                assert stripped in ("<include>", "</include>"), path
            if "x-pre-process" in line.lower():
                assert re.fullmatch(r'<X-PRE-PROCESS cmd="(set|include)" data="[^"<>&$]*"/>', stripped), line


def test_modules_are_ours_and_each_has_its_configuration(conf_dir: Path, settings: SwitchSettings) -> None:
    loaded_modules = [
        m.attrib["module"] for m in parse(conf_dir, "autoload_configs/modules.conf.xml").iter("load")
    ]
    assert loaded_modules == [*BASE_MODULES, "mod_flite"] == list(modules_for(settings))
    assert "mod_g711" not in loaded_modules  # G.711 lives in the core
    rendered = {
        parse(conf_dir, f"autoload_configs/{p.name}").get("name")
        for p in (conf_dir / "autoload_configs").iterdir()
    }
    for module in loaded_modules:
        if module in MODULE_CONFIGS:
            assert MODULE_CONFIGS[module] in rendered, module


def test_local_stream_has_a_directory_or_the_module_would_not_load(conf_dir: Path) -> None:
    directories = list(parse(conf_dir, "autoload_configs/local_stream.conf.xml").iter("directory"))
    # Our own music, in the conf directory (tests/unit/test_render_hold_music.py has the rest).
    assert [(d.get("name"), d.get("path")) for d in directories] == [("moh", str(conf_dir / "sounds/moh"))]


def test_tts_is_optional(loaded: Loaded) -> None:
    files = render_files(loaded, SwitchSettings(esl_password=PASSWORD, tts_engine=None))
    modules = [
        m.attrib["module"] for m in ET.fromstring(files["autoload_configs/modules.conf.xml"]).iter("load")
    ]
    assert modules == list(BASE_MODULES)
    assert "tts_engine" not in files["vars.xml"]


def test_tts_engine_adds_its_module(tmp_path: Path, loaded: Loaded) -> None:
    settings = SwitchSettings(esl_password=PASSWORD, tts_engine="flite", tts_voice="kal")
    files = render_files(loaded, settings)
    modules = [
        m.attrib["module"] for m in ET.fromstring(files["autoload_configs/modules.conf.xml"]).iter("load")
    ]
    assert modules[-1] == "mod_flite"
    assert 'data="tts_engine=flite"' in files["vars.xml"]
    assert 'data="tts_voice=kal"' in files["vars.xml"]


def test_event_socket_listens_on_loopback_only_with_our_password(conf_dir: Path) -> None:
    esl = params(parse(conf_dir, "autoload_configs/event_socket.conf.xml"))
    assert esl["listen-ip"] == "127.0.0.1"
    assert esl["listen-port"] == "8123"
    assert esl["password"] == PASSWORD
    acl_lists = {
        lst.get("name"): lst for lst in parse(conf_dir, "autoload_configs/acl.conf.xml").iter("list")
    }
    acl = acl_lists[esl["apply-inbound-acl"]]
    assert acl.get("default") == "deny"
    assert {(n.get("type"), n.get("cidr")) for n in acl.iter("node")} == {
        ("allow", "127.0.0.0/8"),
        ("allow", "::1/128"),
    }


def test_event_socket_conf_is_private_and_the_rest_readable(conf_dir: Path) -> None:
    def mode(name: str) -> int:
        return stat.S_IMODE((conf_dir / name).stat().st_mode)

    assert mode("autoload_configs/event_socket.conf.xml") == 0o600
    assert mode("dialplan/public.xml") == 0o640
    assert PASSWORD not in "".join(
        p.read_text(encoding="utf-8") for p in conf_dir.rglob("*.xml") if p.name != "event_socket.conf.xml"
    )


def test_did_extension_hands_the_call_to_the_app_then_falls_back(conf_dir: Path) -> None:
    ext = extension(conf_dir, "dialplan/public.xml", "did-+15551230001")
    assert ext.get("cc_label") == "Dealership main line"
    condition = ext.find("condition")
    assert condition is not None
    assert condition.get("field") == "destination_number"
    assert condition.get("expression") == r"^\+15551230001$"
    assert actions(ext) == [
        ("multiset", "cc_did=+15551230001 playback_terminators=none cc_say_by=say cc_fallback=main"),
        ("socket", "127.0.0.1:9084 async full"),
        ("transfer", "main XML cc_fallback"),
    ]


def test_parked_did_sets_its_lease_then_parks(
    tmp_path: Path, loaded: Loaded, settings: SwitchSettings
) -> None:
    parked = dataclasses.replace(settings, call_control="park")
    out = tmp_path / "parked"
    render_conf(loaded, parked, out)
    ext = extension(out, "dialplan/public.xml", "did-+15551230001")
    assert actions(ext) == [
        (
            "multiset",
            "cc_did=+15551230001 playback_terminators=none cc_say_by=say cc_control=park cc_fallback=main",
        ),
        ("sched_transfer", f"+{PARK_LEASE_SECONDS} main XML cc_fallback"),
        ("park", ""),
    ]
    assert "socket" not in (out / "dialplan/public.xml").read_text(encoding="utf-8")


def test_did_regex_matches_only_its_number(conf_dir: Path) -> None:
    for ext in parse(conf_dir, "dialplan/public.xml").iter("extension"):
        condition = ext.find("condition")
        assert condition is not None
        regex = re.compile(condition.attrib["expression"])
        number = ext.attrib["name"].removeprefix("did-")
        assert regex.match(number)
        others = {"9" + number, number + "9", "x" + number, number.lstrip("+"), "+" + number.lstrip("+")}
        for other in others - {number}:
            assert not regex.match(other), (regex.pattern, other)


def test_queues_and_targets_ring_the_agent_and_end_with_the_bridge_cause(conf_dir: Path) -> None:
    default = parse(conf_dir, "dialplan/default.xml")
    names = [e.get("name") for e in default.iter("extension")]
    assert names == [
        "queue-agents",
        "queue-claims",
        "queue-complaints",
        "queue-repairs",
        "queue-roadside",
        "extension-0",
        "extension-2105",
    ]
    roadside = extension(conf_dir, "dialplan/default.xml", "queue-roadside")
    condition = roadside.find("condition")
    assert condition is not None
    assert condition.get("expression") == r"^\*2003$"
    assert actions(roadside) == [
        ("set", "cc_queue=roadside"),
        ("set", "call_timeout=30"),
        ("set", "hangup_after_bridge=true"),
        ("set", "continue_on_fail=true"),
        ("bridge", "user/*2003@callcenter.local"),
        ("hangup", "${originate_disposition}"),
    ]


def test_caller_networks_restrict_the_public_profile(loaded: Loaded) -> None:
    open_files = render_files(loaded, SwitchSettings(esl_password=PASSWORD))
    open_callers = next(
        p for p in ET.fromstring(open_files["autoload_configs/sofia.conf.xml"]).iter("profile")
    )
    assert "apply-inbound-acl" not in params(open_callers)
    settings = SwitchSettings(esl_password=PASSWORD, caller_networks=("192.0.2.0/24", "2001:db8::/32"))
    files = render_files(loaded, settings)
    callers = next(p for p in ET.fromstring(files["autoload_configs/sofia.conf.xml"]).iter("profile"))
    acl_name = params(callers)["apply-inbound-acl"]
    lists = {
        lst.get("name"): lst for lst in ET.fromstring(files["autoload_configs/acl.conf.xml"]).iter("list")
    }
    assert lists[acl_name].get("default") == "deny"
    assert [n.get("cidr") for n in lists[acl_name].iter("node")] == ["192.0.2.0/24", "2001:db8::/32"]
    with pytest.raises(ValueError, match="caller_networks"):
        SwitchSettings(esl_password=PASSWORD, caller_networks=("everyone",))


def test_profiles_carry_the_settings(conf_dir: Path) -> None:
    profiles = {
        p.get("name"): params(p) for p in parse(conf_dir, "autoload_configs/sofia.conf.xml").iter("profile")
    }
    callers, agents = profiles["callers"], profiles["agents"]
    assert (callers["context"], callers["sip-port"], callers["auth-calls"]) == ("public", "5090", "false")
    assert (agents["context"], agents["sip-port"], agents["auth-calls"]) == ("default", "5060", "true")
    assert agents["force-register-domain"] == "callcenter.local"
    assert callers["sip-ip"] == agents["sip-ip"] == "127.0.0.1"
    core = params(parse(conf_dir, "autoload_configs/switch.conf.xml"))
    assert (core["rtp-start-port"], core["rtp-end-port"]) == ("16384", "32768")
    assert core["rtp-port-usage-robustness"] == "true"


def test_vars_reach_the_preprocessor_raw(conf_dir: Path, loaded: Loaded) -> None:
    assembled = assemble(conf_dir)
    assert assembled.global_vars["cc_domain"] == "callcenter.local"
    assert assembled.global_vars["sound_prefix"] == str(loaded.sounds_dir)
    assert "esl_password" not in " ".join(assembled.global_vars)


def test_directory_has_the_domain_and_no_users_yet(conf_dir: Path) -> None:
    domain = parse(conf_dir, "directory/default.xml").find("domain")
    assert domain is not None
    assert domain.get("name") == "callcenter.local"
    assert [g.get("name") for g in domain.iter("group")] == ["agents"]
    assert list(domain.iter("user")) == []


def test_render_replaces_the_whole_directory(
    tmp_path: Path, loaded: Loaded, settings: SwitchSettings
) -> None:
    out = tmp_path / "conf"
    first = render_conf(loaded, settings, out)
    (out / "dialplan" / "stale.xml").write_text("<include/>", encoding="utf-8")
    changed = SwitchSettings(esl_password=PASSWORD, app_port=7000)
    second = render_conf(loaded, changed, out)
    assert sorted(first) == sorted(second)
    assert all(path.is_file() for path in second)
    assert not (out / "dialplan" / "stale.xml").exists()
    assert "127.0.0.1:7000 async full" in (out / "dialplan" / "public.xml").read_text(encoding="utf-8")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["conf"]  # no staging or old trees left behind
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o750


def test_render_never_replaces_a_directory_it_did_not_write(
    tmp_path: Path, loaded: Loaded, settings: SwitchSettings
) -> None:
    precious = tmp_path / "home"
    precious.mkdir()
    (precious / "notes.txt").write_text("keep me", encoding="utf-8")
    with pytest.raises(RenderError, match="refusing to replace"):
        render_conf(loaded, settings, precious)
    assert (precious / "notes.txt").read_text(encoding="utf-8") == "keep me"
    empty = tmp_path / "empty"
    empty.mkdir()
    assert render_conf(loaded, settings, empty)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("esl_password", ""),
        ("esl_password", "ClueCon"),
        ("esl_password", "cluecon"),
        ("esl_password", "two words"),
        ("esl_host", "0.0.0.0"),
        ("esl_host", "10.0.0.5"),
        ("domain", "bad domain"),
        ("app_host", "host;rm"),
        ("sounds_dir", Path("relative/sounds")),
        ("recordings_dir", Path("/with space/rec")),
        ("tts_engine", "espeak"),
        ("caller_sip_port", 5060),
        ("rtp_end", 100),
        ("call_control", "outbound"),
    ],
)
def test_settings_refuse_unsafe_values(field: str, value: object) -> None:
    kwargs: dict[str, Any] = {"esl_password": PASSWORD, field: value}
    with pytest.raises(ValueError, match=r"."):
        SwitchSettings(**kwargs)


def test_the_example_dialplan_renders_when_present(tmp_path: Path, settings: SwitchSettings) -> None:
    loader = pytest.importorskip("dialplans.loader")
    example = Path(__file__).resolve().parents[2] / "dialplans" / "main.yaml"
    if not example.is_file():
        pytest.skip("dialplans/main.yaml is not in the tree yet")
    loaded = loader.load_dialplan(example)
    passwords = {agent_id: f"generated-password-{agent_id}" for agent_id in loaded.model.agents}
    out = tmp_path / "conf"
    render_conf(loaded, dataclasses.replace(settings, agent_passwords=passwords), out)
    check_conf(out)
    # Agents' phones carry passwords; voicemail boxes (their own group) are users that cannot register.
    [agents] = [g for g in parse(out, "directory/default.xml").iter("group") if g.get("name") == "agents"]
    users = {u.get("id"): params(u)["password"] for u in agents.iter("user")}
    assert users == {agent.extension: passwords[agent_id] for agent_id, agent in loaded.model.agents.items()}
    public = {e.get("name") for e in parse(out, "dialplan/public.xml").iter("extension")}
    assert public == {f"did-{number}" for number in loaded.model.dids}
    default = [c.attrib["expression"] for c in parse(out, "dialplan/default.xml").iter("condition")]
    for queue in loaded.model.queues.values():
        assert any(re.match(regex, queue.extension) for regex in default), queue


def test_agents_profile_handles_remote_phones_behind_nat(loaded: Loaded) -> None:
    def agents_profile(settings: SwitchSettings) -> dict[str, str]:
        sofia = ET.fromstring(render_files(loaded, settings)["autoload_configs/sofia.conf.xml"])
        return next(params(p) for p in sofia.iter("profile") if p.get("name") == "agents")

    local = agents_profile(SwitchSettings(esl_password=PASSWORD))
    assert local["apply-nat-acl"] == "nat.auto"
    assert local["NDLB-received-in-nat-reg-contact"] == "true"
    assert "ext-sip-ip" not in local
    assert "ext-rtp-ip" not in local
    public = agents_profile(SwitchSettings(esl_password=PASSWORD, agent_external_ip="203.0.113.7"))
    assert public["ext-sip-ip"] == public["ext-rtp-ip"] == "203.0.113.7"
    assert (
        agents_profile(SwitchSettings(esl_password=PASSWORD, agent_external_ip="auto-nat"))["ext-rtp-ip"]
        == "auto-nat"
    )
    for bad in ("$${external_rtp_ip}", "1.2.3.4 evil", "<x/>"):
        with pytest.raises(ValueError, match="agent_external_ip"):
            SwitchSettings(esl_password=PASSWORD, agent_external_ip=bad)
