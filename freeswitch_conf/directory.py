"""The agents as SIP users of the directory domain, where their phones register on the agents profile.

Each agent's phone registers as `<extension>@<domain>` with the password `SwitchSettings.agent_passwords`
holds for the agent. The password is written in plain (`password`), not as an `a1-hash`: mod_sofia
computes the digest's HA1 from the realm the phone answers with (challenge-realm auto_from), so a
stored hash would bind every phone to one realm; and an HA1 is as good as the password for SIP digest,
so hashing it would protect nothing here. The directory files are written mode 0600 instead.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from dialplans.models import Dialplan
from freeswitch_conf.escaping import RenderError, dialable

MIN_AGENT_PASSWORD_LENGTH = 16
# Channel variables: FreeSWITCH expands `$`, `{`, `}` and `\` at run time, and names travel in quoted
# SIP display names. The dialplan model refuses these already; a model built without validation must not
# get them through either.
_VARIABLE_UNSAFE = re.compile(r'[$\\{}<>"\x00-\x1f\x7f]')


@dataclass(frozen=True)
class DirectoryUser:
    """One agent's SIP account: `extension` is the user id the phone registers with."""

    agent_id: str
    extension: str
    name: str
    department: str
    password: str

    def __repr__(self) -> str:  # never show the password in logs or test failures
        return f"DirectoryUser(agent_id={self.agent_id!r}, extension={self.extension!r})"


def check_agent_password(agent_id: str, password: str) -> None:
    """Refuse a password a phone could not type reliably or an attacker could guess."""
    if len(password) < MIN_AGENT_PASSWORD_LENGTH:
        raise RenderError(
            f"agent {agent_id}: the SIP password is shorter than {MIN_AGENT_PASSWORD_LENGTH} characters"
        )
    if any(ch.isspace() or not ch.isprintable() for ch in password):
        raise RenderError(f"agent {agent_id}: the SIP password holds whitespace or control characters")


def variable_value(what: str, value: str) -> str:
    """Free text for a directory `<variable>`: refused if FreeSWITCH could expand it or SIP could choke."""
    if _VARIABLE_UNSAFE.search(value):
        raise RenderError(
            f"{what} {value!r} holds $, braces, a backslash, quotes, < > or a control character"
        )
    return value


def directory_users(dialplan: Dialplan, passwords: Mapping[str, str]) -> list[DirectoryUser]:
    """Every agent of the dialplan as a directory user, by extension; RenderError if one cannot be."""
    users: dict[str, DirectoryUser] = {}
    for agent_id, agent in sorted(dialplan.agents.items()):
        password = passwords.get(agent_id)
        if password is None:
            raise RenderError(f"agent {agent_id} has no SIP password: its phone could never register")
        check_agent_password(agent_id, password)
        extension = dialable(agent.extension or agent_id)
        if extension in users:
            raise RenderError(
                f"agents {users[extension].agent_id} and {agent_id} share extension {extension}"
            )
        users[extension] = DirectoryUser(
            agent_id=variable_value("agent id", agent_id),
            extension=extension,
            name=variable_value(f"agent {agent_id}'s name", agent.name),
            department=variable_value(f"agent {agent_id}'s department", agent.department or ""),
            password=password,
        )
    return [users[extension] for extension in sorted(users)]
