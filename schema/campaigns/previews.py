"""Preview dialling's rows: the lead each agent of a preview campaign is looking at, until dialled or let go.

A preview is claimed like the dialer claims a lead (the same due query, pilot filter and compare-and-set
on `next_attempt_at`, read FOR UPDATE SKIP LOCKED on PostgreSQL), and in the same transaction written to
`campaign_previews`, whose primary key (agent) and unique lead make "one preview per agent, one agent per
lead" the database's rule. The lead's `next_attempt_at` becomes a lease (as the dialer's), so a preview
whose row is lost comes back when the lease ends.

    previewing --request_dial--> dial_requested --take_dial_requests (a dialer)--> dialling --finish--> gone
        '--release (skip, or untouched past expires_at)--> gone, the lead due again at once, not counted
    (a skip also withdraws a dial no dialer has taken yet)
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import Connection, Engine, Row, Table, delete, select, update

from dialplans.campaign_vocabulary import AttemptOutcome
from schema.campaigns.attempts import ATTEMPTS, Attempt, record_attempt_in
from schema.campaigns.leads import LEADS, PENDING, Lead, due_query, pilot_share, schedule_in, take_lease
from schema.campaigns.models import CampaignPreview
from schema.db import read_connection, write_transaction
from schema.errors import NotFound

PREVIEWS: Final[Table] = CampaignPreview.__table__  # type: ignore[assignment]
PREVIEWING: Final = "previewing"
DIAL_REQUESTED: Final = "dial_requested"
DIALLING: Final = "dialling"


class PreviewRefused(ValueError):
    """The agent's preview is not in a state that allows this (e.g. dialling one already dialled)."""


@dataclass(frozen=True)
class Preview:
    agent_id: str
    token: str
    call_uuid: str
    campaign: str
    lead_id: int
    state: str
    claimed_at: dt.datetime
    expires_at: dt.datetime
    dial_requested_at: dt.datetime | None
    dialled_by: str | None


def claim_preview_lead(
    engine: Engine,
    campaign: str,
    agent_id: str,
    *,
    token: str,
    call_uuid: str,
    open_zone_keys: Collection[str],
    now: dt.datetime,
    expires_at: dt.datetime,
    lease_until: dt.datetime,
    pilot_percent: int | None = None,
) -> Lead | None:
    """Take the first due lead (as the dialer's claim orders them) for the agent's preview; None if none.
    RecordRejected if the agent has a preview already (the primary key)."""
    if not open_zone_keys:
        return None
    # One row: a claim locks only the lead it takes, so agents asking at once skip only each other's.
    query = due_query(campaign, open_zone_keys, now, 1)
    if pilot_percent is not None:
        query = query.where(LEADS.c.pilot_bucket < pilot_share(pilot_percent))
    query = query.with_for_update(skip_locked=True)
    with write_transaction(
        engine, f"claiming a lead of campaign {campaign} for agent {agent_id}"
    ) as connection:
        for row in connection.execute(query).all():
            if not take_lease(connection, row, lease_until):
                continue
            connection.execute(
                PREVIEWS.insert().values(
                    agent_id=agent_id,
                    token=token,
                    call_uuid=call_uuid,
                    campaign=campaign,
                    lead_id=row.id,
                    state=PREVIEWING,
                    claimed_at=now,
                    expires_at=expires_at,
                )
            )
            return Lead(**row._mapping)
    return None


def get_preview(engine: Engine, agent_id: str) -> Preview | None:
    with read_connection(engine, f"reading agent {agent_id}'s preview") as connection:
        row = connection.execute(select(PREVIEWS).where(PREVIEWS.c.agent_id == agent_id)).first()
    return None if row is None else _preview(row)


def request_dial(engine: Engine, agent_id: str, now: dt.datetime) -> Preview:
    """previewing -> dial_requested (NotFound without a preview, PreviewRefused past previewing)."""
    with write_transaction(engine, f"asking to dial agent {agent_id}'s preview") as connection:
        found = _locked(connection, agent_id)
        if found.state != PREVIEWING:
            raise PreviewRefused(
                f"agent {agent_id}'s preview of lead {found.lead_id} is {found.state} already"
            )
        connection.execute(
            update(PREVIEWS)
            .where(PREVIEWS.c.agent_id == agent_id)
            .values(state=DIAL_REQUESTED, dial_requested_at=now)
        )
    return dataclasses.replace(found, state=DIAL_REQUESTED, dial_requested_at=now)


def release_preview(
    engine: Engine, agent_id: str, now: dt.datetime, *, token: str | None = None, withdraw_dial: bool = False
) -> Preview:
    """Let the lead go undialled: the row goes, the lead is due again from `now`, its attempts unchanged.
    Only a preview still previewing, or with `withdraw_dial` one whose dial no dialer has taken yet
    (PreviewRefused otherwise); with `token`, only that very preview."""
    releasable = (PREVIEWING, DIAL_REQUESTED) if withdraw_dial else (PREVIEWING,)
    with write_transaction(engine, f"releasing agent {agent_id}'s preview") as connection:
        found = _locked(connection, agent_id)
        if token is not None and found.token != token:
            raise NotFound(f"agent {agent_id}'s preview {token} is gone")
        if found.state not in releasable:
            raise PreviewRefused(f"agent {agent_id}'s preview of lead {found.lead_id} is {found.state}")
        _due_again(connection, found.lead_id, now)
        connection.execute(delete(PREVIEWS).where(PREVIEWS.c.agent_id == agent_id))
    return found


def expired_previews(engine: Engine, now: dt.datetime) -> list[Preview]:
    """Previews still previewing at their `expires_at` or later."""
    query = select(PREVIEWS).where(PREVIEWS.c.state == PREVIEWING, PREVIEWS.c.expires_at <= now)
    with read_connection(engine, "reading expired previews") as connection:
        return [_preview(row) for row in connection.execute(query).all()]


def dialling_by(engine: Engine, server: str) -> list[Preview]:
    """The previews `server` took to dial (at its start: the calls its previous run left behind)."""
    query = select(PREVIEWS).where(PREVIEWS.c.state == DIALLING, PREVIEWS.c.dialled_by == server)
    with read_connection(engine, f"reading the previews {server} dials") as connection:
        return [_preview(row) for row in connection.execute(query).all()]


def take_dial_requests(engine: Engine, server: str) -> list[tuple[Preview, Lead]]:
    """The previews agents asked to dial, each now `dialling` by `server` (so no other dialer takes it)."""
    query = (
        select(PREVIEWS, LEADS)
        .join(LEADS, LEADS.c.id == PREVIEWS.c.lead_id)
        .where(PREVIEWS.c.state == DIAL_REQUESTED)
        .order_by(PREVIEWS.c.dial_requested_at)
        .with_for_update(of=PREVIEWS, skip_locked=True)
    )
    taken: list[tuple[Preview, Lead]] = []
    with write_transaction(engine, "taking previews to dial") as connection:
        for row in connection.execute(query).all():
            moved = connection.execute(
                update(PREVIEWS)
                .where(PREVIEWS.c.agent_id == row.agent_id, PREVIEWS.c.state == DIAL_REQUESTED)
                .values(state=DIALLING, dialled_by=server)
            )
            if moved.rowcount == 1:
                preview = dataclasses.replace(_preview(row), state=DIALLING, dialled_by=server)
                taken.append((preview, _lead_of(row)))
    return taken


def finish_preview(
    engine: Engine, preview: Preview, attempt: Attempt | None, next_at: dt.datetime | None, now: dt.datetime
) -> None:
    """The preview's call ended: its attempt logged and the lead rescheduled (None: finished), or, when
    the customer was never dialled (`attempt` None), the lead due again from `now`; the row goes."""
    with write_transaction(engine, f"finishing agent {preview.agent_id}'s preview") as connection:
        if attempt is None:
            _due_again(connection, preview.lead_id, now)
        else:
            record_attempt_in(connection, attempt)
            schedule_in(connection, preview.lead_id, next_at, attempt.outcome)
        connection.execute(
            delete(PREVIEWS).where(PREVIEWS.c.agent_id == preview.agent_id, PREVIEWS.c.token == preview.token)
        )


def drop_blocked(engine: Engine, preview: Preview, phone: str, now: dt.datetime) -> None:
    """The claimed number is on a do-not-call list: logged as a `blocked` attempt, the lead finished
    (`blocked`), the row gone; never shown to the agent."""
    attempt = Attempt(
        campaign=preview.campaign,
        phone_e164=phone,
        attempt_no=0,
        started_at=now,
        outcome=AttemptOutcome.BLOCKED,
        lead_id=preview.lead_id,
        ended_at=now,
        agent_id=preview.agent_id,
    )
    with write_transaction(engine, f"dropping blocked lead {preview.lead_id}") as connection:
        attempt_no = connection.execute(
            select(LEADS.c.attempts).where(LEADS.c.id == preview.lead_id)
        ).scalar_one()
        record_attempt_in(connection, dataclasses.replace(attempt, attempt_no=attempt_no))
        schedule_in(connection, preview.lead_id, None, AttemptOutcome.BLOCKED)
        connection.execute(delete(PREVIEWS).where(PREVIEWS.c.agent_id == preview.agent_id))


def lead_attempts(engine: Engine, lead_id: int) -> list[Attempt]:
    """The lead's attempts, oldest first."""
    query = (
        select(ATTEMPTS).where(ATTEMPTS.c.lead_id == lead_id).order_by(ATTEMPTS.c.started_at, ATTEMPTS.c.id)
    )
    fields = Attempt.__dataclass_fields__
    with read_connection(engine, f"reading lead {lead_id}'s attempts") as connection:
        rows = connection.execute(query).all()
    return [
        Attempt(
            **{name: value for name, value in row._mapping.items() if name in fields and name != "outcome"},
            outcome=AttemptOutcome(row.outcome),
        )
        for row in rows
    ]


def _locked(connection: Connection, agent_id: str) -> Preview:
    row = connection.execute(
        select(PREVIEWS).where(PREVIEWS.c.agent_id == agent_id).with_for_update()
    ).first()
    if row is None:
        raise NotFound(f"agent {agent_id} has no preview")
    return _preview(row)


def _due_again(connection: Connection, lead_id: int, now: dt.datetime) -> None:
    connection.execute(
        update(LEADS).where(LEADS.c.id == lead_id, LEADS.c.status == PENDING).values(next_attempt_at=now)
    )


def _preview(row: Row[Any]) -> Preview:
    mapping = row._mapping
    return Preview(**{name: mapping[PREVIEWS.c[name]] for name in Preview.__dataclass_fields__})


def _lead_of(row: Row[Any]) -> Lead:
    mapping = row._mapping
    return Lead(**{name: mapping[LEADS.c[name]] for name in Lead.__dataclass_fields__})
