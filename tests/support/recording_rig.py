"""What the recording wire tests share: a dialplan with recording policies writing under the test's
temporary directory, and reading the recordings table back (tests/support/acd_rig.py runs the rest)."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path
from typing import Any

from sqlalchemy import MetaData, select

from schema.db import create_engine_from_url
from schema.recording.models import Recording
from tests.support.acd_rig import Rig
from tests.support.standin import ScriptedCall

CARD = "4111111111111111"
SAMPLE_PERCENT = 25


def recording_dialplan(directory: Path) -> str:
    return f"""
version: 1
prompts:
  options: {{text: "Sales 1. Pay by card 2. Goodbye 9."}}
  notice: {{text: "Calls are recorded."}}
  ask_card: {{text: "Key in your card number, then hash."}}
  no_card: {{text: "We could not find that card."}}
  thanks: {{text: "Thank you."}}
recording:
  directory: {directory}
  policies:
    line: {{mode: all, stereo: false, announce: notice, retention_days: 30}}
    conversations: {{mode: all, stereo: true, retention_days: 365}}
    quarter: {{mode: percent, percent: {SAMPLE_PERCENT}, stereo: false}}
queues:
  sales:
    extension: "2001"
    tiers: [{{agent: "1001"}}]
    wrap_up: 0
    ring_timeout: 5
    recording: conversations
agents:
  "1001": {{name: Alice, department: sales}}
  "1002": {{name: Ben, department: service}}
  "1003": {{name: Chloe, department: sales}}
self_service:
  card:
    ask: ask_card
    by: account
    min_digits: 12
    max_digits: 19
    answer: [{{prompt: thanks}}]
    not_found: no_card
    then: hangup
    sensitive: true
menus:
  main:
    prompt: options
    max_retries: 1
    options:
      "1": {{transfer: {{queue: sales}}}}
      "2": {{lookup: card}}
      "9": {{hangup: {{}}}}
    fallback: {{hangup: {{}}}}
dids:
  "4001": {{menu: main, recording: line}}
  "4002": {{menu: main, recording: quarter}}
"""


def settle(rig: Rig, call: ScriptedCall) -> ScriptedCall:
    """The call over, its stopped files hashed, and every record written."""
    rig.finish(call)
    assert rig.app.recording_events.wait(10)
    assert rig.app.writer.flush(10)
    return call


def recordings(rig: Rig, call_uuid: str | None = None) -> list[Recording]:
    rows: list[Recording] = rig._rows(
        Recording, None if call_uuid is None else Recording.call_uuid == call_uuid
    )
    return sorted(rows, key=lambda row: row.path)


def file_facts(path: str) -> tuple[int, str]:
    data = Path(path).read_bytes()
    return len(data), hashlib.sha256(data).hexdigest()


def day_path(directory: Path, call_uuid: str, started: dt.datetime, suffix: str = "") -> str:
    return f"{directory}/{started.astimezone(dt.UTC):%Y/%m/%d}/{call_uuid}{suffix}.wav"


def every_stored_value(database_url: str) -> str:
    """Every row of every table, as text: what a secret must not be found in."""
    engine = create_engine_from_url(database_url)
    try:
        metadata = MetaData()
        metadata.reflect(engine)
        parts: list[Any] = []
        with engine.connect() as connection:
            for table in metadata.sorted_tables:
                parts.extend(connection.execute(select(table)).all())
        return "\n".join(repr(row) for row in parts)
    finally:
        engine.dispose()
