"""The switch the Supervisor drives, answered from a script, and the call it knows."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ivr_scripts.switch import LiveChannel, Originated, SwitchError

LIVE_CALL = "5b0c9a52-0000-4000-8000-00000000000a"
AGENT_LEG = "5b0c9a52-0000-4000-8000-00000000000b"


@dataclass
class SupervisionSwitch:
    """The switch calls the Supervisor makes, answered from a script: the live channels, whether the
    supervisor's phone answers, and every command sent."""

    channels_now: list[LiveChannel] = field(default_factory=list)
    answers: bool = True
    fails: bool = False
    sent: list[tuple[Any, ...]] = field(default_factory=list)

    def channels(self) -> list[LiveChannel]:
        self._maybe_fail()
        return list(self.channels_now)

    def originate_application(
        self,
        endpoint: str,
        application: str,
        argument: str,
        *,
        caller_id_number: str,
        caller_id_name: str,
        timeout: float,
        variables: dict[str, str] | None = None,
    ) -> Originated:
        self._maybe_fail()
        leg = (variables or {}).get("origination_uuid")
        self.sent.append(("originate", endpoint, application, argument, dict(variables or {})))
        if self.answers:
            return Originated("answered", leg, "SUCCESS")
        return Originated("no_answer", None, "NO_ANSWER")

    def record(self, uuid: str, action: str, path: str) -> None:
        self._maybe_fail()
        self.sent.append(("uuid_record", uuid, action, path))

    def set_variable(self, uuid: str, name: str, value: str) -> None:
        self._maybe_fail()
        self.sent.append(("uuid_setvar", uuid, name, value))

    def close(self) -> None:
        self.sent.append(("close",))

    def _maybe_fail(self) -> None:
        if self.fails:
            raise SwitchError("no FreeSWITCH answers on 127.0.0.1:8021")
