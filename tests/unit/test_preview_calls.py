"""Preview calls against a fake switch, on SQLite and PostgreSQL: the agent's phone first, then the
customer, bridged; what each ending logs and where the agent and the lead are left."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from types import MappingProxyType

import gevent
import pytest
from sqlalchemy import Engine

from dialplans.campaign_vocabulary import AttemptOutcome
from esl_handlers.codec import Event
from esl_handlers.preview_calls import PreviewCalls
from ivr_scripts.campaigns.dialing import DialingRules
from ivr_scripts.switch import Originated
from schema.acd.agents import agent_snapshot
from schema.campaigns import previews
from schema.campaigns.attempts import attempts
from schema.campaigns.dnc import add_dnc
from schema.campaigns.leads import get_lead
from schema.campaigns.preview_desk import dial_preview, next_preview
from schema.viewer import SYSTEM
from tests.fakes.campaign_switch import FakeSwitch
from tests.support.campaign_leads import NOW, add_leads
from tests.support.previews import CAMPAIGN, PLAN, ready, state_of

ANSWERED = Originated("answered", None, "")
GIVE_UP = Originated("failed", None, "NORMAL_TEMPORARY_FAILURE")


def hangup_event(leg: str, cause: str = "NORMAL_CLEARING") -> Event:
    headers = {"Event-Name": "CHANNEL_HANGUP_COMPLETE", "Unique-ID": leg, "Hangup-Cause": cause}
    return Event(MappingProxyType(headers), None)


class Rig:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.switch = FakeSwitch()
        self.changed: list[str] = []
        self.now = NOW
        self.calls = PreviewCalls(
            self.switch,
            engine,
            {"spring": DialingRules.from_campaign("spring", CAMPAIGN)},
            server="s1",
            clock=lambda: self.now,
            customer_endpoint=lambda number: f"sofia/gateway/pstn/{number}",
            agent_endpoint=lambda agent_id: f"user/{agent_id}@callcenter.local",
            on_agent_change=self.changed.append,
        )

    def dial(self) -> previews.Preview:
        next_preview(self.engine, SYSTEM, "spring", "1001", PLAN, server="s1", now=NOW)
        dial_preview(self.engine, SYSTEM, "1001", PLAN, now=NOW)
        preview = previews.get_preview(self.engine, "1001")
        assert preview is not None
        assert self.calls.tick() == 1
        self.wait(lambda: preview.token in self.switch.originates)
        return preview

    def ended(self) -> bool:
        """The preview is gone and the agent off the call (wrapping up after a call they took)."""
        return previews.get_preview(self.engine, "1001") is None and state_of(self.engine, "1001")[0] in (
            "available",
            "wrap_up",
        )

    def settle(self, leg: str, result: Originated) -> None:
        self.switch.originates[leg].set(result)
        gevent.sleep(0.05)

    @staticmethod
    def wait(condition: Callable[[], bool], seconds: float = 3.0) -> None:
        with gevent.Timeout(seconds):
            while not condition():
                gevent.sleep(0.01)


@pytest.fixture
def rig(engine: Engine) -> Iterator[Rig]:
    rig = Rig(engine)
    yield rig
    rig.switch.settle_all(GIVE_UP)


def test_the_agent_answers_then_the_customer_and_they_are_bridged_and_logged(
    engine: Engine, rig: Rig
) -> None:
    (lead_id,) = add_leads(engine, "+13125550101")
    ready(engine)
    preview = rig.dial()
    assert rig.switch.done == [("originate", "user/1001@callcenter.local")], "the agent's phone first"
    rig.settle(preview.token, ANSWERED)
    rig.wait(lambda: preview.call_uuid in rig.switch.originates)
    assert state_of(engine, "1001") == ("on_call", preview.token)
    assert rig.switch.done[-1] == ("originate", "sofia/gateway/pstn/+13125550101")
    rig.settle(preview.call_uuid, ANSWERED)
    assert rig.switch.done[-1:] == [("bridge", preview.call_uuid, preview.token)]

    rig.calls.on_switch_event(hangup_event(preview.call_uuid))
    rig.wait(rig.ended)
    assert rig.switch.done[-1] == ("hangup", preview.token), "the customer left: the agent's leg goes"
    (attempt,) = attempts(engine, "spring", NOW - dt.timedelta(days=1))
    assert (attempt.outcome, attempt.agent_id, attempt.call_uuid, attempt.attempt_no) == (
        AttemptOutcome.HUMAN, "1001", preview.call_uuid, 1,
    )  # fmt: skip
    assert get_lead(engine, lead_id).status == "done"
    assert state_of(engine, "1001")[0] == "wrap_up", "the campaign's wrap_up after a call the agent took"
    (agent,) = [a for a in agent_snapshot(engine) if a.agent_id == "1001"]
    assert agent.wrap_up_until is not None
    assert agent.wrap_up_until - agent.state_since == dt.timedelta(seconds=10)
    rig.calls.on_switch_event(hangup_event(preview.token))
    gevent.sleep(0.05)
    assert len(attempts(engine, "spring", NOW - dt.timedelta(days=1))) == 1, "logged once"


def test_a_busy_customer_is_retried_by_the_rules_and_the_agent_freed(engine: Engine, rig: Rig) -> None:
    (lead_id,) = add_leads(engine, "+13125550101")
    ready(engine)
    preview = rig.dial()
    rig.settle(preview.token, ANSWERED)
    rig.wait(lambda: preview.call_uuid in rig.switch.originates)
    rig.settle(preview.call_uuid, Originated("busy", None, "USER_BUSY"))
    rig.wait(rig.ended)
    assert ("hangup", preview.token) in rig.switch.done
    (attempt,) = attempts(engine, "spring", NOW - dt.timedelta(days=1))
    assert (attempt.outcome, attempt.agent_id) == (AttemptOutcome.BUSY, "1001")
    lead = get_lead(engine, lead_id)
    assert (lead.status, lead.attempts) == ("pending", 1)
    assert lead.next_attempt_at is not None
    assert lead.next_attempt_at >= NOW + dt.timedelta(minutes=15), "busy: the campaign's 15 minutes"
    assert state_of(engine, "1001")[0] == "wrap_up"


def test_an_agent_phone_that_does_not_answer_dials_nobody_and_counts_nothing(
    engine: Engine, rig: Rig
) -> None:
    (lead_id,) = add_leads(engine, "+13125550101")
    ready(engine)
    preview = rig.dial()
    rig.settle(preview.token, Originated("no_answer", None, "NO_ANSWER"))
    rig.wait(rig.ended)
    assert [step for step in rig.switch.done if step[0] == "originate"] == [
        ("originate", "user/1001@callcenter.local")
    ]
    assert attempts(engine, "spring", NOW - dt.timedelta(days=1)) == []
    lead = get_lead(engine, lead_id)
    assert (lead.status, lead.attempts, lead.next_attempt_at) == ("pending", 0, NOW)
    assert state_of(engine, "1001") == ("available", None)


def test_the_tick_releases_an_expired_preview(engine: Engine, rig: Rig) -> None:
    add_leads(engine, "+13125550101")
    ready(engine)
    next_preview(engine, SYSTEM, "spring", "1001", PLAN, server="s1", now=NOW)
    rig.now = NOW + dt.timedelta(seconds=59)
    assert rig.calls.tick() == 0
    assert previews.get_preview(engine, "1001") is not None
    rig.now = NOW + dt.timedelta(seconds=60)
    assert rig.calls.tick() == 0
    assert previews.get_preview(engine, "1001") is None
    assert state_of(engine, "1001") == ("available", None)
    assert rig.changed == ["1001"]


def test_previews_a_stopped_server_was_dialling_are_let_go_at_its_first_tick(
    engine: Engine, rig: Rig
) -> None:
    (lead_id,) = add_leads(engine, "+13125550101")
    ready(engine)
    next_preview(engine, SYSTEM, "spring", "1001", PLAN, server="s1", now=NOW)
    dial_preview(engine, SYSTEM, "1001", PLAN, now=NOW)
    ((taken, _lead),) = previews.take_dial_requests(engine, "s1")  # the run before the restart
    assert rig.calls.tick() == 0
    assert previews.get_preview(engine, "1001") is None
    assert state_of(engine, "1001") == ("available", None)
    assert get_lead(engine, lead_id).next_attempt_at == NOW
    assert taken.agent_id == "1001"


def test_a_number_listed_since_it_was_shown_is_not_dialled(engine: Engine, rig: Rig) -> None:
    (lead_id,) = add_leads(engine, "+13125550101")
    ready(engine)
    next_preview(engine, SYSTEM, "spring", "1001", PLAN, server="s1", now=NOW)
    dial_preview(engine, SYSTEM, "1001", PLAN, now=NOW)
    add_dnc(engine, "+13125550101", source="internal", now=NOW)
    assert rig.calls.tick() == 0
    assert rig.switch.done == []
    (attempt,) = attempts(engine, "spring", NOW - dt.timedelta(days=1))
    assert (attempt.outcome, attempt.agent_id) == (AttemptOutcome.BLOCKED, "1001")
    assert get_lead(engine, lead_id).status == "blocked"
    assert state_of(engine, "1001") == ("available", None)
