"""Checks of the `campaigns:` part of a dialplan: references, caller ID, dates, window, abandon rules.

Like the other check modules, every function reports all it finds as `Finding`s and never raises.
"""

from __future__ import annotations

from collections.abc import Iterator
from zoneinfo import ZoneInfo

import phonenumbers

from dialplans.campaign_models import Campaign
from dialplans.campaign_vocabulary import DialMode, Jurisdiction
from dialplans.crm_checks import normalise_number
from dialplans.errors import Finding, NodePath, unknown_reference
from dialplans.models import Dialplan

# The most a jurisdiction lets a campaign abandon: FTC TSR (us) and Ofcom (uk) both say 3%.
ABANDON_CEILING: dict[Jurisdiction, float] = {Jurisdiction.US: 3.0, Jurisdiction.UK: 3.0}


def check_campaigns(plan: Dialplan) -> list[Finding]:
    findings: list[Finding] = []
    for name, campaign in plan.campaigns.items():
        path: NodePath = ("campaigns", name)
        findings += [
            *_staff(plan, path, campaign),
            *_lists(path, campaign),
            *_dates(path, campaign),
            *_caller_id(plan, path, campaign),
            *_window(path, campaign),
            *_abandon(plan, path, campaign),
            *_machine(plan, path, campaign),
            *_script(plan, path, campaign),
        ]
    used = {campaign.script for campaign in plan.campaigns.values()}
    for name in plan.scripts:
        if name not in used:
            findings.append(Finding(("scripts", name), f"script {name!r} is used by no campaign", "warning"))
    return findings


def campaign_region(plan: Dialplan, campaign: Campaign) -> str:
    """The region of a campaign's national numbers: its own, else the CRM's default."""
    return campaign.region or plan.crm.default_region


def campaign_prompts(plan: Dialplan) -> set[str]:
    """Every prompt a campaign plays: identification messages and answering-machine messages."""
    played: set[str] = set()
    for campaign in plan.campaigns.values():
        played.update(p for p in (campaign.abandon.message, campaign.machine.message) if p is not None)
    return played


def campaign_queues(plan: Dialplan) -> set[str]:
    return {c.queue for c in plan.campaigns.values() if c.queue is not None}


def _staff(plan: Dialplan, path: NodePath, campaign: Campaign) -> Iterator[Finding]:
    if not campaign.agents and campaign.queue is None:
        yield Finding(path, "this campaign has no agents and no queue: nobody would take its calls")
    if campaign.queue is not None and campaign.queue not in plan.queues:
        yield Finding((*path, "queue"), unknown_reference("queue", campaign.queue, plan.queues))
    seen: dict[str, int] = {}
    for index, agent in enumerate(campaign.agents):
        if agent not in plan.agents:
            yield Finding((*path, "agents", index), unknown_reference("agent", agent, plan.agents))
        elif agent in seen:
            yield Finding(
                (*path, "agents", index), f"agent {agent!r} is already agents[{seen[agent]}]", "warning"
            )
        seen.setdefault(agent, index)


def _lists(path: NodePath, campaign: Campaign) -> Iterator[Finding]:
    seen: dict[str, int] = {}
    for index, name in enumerate(campaign.lists):
        if name in seen:
            yield Finding((*path, "lists", index), f"list {name!r} is already lists[{seen[name]}]", "warning")
        seen.setdefault(name, index)


def _dates(path: NodePath, campaign: Campaign) -> Iterator[Finding]:
    if campaign.start is not None and campaign.end is not None and campaign.end < campaign.start:
        yield Finding(
            (*path, "end"), f"the campaign ends on {campaign.end}, before it starts on {campaign.start}"
        )


def _caller_id(plan: Dialplan, path: NodePath, campaign: Campaign) -> Iterator[Finding]:
    region = campaign_region(plan, campaign)
    if region not in phonenumbers.SUPPORTED_REGIONS:
        if campaign.region is not None:
            yield Finding(
                (*path, "region"),
                f"no phone numbering plan is known for region {region!r}; use an ISO 3166 code, e.g. GB",
            )
        return  # the CRM's own region is reported by the CRM checks
    e164, why = normalise_number(campaign.caller_id.number, region)
    if e164 is None:
        yield Finding(
            (*path, "caller_id", "number"),
            f"{campaign.caller_id.number!r} cannot be shown as a caller ID in region {region}: {why}",
        )


def _window(path: NodePath, campaign: Campaign) -> Iterator[Finding]:
    window = campaign.window
    if window.end <= window.start:
        yield Finding(
            (*path, "window", "end"),
            f"the window ends at {window.end}, not after it starts at {window.start}; "
            "calling windows cannot run past midnight",
        )
    if window.time_zone is not None:
        try:
            ZoneInfo(window.time_zone)
        except (KeyError, ValueError, OSError):  # ZoneInfoNotFoundError is a KeyError
            yield Finding(
                (*path, "window", "time_zone"),
                f"unknown time zone {window.time_zone!r}; use an IANA name such as 'America/Chicago'",
            )


def _abandon(plan: Dialplan, path: NodePath, campaign: Campaign) -> Iterator[Finding]:
    ceiling = ABANDON_CEILING[campaign.jurisdiction]
    if campaign.abandon.limit_percent > ceiling:
        yield Finding(
            (*path, "abandon", "limit_percent"),
            f"{campaign.abandon.limit_percent:g}% is over the {ceiling:g}% of abandoned calls "
            f"jurisdiction {campaign.jurisdiction} allows",
        )
    message = campaign.abandon.message
    if message is not None and message not in plan.prompts:
        yield Finding((*path, "abandon", "message"), unknown_reference("prompt", message, plan.prompts))
    if message is None and campaign.dial_mode == DialMode.PREDICTIVE:
        yield Finding(
            path,
            "a predictive campaign drops calls when no agent is free, and each dropped call must hear "
            "who called: name the prompt in abandon.message",
        )


def _machine(plan: Dialplan, path: NodePath, campaign: Campaign) -> Iterator[Finding]:
    message = campaign.machine.message
    if message is not None and message not in plan.prompts:
        yield Finding((*path, "machine", "message"), unknown_reference("prompt", message, plan.prompts))
    if campaign.retries.machine is not None and campaign.machine.action != "retry":
        yield Finding(
            (*path, "retries", "machine"),
            f"retries.machine is never used: with machine action {campaign.machine.action} a machine "
            "answer ends the number's calls",
            "warning",
        )


def _script(plan: Dialplan, path: NodePath, campaign: Campaign) -> Iterator[Finding]:
    if campaign.script is not None and campaign.script not in plan.scripts:
        yield Finding((*path, "script"), unknown_reference("script", campaign.script, plan.scripts))
    if not campaign.dispositions:
        yield Finding((*path, "dispositions"), "a campaign needs at least one disposition to close its calls")
