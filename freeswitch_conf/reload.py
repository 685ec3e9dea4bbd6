"""The ESL `api` commands that apply a new rendering to a running FreeSWITCH without dropping calls.

`reloadxml` re-reads the whole XML registry; the dialplan and the directory are looked up from
it on every call and every registration, and the languages on every `say`, so YAML changes need
nothing else. `reloadacl` re-reads
acl.conf. `reload mod_sofia` is never used: unloading mod_sofia tears down every call. Changes
to the SIP profiles' addresses or ports, to modules, the core or the event socket need a restart
(or `sofia profile NAME restart`, which drops that profile's calls), so they are reported, not run.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from freeswitch_conf.render import AGENTS_PROFILE, CALLERS_PROFILE

RELOADXML = "reloadxml"
RELOADACL = "reloadacl"
_XML_ONLY = (
    "dialplan/",
    "directory/",
    "lang/",
    "vars.xml",
    "freeswitch.xml",
    "autoload_configs/timezones.conf.xml",
)


@dataclass(frozen=True)
class ReloadPlan:
    commands: tuple[str, ...]
    """ESL api commands, in order, safe on a switch carrying calls."""
    restart_needed: tuple[str, ...]
    """Changed files whose settings only a restart (or a call-dropping command) applies."""


def read_tree(conf_dir: Path) -> dict[str, str]:
    """A rendered conf directory as {relative path: text}; empty when it does not exist yet."""
    if not conf_dir.is_dir():
        return {}
    return {
        path.relative_to(conf_dir).as_posix(): path.read_text(encoding="utf-8")
        for path in sorted(conf_dir.rglob("*.xml"))
        if path.is_file()
    }


def changed_files(old: Mapping[str, str], new: Mapping[str, str]) -> set[str]:
    return {name for name in old.keys() | new.keys() if old.get(name) != new.get(name)}


def plan_reload(changed: Iterable[str]) -> ReloadPlan:
    commands: list[str] = []
    restart: list[str] = []
    for name in sorted(changed):
        if name.startswith(_XML_ONLY):
            _once(commands, RELOADXML)
        elif name == "autoload_configs/acl.conf.xml":
            _once(commands, RELOADXML)
            _once(commands, RELOADACL)
        elif name == "autoload_configs/local_stream.conf.xml":
            _once(commands, RELOADXML)
            # mod_local_stream's API is `local_stream <show|start|reload|stop|hup> <name>`; reload
            # re-reads local_stream.conf and relaunches the stream (a stream that never started,
            # its directory missing, answers "-ERR Cannot locate": `local_stream start moh`).
            _once(commands, "local_stream reload moh")
        elif name == "autoload_configs/sofia.conf.xml":
            _once(commands, RELOADXML)
            for profile in (CALLERS_PROFILE, AGENTS_PROFILE):
                _once(commands, f"sofia profile {profile} rescan")
            restart.append(name)
        else:
            restart.append(name)
    return ReloadPlan(commands=tuple(commands), restart_needed=tuple(restart))


def _once(commands: list[str], command: str) -> None:
    if command not in commands:
        commands.append(command)
