"""The terminal simulator: one call through the IVR runner over a TerminalChannel."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from dialplans.models import Dialplan
from ivr_scripts.channel import CallInfo
from ivr_scripts.crm import CallerDirectory
from ivr_scripts.journal import ListSink, Outcome
from ivr_scripts.prompts import PromptBook
from ivr_scripts.runner import IvrRunner
from ivr_scripts.terminal import TerminalChannel


def simulate(
    dialplan: Dialplan,
    sounds_dir: Path,
    *,
    did: str,
    keys: str,
    caller: str = "+15551230001",
    at: dt.datetime | None = None,
    hang_up_after: int | None = None,
    out: Callable[[str], None] = print,
    directory: CallerDirectory | None = None,
) -> Outcome:
    when = at or dt.datetime.now(dt.UTC)
    runner = IvrRunner(
        dialplan, PromptBook.build(dialplan, sounds_dir), clock=lambda: when, directory=directory
    )
    channel = TerminalChannel(
        CallInfo("simulated-call", caller, caller, did), keys, out=out, hang_up_after=hang_up_after
    )
    out(f"call from {caller} to {did} at {when.isoformat()}")
    sink = ListSink()
    outcome = runner.run(channel.leg, sink)
    out(f"outcome: {outcome.kind}" + (f" -> {outcome.destination}" if outcome.destination else ""))
    out("menus visited: " + (" > ".join(outcome.menu_path) or "none"))
    return outcome
