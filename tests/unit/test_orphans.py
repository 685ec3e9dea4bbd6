"""esl_handlers.orphans: which calls a dead worker left, and how they are sent to their fallback."""

from __future__ import annotations

from typing import Literal

from esl_handlers.orphans import orphaned_calls, release_orphans
from ivr_scripts.switch import SwitchError


def channel(uuid: str, *, context: str = "public", direction: str = "inbound") -> dict[str, str]:
    return {"uuid": uuid, "context": context, "direction": direction, "callstate": "ACTIVE"}


def test_only_unbridged_inbound_calls_in_the_did_context_are_orphans() -> None:
    channels = [
        channel("in-menu"),
        channel("at-fallback", context="cc_fallback"),
        channel("agent-leg", direction="outbound", context="default"),
        channel("talking"),
        channel("agent-of-talking", direction="outbound"),
    ]
    calls = [{"uuid": "talking", "b_uuid": "agent-of-talking"}, {"uuid": "in-menu", "b_uuid": ""}]
    assert orphaned_calls(channels, calls) == ["in-menu"]


class Switch:
    """FreeSWITCH as release_orphans sees it: a transfer moves the call to cc_fallback."""

    def __init__(self, channels: list[dict[str, str]], fallbacks: dict[str, str]) -> None:
        self.channels = channels
        self.fallbacks = fallbacks
        self.transfers: list[tuple[str, str, str]] = []
        self.cancelled: list[str] = []
        self.failing: set[str] = set()

    def show(self, what: Literal["channels", "calls"]) -> list[dict[str, str]]:
        return [dict(row) for row in self.channels] if what == "channels" else []

    def variable(self, uuid: str, name: str) -> str | None:
        assert name == "cc_fallback"
        if uuid in self.failing:
            raise SwitchError("connection lost")
        return self.fallbacks.get(uuid)

    def cancel_scheduled(self, uuid: str) -> None:
        self.cancelled.append(uuid)

    def transfer(self, uuid: str, extension: str, context: str) -> bool:
        assert self.cancelled[-1] == uuid, "the lease is cancelled before the transfer"
        self.transfers.append((uuid, extension, context))
        for row in self.channels:
            if row["uuid"] == uuid:
                row["context"] = context
        return True


def test_each_orphan_goes_to_its_own_fallback_once() -> None:
    switch = Switch([channel("a"), channel("b"), channel("c")], {"a": "4002", "b": "main", "c": "main"})
    pauses: list[float] = []
    released = release_orphans(switch, sleep=pauses.append)
    assert released == {"a", "b", "c"}
    assert switch.transfers == [
        ("a", "4002", "cc_fallback"),
        ("b", "main", "cc_fallback"),
        ("c", "main", "cc_fallback"),
    ]
    assert len(pauses) == 1  # the second look found nobody left


def test_a_call_without_a_fallback_or_an_error_is_left_and_the_rest_go_on() -> None:
    switch = Switch([channel("old-conf"), channel("lost"), channel("ok")], {"ok": "main"})
    switch.failing.add("lost")
    released = release_orphans(switch, rounds=3, sleep=lambda _: None)
    assert released == {"ok"}
    assert [t[0] for t in switch.transfers] == ["ok"]
