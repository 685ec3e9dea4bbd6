"""One IVR call over the fake channel and CRM: the shared test dialplan, with CRM sections added at will."""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dialplans.models import Dialplan
from ivr_scripts.channel import CallInfo
from ivr_scripts.journal import IvrStep, ListSink, Outcome
from ivr_scripts.prompts import PromptBook
from ivr_scripts.recording import (
    RecordingLog,
)
from ivr_scripts.runner import IvrRunner, QueueEntry
from tests.fakes.crm import FakeDirectory, MemoryCrmSink
from tests.fakes.ivr_channel import FakeChannel

MONDAY_NOON_LONDON = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)


PLAN: dict[str, Any] = {
    "prompts": {
        name: {"text": f"text of {name}"}
        for name in ("hello", "options", "invalid", "timeout", "hours", "sub", "closed", "bye")
    },
    "schedules": {
        "office": {
            "timezone": "Europe/London",
            "hours": [{"days": ["mon", "tue", "wed", "thu", "fri"], "open": "08:00", "close": "18:00"}],
            "holidays": [{"date": "2026-12-25", "name": "Christmas"}],
        }
    },
    "queues": {"sales": {"extension": "2001"}, "operators": {"extension": "2009"}},
    "menus": {
        "main": {
            "greeting": "hello",
            "prompt": "options",
            "invalid_prompt": "invalid",
            "timeout_prompt": "timeout",
            "max_retries": 3,
            "options": {
                "1": {"menu": "sub"},
                "2": {"transfer": {"queue": "sales"}},
                "3": {"play": "hours", "then": "return"},
                "4": {"play": "hours", "then": "hangup"},
                "7": {"transfer": {"extension": "1007"}},
                "9": {"hangup": {"prompt": "bye"}},
            },
            "fallback": {"transfer": {"queue": "operators"}},
        },
        "sub": {
            "prompt": "sub",
            "max_retries": 2,
            "options": {"1": {"transfer": {"extension": "1001"}}, "*": {"menu": "main"}},
            "fallback": {"menu": "main"},
        },
        "closed": {
            "prompt": "closed",
            "max_retries": 1,
            "options": {"1": {"transfer": {"queue": "operators"}}},
            "fallback": {"hangup": {}},
        },
    },
    "dids": {
        "4001": {"schedule": "office", "menu": "main", "closed_menu": "closed"},
        "4002": {"menu": "sub"},
    },
}


def crm_plan(**sections: Any) -> Dialplan:
    """PLAN with CRM sections added (crm, self_service, surveys, extra queues, menus or prompts)."""
    plan = copy.deepcopy(PLAN)
    for name in (
        "help",
        "vip_hello",
        "ask_account",
        "not_found",
        "your_date",
        "no_date",
        "thanks",
        "q1",
        "q2",
    ):
        plan["prompts"][name] = {"text": f"text of {name}"}
    for key, value in sections.items():
        if isinstance(plan.get(key), dict):
            plan[key] = {**plan[key], **value}
        else:
            plan[key] = value
    return Dialplan.model_validate(plan)


@dataclass
class CrmCall:
    outcome: Outcome
    steps: list[IvrStep]
    channel: FakeChannel
    sink: MemoryCrmSink

    def results(self) -> list[str]:
        return [f"{step.menu}:{step.result}:{step.digits or ''}" for step in self.steps]


def run_crm_call(
    dialplan: Dialplan,
    answers: Iterable[str] = (),
    *,
    directory: FakeDirectory | None = None,
    queues: QueueEntry | None = None,
    caller: str = "+15551230001",
    crm_sink: MemoryCrmSink | None = None,
    with_sink: bool = True,
    at: dt.datetime = MONDAY_NOON_LONDON,
    recordings: RecordingLog | None = None,
    call_uuid: str = "uuid-crm",
) -> CrmCall:
    sink = crm_sink or MemoryCrmSink()
    runner = IvrRunner(
        dialplan,
        PromptBook.build(dialplan, Path("/nonexistent")),
        clock=lambda: at,
        queues=queues,
        directory=directory,
        crm_sink=sink if with_sink else None,
        recordings=recordings,
    )
    channel = FakeChannel(CallInfo(call_uuid, caller, "Caller", "4001"), answers)
    steps = ListSink()
    outcome = runner.run(channel.leg, steps)
    assert [step.seq for _, step in steps.steps] == list(range(1, len(steps.steps) + 1))
    return CrmCall(outcome, [step for _, step in steps.steps], channel, sink)


POLICIES: dict[str, Any] = {
    "ivr": {"mode": "all", "stereo": False, "announce": "recorded", "retention_days": 30},
    "talk": {"mode": "all", "stereo": True, "announce": "talk_recorded", "retention_days": 365},
    "mono": {"mode": "all", "stereo": False, "retention_days": 400},
    "talk_mp3": {"mode": "all", "format": "mp3", "announce": "talk_recorded"},
    "off": {"mode": "none"},
    "ask": {"mode": "on_demand"},
    "half": {"mode": "percent", "percent": 50},
}


def recording_plan(
    *,
    default: str | None = "ivr",
    did: str | None = None,
    queue_policies: dict[str, str] | None = None,
    **sections: Any,
) -> Dialplan:
    """The runner tests' plan with recording: DID 4001 uses `did` (else `default`), queues as given,
    other sections (crm) added as they are."""
    queues: dict[str, Any] = {
        "sales": {"extension": "2001"},
        "operators": {"extension": "2009"},
        "vips": {"extension": "2100"},
    }
    for queue, policy in (queue_policies or {}).items():
        queues[queue]["recording"] = policy
    dids = {"4001": {"schedule": "office", "menu": "main", "closed_menu": "closed", "recording": did}}
    return crm_plan(
        prompts={"recorded": {"text": "calls are recorded"}, "talk_recorded": {"text": "this call is"}},
        recording={"directory": "/rec", "policies": POLICIES, "default_policy": default},
        queues=queues,
        dids=dids,
        **sections,
    )
