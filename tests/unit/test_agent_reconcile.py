"""The reconciler: stored agent statuses corrected from the switch's live channels."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from ivr_scripts.agent_reconcile import RECONCILED, LiveAgentChannel, reconcile
from ivr_scripts.agent_states import AgentState, AgentStatus, InMemoryStateLog, Outcome, Trigger, apply

S = AgentState
T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
NOW = T0 + dt.timedelta(minutes=10)
CALL_A = "6f1c2a9e-0d3b-4c41-9a55-1b2f3c4d5e6a"
CALL_B = "0a9b8c7d-6e5f-4a3b-8c2d-1e0f9a8b7c6d"
BRIDGED_A = LiveAgentChannel(call_uuid=CALL_A, bridged=True)
BRIDGED_B = LiveAgentChannel(call_uuid=CALL_B, bridged=True)
RINGING_A = LiveAgentChannel(call_uuid=CALL_A, bridged=False)


def stored(state: AgentState, agent_id: str = "1001", **overrides: Any) -> AgentStatus:
    fields: dict[str, Any] = {"agent_id": agent_id, "state": state, "since": T0, "consecutive_no_answers": 2}
    if state in (S.RESERVED, S.RINGING, S.ON_CALL, S.WRAP_UP):
        fields["call_uuid"] = CALL_A
    if state is S.WRAP_UP:
        fields["wrap_up_until"] = T0 + dt.timedelta(seconds=30)
    if state is S.ON_BREAK:
        fields["reason"] = "lunch"
    fields.update(overrides)
    return AgentStatus(**fields)


# (stored state, live channel, queue wrap-up) -> corrected (state, call), or None when the status stands.
RULES: list[tuple[AgentState, LiveAgentChannel | None, int, tuple[AgentState, str | None] | None]] = [
    (S.RESERVED, None, 30, (S.AVAILABLE, None)),
    (S.RINGING, None, 30, (S.AVAILABLE, None)),
    (S.ON_CALL, None, 30, (S.WRAP_UP, CALL_A)),
    (S.ON_CALL, None, 0, (S.AVAILABLE, None)),
    (S.ON_CALL, BRIDGED_A, 30, None),
    (S.ON_CALL, BRIDGED_B, 30, (S.ON_CALL, CALL_B)),
    (S.AVAILABLE, BRIDGED_B, 30, (S.ON_CALL, CALL_B)),
    (S.WRAP_UP, BRIDGED_B, 30, (S.ON_CALL, CALL_B)),
    (S.RESERVED, BRIDGED_A, 30, (S.ON_CALL, CALL_A)),
    (S.RINGING, BRIDGED_A, 30, (S.ON_CALL, CALL_A)),
    (S.LOGGED_OUT, BRIDGED_B, 30, (S.ON_CALL, CALL_B)),
    (S.ON_BREAK, BRIDGED_B, 30, (S.ON_CALL, CALL_B)),
    (S.LOGGED_OUT, None, 30, None),
    (S.ON_BREAK, None, 30, None),
    (S.AVAILABLE, None, 30, None),
    (S.WRAP_UP, None, 30, None),
    (S.RESERVED, RINGING_A, 30, None),
    (S.RINGING, RINGING_A, 30, None),
    (S.ON_CALL, RINGING_A, 30, None),
    (S.AVAILABLE, RINGING_A, 30, None),
    (S.ON_BREAK, RINGING_A, 30, None),
]


@pytest.mark.parametrize(("state", "channel", "wrap_up", "expected"), RULES, ids=str)
def test_rules(
    state: AgentState,
    channel: LiveAgentChannel | None,
    wrap_up: int,
    expected: tuple[AgentState, str | None] | None,
) -> None:
    before = stored(state)
    live = {} if channel is None else {"1001": channel}
    corrections = reconcile([before], live, NOW, wrap_up_seconds={"1001": wrap_up})
    if expected is None:
        assert corrections == []
        return
    [transition] = corrections
    after = transition.status
    assert (after.state, after.call_uuid) == expected
    assert (transition.trigger, transition.reason, transition.at) == (Trigger.FORCE, RECONCILED, NOW)
    assert (transition.from_state, transition.to_state, transition.outcome) == (
        state,
        after.state,
        Outcome.CHANGED,
    )
    assert after.since == NOW
    if after.state is S.WRAP_UP:
        assert after.wrap_up_until == NOW + dt.timedelta(seconds=wrap_up)
    # A lost offer is the restart's fault, not the agent's: the no-answer count is left as it was.
    assert after.consecutive_no_answers == 2


def test_server_restart_reconciles_a_snapshot() -> None:
    snapshot = [
        stored(S.ON_CALL, "1001"),  # call ended while the server was down
        stored(S.RINGING, "1002"),  # offer died with the server
        stored(S.AVAILABLE, "1003"),  # answered a call the server never saw bridged
        stored(S.ON_BREAK, "1004"),
        stored(S.ON_CALL, "1005", call_uuid=CALL_B),  # still talking
        stored(S.LOGGED_OUT, "1006"),
    ]
    live = {"1003": BRIDGED_A, "1005": BRIDGED_B}
    log = InMemoryStateLog()
    for transition in reconcile(snapshot, live, NOW, wrap_up_seconds={"1001": 20}):
        log.record(transition)
    assert [(t.agent_id, t.from_state, t.to_state) for t in log.transitions] == [
        ("1001", S.ON_CALL, S.WRAP_UP),
        ("1002", S.RINGING, S.AVAILABLE),
        ("1003", S.AVAILABLE, S.ON_CALL),
    ]
    # The restored agent then follows events as usual, and the dead offer's late events are stale.
    ringer = log.transitions[1].status
    assert apply(ringer, Trigger.NO_ANSWER, at=NOW, call_uuid=CALL_A).outcome is Outcome.STALE
    talker = log.transitions[2].status
    ended = apply(talker, Trigger.CALL_ENDED, at=NOW, call_uuid=CALL_A, wrap_up_seconds=0)
    assert ended.to_state is S.AVAILABLE


def test_reconcile_is_idempotent() -> None:
    snapshot = [stored(S.ON_CALL, "1001"), stored(S.RESERVED, "1002"), stored(S.AVAILABLE, "1003")]
    live = {"1003": BRIDGED_B}
    first = [t.status for t in reconcile(snapshot, live, NOW, wrap_up_seconds={"1001": 20})]
    assert reconcile(first, live, NOW + dt.timedelta(seconds=1), wrap_up_seconds={"1001": 20}) == []


def test_missing_wrap_up_means_zero() -> None:
    [transition] = reconcile([stored(S.ON_CALL)], {}, NOW)
    assert transition.to_state is S.AVAILABLE


def test_settle_leaves_fresh_statuses_alone() -> None:
    fresh = stored(S.RESERVED, "1001", since=NOW - dt.timedelta(seconds=2))
    old = stored(S.RESERVED, "1002", since=NOW - dt.timedelta(seconds=60))
    corrections = reconcile([fresh, old], {}, NOW, settle=dt.timedelta(seconds=10))
    assert [t.agent_id for t in corrections] == ["1002"]
    assert [t.agent_id for t in reconcile([fresh, old], {}, NOW)] == ["1001", "1002"]
