"""Caller screening before the menu: the pure decision, the channel variables, and the runner acting on it."""

from __future__ import annotations

import datetime as dt
import itertools
import logging

import pytest

from dialplans.crm_models import Crm
from dialplans.models import GotoMenu
from ivr_scripts.crm import CallerProfile, CustomerRecord
from ivr_scripts.runner import QueueResult
from ivr_scripts.screening import decide, screen, screen_name, screening_variables
from tests.fakes.crm import FakeDirectory
from tests.fakes.queues import ScriptedQueues
from tests.support.ivr_calls import crm_plan, run_crm_call

CALLER = "+15551230001"
JANE = CustomerRecord(7, "Jane Doe", tier="gold", owner_agent_id="1001", department="claims")
BOB = CustomerRecord(8, "Bob Roe", tier="regular")
VIP: dict[str, object] = {"tiers": ["gold", "platinum"], "queue": "vips", "greeting": "vip_hello"}
VIP_QUEUE = {"vips": {"extension": "2100"}}


def crm(vip: dict[str, object] | None = None, **blacklist: object) -> Crm:
    return Crm.model_validate({"vip": vip, "blacklist": blacklist})


# --- decide(): every combination ------------------------------------------------------------------

CUSTOMERS = [
    None,
    JANE,
    BOB,
    CustomerRecord(9, "No Tier"),
    CustomerRecord(10, "Orphan Gold", tier="platinum"),
]
VIP_CONFIGS: list[dict[str, object] | None] = [
    None,
    {"tiers": ["gold", "platinum"], "queue": "vips"},
    {"tiers": ["gold"], "queue": "vips", "dedicated_agent": False},
    {"tiers": [], "queue": "vips"},
]


@pytest.mark.parametrize(
    ("blocked", "customer", "listed", "vip"),
    list(itertools.product([False, True], CUSTOMERS, [False, True], VIP_CONFIGS)),
)
def test_decide_every_combination(
    blocked: bool, customer: CustomerRecord | None, listed: bool, vip: dict[str, object] | None
) -> None:
    reason = "fraud" if blocked else None
    profile = CallerProfile(CALLER, customer, blocked=blocked, block_reason=reason, vip_listed=listed)
    config = crm(vip)
    decision = decide(profile, config)
    assert decision.profile is profile
    vip_tiers = config.vip.tiers if config.vip is not None else []
    tier_is_vip = customer is not None and customer.tier in vip_tiers
    if blocked:
        assert (decision.kind, decision.detail, decision.queue) == ("blocked", "fraud", None)
    elif vip is not None and (tier_is_vip or listed):
        assert decision.kind == "vip"
        assert decision.queue == "vips"
        assert decision.detail == (customer.tier if tier_is_vip and customer else "listed")
        dedicated = vip.get("dedicated_agent", True)
        assert decision.preferred_agent == (customer.owner_agent_id if customer and dedicated else None)
    elif customer is not None:
        assert (decision.kind, decision.detail, decision.queue) == ("known", customer.tier, None)
    else:
        assert (decision.kind, decision.detail, decision.queue) == ("unknown", None, None)
    if decision.kind != "vip":
        assert decision.preferred_agent is None


def test_decide_named_cases() -> None:
    gold_vip = crm(VIP)
    assert decide(CallerProfile(CALLER, JANE), gold_vip).preferred_agent == "1001"
    assert decide(CallerProfile(CALLER, JANE), crm(None)).kind == "known"
    assert decide(CallerProfile(CALLER, BOB), gold_vip).kind == "known"
    assert decide(CallerProfile(None), gold_vip).kind == "unknown"
    # The blacklist wins over the VIP list.
    both = CallerProfile(CALLER, JANE, blocked=True, vip_listed=True)
    assert decide(both, gold_vip).kind == "blocked"


def test_directory_down_leaves_the_caller_unknown(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="ivr_scripts.screening"):
        decision = screen(FakeDirectory(down=True), CALLER, crm(VIP))
    assert (decision.kind, decision.detail, decision.profile.customer) == ("unknown", "crm_unavailable", None)
    assert "unknown caller" in caplog.text


# --- screen names and channel variables -----------------------------------------------------------


@pytest.mark.parametrize(
    ("customer", "expected"),
    [
        (JANE, "Jane Doe (gold)"),
        (CustomerRecord(1, "Ann"), "Ann"),
        (CustomerRecord(2, 'Evil "Quote\\" <sip:x>\r\n${x}', tier="go\x00ld"), "Evil Quote sip:x x (go ld)"),
        (CustomerRecord(3, '""\x01'), "Customer 3"),
        (CustomerRecord(4, "  Lots   of\tspace  ", tier=" "), "Lots of space"),
    ],
)
def test_screen_name_is_safe_for_sip_display(customer: CustomerRecord, expected: str) -> None:
    assert screen_name(customer) == expected


def test_long_screen_names_are_cut_but_keep_the_tier() -> None:
    name = screen_name(CustomerRecord(5, "A" * 200, tier="platinum"))
    assert len(name) == 64
    assert name.endswith("A (platinum)")
    assert len(screen_name(CustomerRecord(6, "B" * 200, tier="t" * 200))) == 64


def test_variables_only_name_known_customers() -> None:
    known = decide(CallerProfile(CALLER, JANE), crm())
    assert screening_variables(known) == {
        "cc_screening": "known",
        "cc_customer_id": "7",
        "cc_customer_tier": "gold",
        "cc_screen_name": "Jane Doe (gold)",
    }
    no_tier = decide(CallerProfile(CALLER, CustomerRecord(9, "No Tier")), crm())
    assert "cc_customer_tier" not in screening_variables(no_tier)
    listed = decide(CallerProfile(CALLER, vip_listed=True), crm(VIP))
    assert screening_variables(listed) == {"cc_screening": "vip"}
    assert screening_variables(decide(CallerProfile(None), crm())) == {"cc_screening": "unknown"}


# --- the runner acting on the decision ------------------------------------------------------------


def blocked_directory() -> FakeDirectory:
    return FakeDirectory({CALLER: CallerProfile(CALLER, JANE, blocked=True, block_reason="abuse")})


def test_blocked_without_prompt_is_rejected_unanswered() -> None:
    plan = crm_plan(crm={"blacklist": {"numbers": [CALLER], "cause": "USER_BUSY"}})
    call = run_crm_call(plan, ["1"], directory=blocked_directory())
    assert call.channel.events == ["hangup:USER_BUSY"]
    assert call.outcome.kind == "blocked"
    assert call.outcome.destination == "USER_BUSY"
    assert call.outcome.menu_path == ()
    assert call.results() == ["None:blocked:"]
    [(uuid, decision)] = call.sink.screenings
    assert (uuid, decision.kind, decision.detail) == ("uuid-crm", "blocked", "abuse")
    assert call.channel.variables["cc_screening"] == "blocked"


def test_blocked_default_cause_is_call_rejected() -> None:
    call = run_crm_call(crm_plan(), directory=blocked_directory())
    assert call.channel.events == ["hangup:CALL_REJECTED"]


def test_blocked_with_prompt_answers_plays_and_hangs_up() -> None:
    plan = crm_plan(crm={"blacklist": {"prompt": "bye"}})
    call = run_crm_call(plan, directory=blocked_directory())
    assert call.channel.events == ["answer", "play:bye", "hangup:CALL_REJECTED"]
    assert call.results() == ["None:blocked:", "None:played:"]
    assert call.steps[0].prompt == "bye"


def vip_plan(**vip: object) -> dict[str, object]:
    return {"crm": {"vip": {**VIP, **vip}}, "queues": VIP_QUEUE}


def test_vip_goes_straight_to_the_queue_with_their_own_agent_first() -> None:
    queues = ScriptedQueues(QueueResult("answered", agent_id="1001", ended_by="caller"))
    directory = FakeDirectory({CALLER: CallerProfile(CALLER, JANE)})
    call = run_crm_call(crm_plan(**vip_plan()), directory=directory, queues=queues)
    assert queues.joined == [("vips", ())]
    assert queues.preferred == ["1001"]
    assert call.channel.events == ["answer", "play:vip_hello"]  # no menu greeting, no options
    assert call.outcome.kind == "answered"
    assert call.outcome.destination == "queue:vips"
    assert call.outcome.menu_path == ()
    assert call.results() == ["None:vip:vips", "None:played:", "None:queue:vips", "None:answered:1001"]
    assert call.sink.screenings[0][1].kind == "vip"
    assert call.channel.variables["cc_customer_tier"] == "gold"
    assert call.channel.variables["cc_screen_name"] == "Jane Doe (gold)"


def test_vip_out_of_hours_gets_the_closed_menu_like_everyone() -> None:
    queues = ScriptedQueues(QueueResult("answered", agent_id="1001", ended_by="caller"))
    directory = FakeDirectory({CALLER: CallerProfile(CALLER, JANE)})
    sunday_night = dt.datetime(2026, 11, 22, 23, 0, tzinfo=dt.UTC)
    call = run_crm_call(crm_plan(**vip_plan()), directory=directory, queues=queues, at=sunday_night)
    assert queues.joined == []
    assert call.outcome.menu_path[0] == "closed"
    assert call.sink.screenings[0][1].kind == "vip"  # the decision is still recorded on the call
    assert "None:closed:" in call.results()


def test_vip_without_dedicated_agent_has_no_preference() -> None:
    queues = ScriptedQueues(QueueResult("abandoned"))
    directory = FakeDirectory({CALLER: CallerProfile(CALLER, JANE)})
    run_crm_call(crm_plan(**vip_plan(dedicated_agent=False)), directory=directory, queues=queues)
    assert queues.preferred == [None]


def test_listed_vip_number_without_an_acd_is_transferred_to_the_queue_extension() -> None:
    directory = FakeDirectory({CALLER: CallerProfile(CALLER, vip_listed=True)})
    plan = crm_plan(**vip_plan(greeting=None))
    call = run_crm_call(plan, directory=directory)
    assert call.channel.events == ["answer", "transfer:2100@default"]
    assert call.outcome.kind == "queued"
    assert call.outcome.destination == "queue:vips"
    assert call.channel.variables["cc_queue"] == "vips"
    assert call.sink.screenings[0][1].detail == "listed"


def test_action_handed_back_by_the_vip_queue_runs_in_the_did_menu() -> None:
    queues = ScriptedQueues(QueueResult("action", action=GotoMenu(menu="sub")))
    directory = FakeDirectory({CALLER: CallerProfile(CALLER, JANE)})
    call = run_crm_call(crm_plan(**vip_plan()), ["1"], directory=directory, queues=queues)
    assert call.outcome.kind == "transferred"
    assert call.outcome.destination == "1001"
    assert call.outcome.menu_path == ("sub",)


def test_directory_down_runs_the_menu_as_for_an_unknown_caller() -> None:
    call = run_crm_call(crm_plan(**vip_plan()), ["7"], directory=FakeDirectory(down=True))
    assert call.channel.events[:2] == ["answer", "play:hello"]
    assert call.outcome.destination == "1007"
    assert call.channel.variables["cc_screening"] == "unknown"
    assert "cc_customer_id" not in call.channel.variables
    assert call.sink.screenings[0][1].detail == "crm_unavailable"


def test_known_customer_reaches_the_menu_with_their_variables() -> None:
    directory = FakeDirectory({CALLER: CallerProfile(CALLER, BOB)})
    call = run_crm_call(crm_plan(**vip_plan()), ["2"], directory=directory)
    assert call.channel.events[:2] == ["answer", "play:hello"]
    assert call.outcome.destination == "queue:sales"
    assert call.channel.variables["cc_customer_id"] == "8"
    assert call.channel.variables["cc_customer_tier"] == "regular"
    assert call.results()[0] == "None:open:"


def test_screening_without_a_sink_still_screens() -> None:
    call = run_crm_call(crm_plan(), directory=blocked_directory(), with_sink=False)
    assert call.outcome.kind == "blocked"
    assert call.sink.screenings == []
