"""Which ESL commands apply a new rendering: reloadxml for YAML changes, never a call-dropping reload."""

from __future__ import annotations

from pathlib import Path

from dialplans.models import Dialplan
from freeswitch_conf.reload import RELOADACL, RELOADXML, changed_files, plan_reload, read_tree
from freeswitch_conf.render import SwitchSettings, render_conf, render_files
from tests.support.rendering import Loaded

PLAN = {
    "prompts": {"opts": {"text": "press 1"}},
    "menus": {"main": {"prompt": "opts", "options": {"1": {"hangup": {}}}, "fallback": {"hangup": {}}}},
    "dids": {"4001": {"menu": "main"}},
}
SETTINGS = SwitchSettings(esl_password="secret-1")


def test_a_new_did_needs_only_reloadxml(tmp_path: Path) -> None:
    out = tmp_path / "conf"
    render_conf(Loaded(Dialplan.model_validate(PLAN), tmp_path), SETTINGS, out)
    more = {**PLAN, "dids": {"4001": {"menu": "main"}, "4002": {"menu": "main"}}}
    new = render_files(Loaded(Dialplan.model_validate(more), tmp_path), SETTINGS, conf_dir=out)
    changed = changed_files(read_tree(out), new)
    assert changed == {"dialplan/public.xml"}
    plan = plan_reload(changed)
    assert plan.commands == (RELOADXML,)
    assert plan.restart_needed == ()


def test_nothing_changed_means_nothing_to_run(tmp_path: Path) -> None:
    out = tmp_path / "conf"
    loaded = Loaded(Dialplan.model_validate(PLAN), tmp_path)
    render_conf(loaded, SETTINGS, out)
    assert changed_files(read_tree(out), render_files(loaded, SETTINGS, conf_dir=out)) == set()
    assert plan_reload(set()).commands == ()


def test_acl_and_profiles_reload_in_place_and_core_changes_ask_for_a_restart() -> None:
    plan = plan_reload(
        {
            "autoload_configs/acl.conf.xml",
            "autoload_configs/sofia.conf.xml",
            "autoload_configs/event_socket.conf.xml",
            "autoload_configs/modules.conf.xml",
        }
    )
    assert plan.commands[0] == RELOADXML
    assert RELOADACL in plan.commands
    assert "sofia profile callers rescan" in plan.commands
    assert not any(
        command.startswith(("reload mod_", "unload", "sofia profile callers restart"))
        for command in plan.commands
    )
    assert set(plan.restart_needed) == {
        "autoload_configs/sofia.conf.xml",
        "autoload_configs/event_socket.conf.xml",
        "autoload_configs/modules.conf.xml",
    }


def test_first_render_compares_against_nothing(tmp_path: Path) -> None:
    assert read_tree(tmp_path / "missing") == {}


def test_a_changed_local_stream_is_reloaded_with_mod_local_streams_own_command() -> None:
    # mod_local_stream registers one API, `local_stream <show|start|reload|stop|hup> <name>`.
    plan = plan_reload({"autoload_configs/local_stream.conf.xml"})
    assert plan.commands == (RELOADXML, "local_stream reload moh")
    assert plan.restart_needed == ()
