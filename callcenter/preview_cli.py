"""`callcenter campaign preview …`: preview dialling from the command line, for engineers and QA.

- `preview next CAMPAIGN AGENT`: the agent's next record (reserved for them, as the API's
  POST /api/campaigns/{name}/previews); prints it, its previous attempts and the campaign's script;
- `preview show AGENT`: the record the agent is previewing and its state;
- `preview dial AGENT`: the running `callcenter serve` dials it within a second (the agent's phone
  first, then the customer);
- `preview skip AGENT`: the record goes back undialled, no attempt counted; the agent is available.
`--json` prints the API's `PreviewView` instead. They act with the call server's own rights (agent state
log: cli@<host>) and tell the local server the agent changed, as `callcenter agent` does. Exit 0 done,
1 refused or failed (the reason on stderr), 3 no lead due now.
"""

from __future__ import annotations

import argparse
import datetime as dt
import socket
import sys
from pathlib import Path
from typing import Final

from sqlalchemy import Engine

from esl_handlers.control import send_agent_changed
from schema.campaigns import preview_desk
from schema.campaigns.desk import CampaignPlan
from schema.campaigns.previews import PreviewRefused
from schema.campaigns.views import PreviewView
from schema.viewer import SYSTEM

EXIT_NOTHING_DUE: Final = 3


def add_preview_parser(actions: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `preview` to `callcenter campaign`'s actions."""
    preview = actions.add_parser("preview", help="preview dialling: an agent's next record, dial or skip it")
    steps = preview.add_subparsers(dest="step", required=True)
    shown = steps.add_parser("next", help="reserve the agent's next record of a preview campaign")
    shown.add_argument("campaign")
    shown.add_argument("agent")
    for step, text in (("show", "the agent's record"), ("dial", "dial it"), ("skip", "let it go undialled")):
        steps.add_parser(step, help=text).add_argument("agent")
    for parser in steps.choices.values():
        parser.add_argument("--json", action="store_true", help="print the record as the API's JSON")


def utc_now() -> dt.datetime:
    """The clock the preview steps read (a test sets it inside the campaign's calling window)."""
    return dt.datetime.now(dt.UTC)


def run_preview(args: argparse.Namespace, engine: Engine, plan: CampaignPlan, control_socket: Path) -> int:
    now = utc_now()
    server = f"cli@{socket.gethostname()}"
    try:
        if args.step == "next":
            view = preview_desk.next_preview(
                engine, SYSTEM, args.campaign, args.agent, plan, server=server, now=now
            )
            send_agent_changed(control_socket, args.agent)  # reserved (on PostgreSQL, NOTIFY has told it)
            if view is None:
                print(f"campaign {args.campaign}: no lead is due in its calling window now")
                return EXIT_NOTHING_DUE
        elif args.step == "show":
            view = preview_desk.current_preview(engine, SYSTEM, args.agent, plan)
        elif args.step == "dial":
            view = preview_desk.dial_preview(engine, SYSTEM, args.agent, plan, now=now)
        else:
            released = preview_desk.skip_preview(engine, SYSTEM, args.agent, server=server, now=now)
            send_agent_changed(control_socket, args.agent)
            print(f"agent {args.agent}: lead {released.lead_id} skipped; the agent is available")
            return 0
    except PreviewRefused as exc:
        print(f"callcenter campaign preview {args.step}: {exc}", file=sys.stderr)
        return 1
    print(view.model_dump_json() if args.json else preview_text(view))
    return 0


def preview_text(view: PreviewView) -> str:
    lead = view.lead
    lines = [
        f"campaign {view.campaign}, agent {view.agent_id}: lead {lead.id} {view.state} "
        f"(until {view.expires_at:%H:%M:%S} UTC unless dialled; call {view.call_uuid})",
        f"  {lead.name or '(no name)'}  {lead.phone}  zones {lead.time_zones}  attempts {lead.attempts}",
    ]
    extra = ", ".join(f"{key}={value}" for key, value in sorted(lead.fields.items()))
    if extra:
        lines.append(f"  fields: {extra}")
    for attempt in view.previous_attempts:
        by = f" by agent {attempt.agent_id}" if attempt.agent_id else ""
        closed = f", closed {attempt.disposition}" if attempt.disposition else ""
        lines.append(f"  attempt {attempt.attempt_no} {attempt.started_at:%Y-%m-%d %H:%M} UTC: "
                     f"{attempt.outcome}{by}{closed}")  # fmt: skip
    if view.script is not None:
        lines.append(f"  script {view.script.name}: {view.script.intro or ''}".rstrip())
        lines.extend(f"    {q.id} ({q.kind}): {q.text}" for q in view.script.questions)
    return "\n".join(lines)
