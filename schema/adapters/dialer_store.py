"""The campaign tables as the dialer's store (esl_handlers.dialer.DialerStore).

`finished` logs the attempt and reschedules the lead in one transaction, so an ended call is either
both logged and rescheduled or neither (then its lease brings the lead back). A campaign in pilot claims
only its sample (`pilot_percents`, each campaign's pilot.percent from its YAML); running, every lead.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping

from sqlalchemy import Engine, func, select

from dialplans.campaign_vocabulary import AttemptOutcome, CampaignStatus
from ivr_scripts.campaigns.campaign_call import CampaignCall
from ivr_scripts.campaigns.dialing import LeadToDial
from ivr_scripts.campaigns.lifecycle import DIALLING
from ivr_scripts.campaigns.pacing_live import COUNTED
from ivr_scripts.campaigns.pacing_memory import LoggedCall
from ivr_scripts.campaigns.pacing_stats import DEFAULT_WINDOW
from schema.campaigns.attempts import ATTEMPTS, Attempt, record_attempt_in
from schema.campaigns.dnc import is_blocked
from schema.campaigns.leads import claim_due_leads, distinct_zone_keys, postpone, schedule_in
from schema.campaigns.status import get_campaign
from schema.db import read_connection, write_transaction


class DialerStore:
    def __init__(self, engine: Engine, *, pilot_percents: Mapping[str, int]) -> None:
        self._engine = engine
        self._pilot_percents = dict(pilot_percents)

    def dialling(self, campaign: str) -> bool:
        found = get_campaign(self._engine, campaign)
        return found is not None and found.status in DIALLING

    def zone_keys(self, campaign: str) -> list[str]:
        return distinct_zone_keys(self._engine, campaign)

    def claim(
        self,
        campaign: str,
        open_keys: Collection[str],
        now: dt.datetime,
        limit: int,
        lease_until: dt.datetime,
    ) -> list[LeadToDial]:
        found = get_campaign(self._engine, campaign)
        in_pilot = found is not None and found.status is CampaignStatus.PILOT
        pilot = self._pilot_percents[campaign] if in_pilot else None
        leads = claim_due_leads(
            self._engine, campaign, open_keys, now, limit=limit, lease_until=lease_until, pilot_percent=pilot
        )
        return [
            LeadToDial(lead.id, lead.list_id, lead.phone_e164, lead.time_zones, lead.attempts)
            for lead in leads
        ]

    def abandon_counts(self, campaign: str, since: dt.datetime) -> dict[AttemptOutcome, int]:
        """The campaign's attempts started at or after `since` that an abandon budget counts, per
        outcome (one range of ix_campaign_attempts_campaign_started_at)."""
        query = (
            select(ATTEMPTS.c.outcome, func.count())
            .where(
                ATTEMPTS.c.campaign == campaign,
                ATTEMPTS.c.started_at >= since,
                ATTEMPTS.c.outcome.in_([outcome.value for outcome in COUNTED]),
            )
            .group_by(ATTEMPTS.c.outcome)
        )
        with read_connection(self._engine, f"reading campaign {campaign}'s abandons") as connection:
            return {AttemptOutcome(outcome): int(count) for outcome, count in connection.execute(query).all()}

    def recent_calls(self, campaign: str, limit: int = DEFAULT_WINDOW) -> list[LoggedCall]:
        """The campaign's latest `limit` attempts dialled (not blocked) and ended, newest first (the
        (campaign, started_at) index read backwards)."""
        columns = ATTEMPTS.c
        query = (
            select(columns.started_at, columns.outcome, columns.ended_at, columns.decided_at)
            .add_columns(columns.wait_for_agent_ms)
            .where(
                columns.campaign == campaign,
                columns.outcome != AttemptOutcome.BLOCKED.value,
                columns.ended_at.is_not(None),
            )
            .order_by(columns.started_at.desc(), columns.id.desc())
            .limit(limit)
        )
        with read_connection(self._engine, f"reading campaign {campaign}'s latest calls") as connection:
            rows = connection.execute(query).all()
        return [
            LoggedCall(row.started_at, AttemptOutcome(row.outcome), row.ended_at, row.decided_at,
                       row.wait_for_agent_ms)
            for row in rows
        ]  # fmt: skip

    def blocked(self, campaign: str, phone: str) -> str | None:
        return is_blocked(self._engine, campaign, phone)

    def latest_drop(self, phone: str, since: dt.datetime) -> dt.datetime | None:
        """When the latest abandoned (dropped) call to `phone` ended, if at or after `since`, whichever
        campaign made it (ix_campaign_attempts_dropped_phone)."""
        columns = ATTEMPTS.c
        query = select(func.max(columns.ended_at)).where(
            columns.phone_e164 == phone,
            columns.outcome == AttemptOutcome.DROPPED.value,
            columns.ended_at >= since,
        )
        with read_connection(self._engine, f"reading the abandoned calls to {phone}") as connection:
            latest: dt.datetime | None = connection.execute(query).scalar_one()
        return latest

    def postpone(self, lead_id: int, until: dt.datetime) -> None:
        postpone(self._engine, lead_id, until)

    def finished(self, call: CampaignCall, lead: LeadToDial, next_at: dt.datetime | None) -> None:
        outcome = call.outcome or AttemptOutcome.NO_ANSWER
        attempt = Attempt(
            campaign=call.campaign,
            phone_e164=lead.phone,
            attempt_no=lead.attempts + (0 if outcome is AttemptOutcome.BLOCKED else 1),
            started_at=call.started_at,
            outcome=outcome,
            lead_id=lead.id,
            list_id=lead.list_id,
            call_uuid=call.call_uuid or None,
            answered_at=call.answered_at,
            ended_at=call.ended_at,
            hangup_cause=call.hangup_cause,
            amd_result=call.decision.measured.value if call.decision is not None else None,
            agent_id=call.agent_id,
            wait_for_agent_ms=call.wait_for_agent_ms,
            decided_at=call.decided_at,
        )
        with write_transaction(self._engine, f"logging campaign {call.campaign}'s attempt") as connection:
            record_attempt_in(connection, attempt)
            schedule_in(connection, lead.id, next_at, outcome)
