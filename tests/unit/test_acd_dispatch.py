"""Dispatch decisions in hand-built scenarios: strategies, tiers, skills, sticky and priority routing."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from ivr_scripts.acd import (
    AgentView,
    DispatchBoard,
    DispatchError,
    Offer,
    QueueRules,
    Strategy,
    Tier,
    UnknownAgent,
    UnknownCall,
    UnknownQueue,
    WaitingCall,
)
from tests.support.unchecked import unchecked


def uuid(n: int) -> str:
    return f"00000000-0000-0000-0000-{n:012d}"


def agent(
    agent_id: str,
    *,
    idle_since: float = 0.0,
    calls: int = 0,
    talk: float = 0.0,
    skills: Mapping[str, int] | None = None,
    available: bool = True,
) -> AgentView:
    return AgentView(agent_id, available, idle_since, calls, talk, skills or {})


def board_for(
    strategy: Strategy,
    agents: list[AgentView],
    tiers: list[Tier] | None = None,
    required: Mapping[str, int] | None = None,
    queue: str = "sales",
) -> DispatchBoard:
    board = DispatchBoard()
    for view in agents:
        board.set_agent(view)
    if tiers is None:
        tiers = [Tier(view.agent_id, 1, position) for position, view in enumerate(agents, start=1)]
    board.set_queue(QueueRules(queue, strategy, tuple(tiers), required or {}))
    return board


def call(n: int, queue: str = "sales", **fields: Any) -> WaitingCall:
    return WaitingCall(uuid(n), queue, **fields)


def picked(board: DispatchBoard, waiting: WaitingCall) -> tuple[str, ...]:
    board.add_call(waiting)
    offer = board.offer_for_call(waiting.call_uuid)
    assert offer is not None
    return offer.agent_ids


# -- strategies ---------------------------------------------------------------------------------------


def test_longest_idle_picks_the_agent_free_the_longest() -> None:
    board = board_for("longest-idle", [agent("a", idle_since=100), agent("b", idle_since=50), agent("c")])
    board.agent_unavailable("c")
    assert picked(board, call(1)) == ("b",)


def test_fewest_calls_then_longest_idle() -> None:
    agents = [agent("a", calls=5), agent("b", calls=2, idle_since=90), agent("c", calls=2, idle_since=80)]
    assert picked(board_for("fewest-calls", agents), call(1)) == ("c",)


def test_least_talk_time_uses_recorded_calls() -> None:
    board = board_for("least-talk-time", [agent("a", talk=100), agent("b", talk=40)])
    board.record_call("b", 90)
    assert board.agent("b").calls_answered == 1
    assert picked(board, call(1)) == ("a",)


def test_top_down_follows_position_and_skips_busy_agents() -> None:
    agents = [agent("a"), agent("b"), agent("c")]
    board = board_for("top-down", agents, [Tier("a", 1, 3), Tier("b", 1, 1), Tier("c", 1, 2)])
    assert picked(board, call(1)) == ("b",)
    board.agent_unavailable("b")
    assert board.offer_for_call(uuid(1)) == Offer(uuid(1), "sales", ("c",))


def test_round_robin_moves_past_the_last_assigned_agent_and_wraps() -> None:
    board = board_for("round-robin", [agent("a"), agent("b"), agent("c")])
    order = []
    for n in range(1, 5):
        chosen = picked(board, call(n))[0]
        order.append(chosen)
        board.assigned(uuid(n), chosen)
        board.agent_available(chosen)
    assert order == ["a", "b", "c", "a"]
    assert board.round_robin_pointer("sales") == (1, "a")


def test_round_robin_skips_unavailable_agent_after_pointer() -> None:
    board = board_for("round-robin", [agent("a"), agent("b"), agent("c")])
    assert picked(board, call(1)) == ("a",)
    board.assigned(uuid(1), "a")
    board.agent_unavailable("b")
    assert picked(board, call(2)) == ("c",)


def test_ring_all_offers_every_eligible_agent_by_level_then_position() -> None:
    agents = [agent("a"), agent("b"), agent("c", skills={"en": 1}), agent("d"), agent("e", available=False)]
    tiers = [Tier("a", 2, 1), Tier("b", 1, 2), Tier("c", 1, 1), Tier("d", 1, 3), Tier("e", 1, 4)]
    board = board_for("ring-all", agents, tiers)
    assert picked(board, call(1)) == ("c", "b", "d", "a")
    assert picked(board, call(2, extra_skills={"en": 1})) == ("c",)


def test_skills_based_prefers_the_highest_sum_then_longest_idle() -> None:
    agents = [
        agent("a", skills={"en": 3, "billing": 2}, idle_since=10),
        agent("b", skills={"en": 5, "billing": 1}, idle_since=20),
        agent("c", skills={"en": 4, "billing": 2}, idle_since=5),
        agent("d", skills={"en": 9}),
    ]
    board = board_for("skills-based", agents, required={"en": 1})
    assert picked(board, call(1)) == ("d",)
    # the call's own skill joins the sum and the filter: d lacks billing; b (6) ties c (6), c idle longer
    assert picked(board, call(2, extra_skills={"billing": 1})) == ("c",)


# -- tiers and skills -----------------------------------------------------------------------------------


def test_level_one_agents_are_tried_before_level_two() -> None:
    agents = [agent("veteran", idle_since=0), agent("novice", idle_since=100)]
    tiers = [Tier("veteran", 2, 1), Tier("novice", 1, 1)]
    board = board_for("longest-idle", agents, tiers)
    assert picked(board, call(1)) == ("novice",)
    assert board.candidates_for_call(uuid(1)) == ("novice", "veteran")
    board.agent_unavailable("novice")
    assert board.offer_for_call(uuid(1)) == Offer(uuid(1), "sales", ("veteran",))


def test_queue_and_call_skills_filter_agents() -> None:
    agents = [
        agent("no-spanish", skills={"tech": 5}),
        agent("weak-tech", skills={"tech": 1, "es": 3}, idle_since=1),
        agent("fits", skills={"tech": 2, "es": 1}, idle_since=2),
    ]
    board = board_for("longest-idle", agents, required={"tech": 2})
    assert picked(board, call(1)) == ("no-spanish",)
    assert picked(board, call(2, extra_skills={"es": 1})) == ("fits",)
    # the stricter minimum wins when queue and call name the same skill
    assert picked(board, call(3, extra_skills={"tech": 3})) == ("no-spanish",)
    board.add_call(call(4, extra_skills={"es": 2}))
    assert board.offer_for_call(uuid(4)) is None


# -- sticky agent -----------------------------------------------------------------------------------------


def test_sticky_agent_gets_the_call_when_free_and_eligible() -> None:
    board = board_for("longest-idle", [agent("a"), agent("b", idle_since=50), agent("c", skills={"es": 1})])
    assert picked(board, call(1, sticky_agent="b")) == ("b",)
    offer = board.offer_for_call(uuid(1))
    assert offer is not None
    assert offer.sticky
    assert board.candidates_for_call(uuid(1)) == ("b", "a", "c")
    assert board.candidates_for_call(uuid(1), limit=2) == ("b", "a")


def test_sticky_agent_skipped_when_busy_unqualified_or_outside_the_queue() -> None:
    board = board_for("longest-idle", [agent("a", skills={"es": 1}), agent("b", idle_since=50)])
    board.set_agent(agent("outsider"))
    board.agent_unavailable("b")
    assert picked(board, call(1, sticky_agent="b")) == ("a",)
    assert picked(board, call(2, sticky_agent="outsider")) == ("a",)
    board.agent_available("b")
    assert picked(board, call(3, sticky_agent="b")) == ("b",)
    assert picked(board, call(4, sticky_agent="b", extra_skills={"es": 1})) == ("a",)


def test_sticky_agent_rings_alone_in_ring_all() -> None:
    board = board_for("ring-all", [agent("a"), agent("b"), agent("c")])
    assert picked(board, call(1, sticky_agent="c")) == ("c",)
    assert board.candidates_for_call(uuid(1)) == ("c", "a", "b")


# -- calls for a free agent ------------------------------------------------------------------------------


def test_diamond_caller_passes_a_waiting_regular() -> None:
    board = board_for("longest-idle", [agent("a", available=False)])
    board.add_call(call(1, priority=0, enqueued_at=0))
    board.add_call(call(2, priority=20, enqueued_at=100))
    board.agent_available("a")
    assert board.offer_for_agent("a") == Offer(uuid(2), "sales", ("a",))


def test_equal_priority_goes_by_wait_then_arrival() -> None:
    board = board_for("longest-idle", [agent("a", available=False)])
    board.add_call(call(1, enqueued_at=10))
    board.add_call(call(2, enqueued_at=5))
    board.add_call(call(3, enqueued_at=5))
    board.agent_available("a")
    assert [c.call_uuid for c in board.waiting_calls("sales")] == [uuid(2), uuid(3), uuid(1)]
    offer = board.offer_for_agent("a")
    assert offer is not None
    assert offer.call_uuid == uuid(2)


def test_agent_in_several_queues_takes_the_best_call_across_them() -> None:
    board = DispatchBoard()
    board.set_agent(agent("a", available=False))
    for name in ("q1", "q2", "q3"):
        board.set_queue(QueueRules(name, "longest-idle", (Tier("a"),)))
    board.add_call(call(1, "q1", enqueued_at=10))
    board.add_call(call(2, "q2", enqueued_at=5))
    board.agent_available("a")
    assert board.offer_for_agent("a") == Offer(uuid(2), "q2", ("a",))
    board.add_call(call(3, "q3", enqueued_at=50, priority=10))
    assert board.offer_for_agent("a") == Offer(uuid(3), "q3", ("a",))
    board.set_queue(QueueRules("q3", "longest-idle", (Tier("a"),), {"fr": 1}))
    assert board.offer_for_agent("a") == Offer(uuid(2), "q2", ("a",))
    assert board.queues_of("a") == ("q1", "q2", "q3")


def test_free_agent_leaves_a_call_to_its_available_sticky_agent() -> None:
    board = board_for("longest-idle", [agent("a", available=False), agent("b", available=False)])
    board.add_call(call(1, enqueued_at=0, sticky_agent="b"))
    board.add_call(call(2, enqueued_at=5))
    board.agent_available("b")
    board.agent_unavailable("b")
    board.agent_available("a")
    assert board.offer_for_agent("a") == Offer(uuid(1), "sales", ("a",))
    board.agent_available("b")
    assert board.offer_for_agent("a") == Offer(uuid(2), "sales", ("a",))
    assert board.offer_for_agent("b") == Offer(uuid(1), "sales", ("b",), sticky=True)


def test_sticky_call_jumps_wait_but_not_priority_for_its_agent() -> None:
    board = board_for("longest-idle", [agent("a", available=False)])
    board.add_call(call(1, enqueued_at=0))
    board.add_call(call(2, enqueued_at=9, sticky_agent="a"))
    board.agent_available("a")
    assert board.offer_for_agent("a") == Offer(uuid(2), "sales", ("a",), sticky=True)
    board.add_call(call(3, enqueued_at=20, priority=10))
    assert board.offer_for_agent("a") == Offer(uuid(3), "sales", ("a",))


def test_free_agent_skips_calls_needing_skills_it_lacks() -> None:
    board = board_for("longest-idle", [agent("a", skills={"en": 2}, available=False)])
    board.add_call(call(1, enqueued_at=0, extra_skills={"es": 1}))
    board.add_call(call(2, enqueued_at=1, extra_skills={"en": 3}))
    board.add_call(call(3, enqueued_at=2, extra_skills={"en": 2}))
    board.agent_available("a")
    assert board.offer_for_agent("a") == Offer(uuid(3), "sales", ("a",))


def test_no_offer_for_busy_agent_or_empty_queues() -> None:
    board = board_for("longest-idle", [agent("a")])
    assert board.offer_for_agent("a") is None
    board.add_call(call(1))
    board.agent_unavailable("a")
    assert board.offer_for_agent("a") is None
    assert board.offer_for_call(uuid(1)) is None


# -- keeping the indexes right ----------------------------------------------------------------------------


def test_removed_calls_and_agents_leave_the_indexes() -> None:
    board = board_for("longest-idle", [agent("a", available=False), agent("b", idle_since=1)])
    board.add_call(call(1, enqueued_at=0, sticky_agent="a"))
    board.add_call(call(2, enqueued_at=1))
    removed = board.remove_call(uuid(1))
    assert removed.call_uuid == uuid(1)
    board.agent_available("a", idle_since=99)
    assert board.agent("a").idle_since == 99
    assert board.offer_for_agent("a") == Offer(uuid(2), "sales", ("a",))
    board.remove_agent("b")
    assert board.candidates_for_call(uuid(2)) == ("a",)
    board.assigned(uuid(2), "a")
    assert board.waiting_calls("sales") == ()
    assert not board.agent("a").available
    with pytest.raises(UnknownCall):
        board.offer_for_call(uuid(2))


def test_replacing_queue_tiers_reindexes_available_agents() -> None:
    board = board_for("longest-idle", [agent("a"), agent("b", idle_since=5)])
    board.add_call(call(1))
    board.set_queue(QueueRules("sales", "longest-idle", (Tier("b"),)))
    assert board.offer_for_call(uuid(1)) == Offer(uuid(1), "sales", ("b",))
    assert board.queues_of("a") == ()
    board.set_agent(agent("b", available=False))
    assert board.offer_for_call(uuid(1)) is None
    with pytest.raises(DispatchError, match="waiting"):
        board.remove_queue("sales")
    board.remove_call(uuid(1))
    board.remove_queue("sales")
    assert board.queues_of("b") == ()


def test_unknown_names_and_invalid_rules_raise_dispatch_errors() -> None:
    board = board_for("longest-idle", [agent("a")])
    with pytest.raises(UnknownQueue):
        board.add_call(call(1, "nowhere"))
    with pytest.raises(UnknownAgent):
        board.agent_available("ghost")
    board.add_call(call(1))
    with pytest.raises(DispatchError, match="already waiting"):
        board.add_call(call(1))
    with pytest.raises(DispatchError, match="strategy"):
        QueueRules("q", unchecked("random"), ())
    with pytest.raises(DispatchError, match="more than one tier"):
        QueueRules("q", "top-down", (Tier("a"), Tier("a", 2)))
