"""`Application.stop`: call records are flushed whatever other part fails to stop.

A part failing to stop (a control socket whose file cannot be removed, a listener whose socket is
already gone) used to end the shutdown there, before the record writer flushed: records still
queued were lost. Here the failing parts submit a record as they fail, the way a late hang-up
event arrives during a shutdown, and the record must be in the database once `stop` returns.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from callcenter.server import Application
from schema.calls.queries import call_with_steps
from schema.calls.records import CallUpdate
from schema.db import create_engine_from_url, session_scope
from tests.support.server_configs import wire_config
from tests.support.standin import InboundSwitch

pytestmark = pytest.mark.wire

PASSWORD = "wire-test-secret-0123456789"


@pytest.fixture
def app(database_url: str, tmp_path: Path) -> Iterator[Application]:
    events = InboundSwitch(password=PASSWORD)
    events.start()
    application = Application(wire_config(events, PASSWORD, database_url, tmp_path))
    application.start()
    try:
        assert events.wait_for_subscribers(1, timeout=5)
        yield application
    finally:
        events.stop()


def stored(database_url: str, uuid: str) -> bool:
    engine = create_engine_from_url(database_url)
    try:
        with session_scope(engine) as session:
            return call_with_steps(session, uuid) is not None
    finally:
        engine.dispose()


def failing_stop(app: Application, uuid: str) -> None:
    app.writer.submit(CallUpdate(uuid=uuid, direction="inbound", outcome="hangup"))
    raise PermissionError(13, "Permission denied", "var/control.sock")


def test_records_are_flushed_when_other_parts_fail_to_stop(
    app: Application, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    listener_stop, server_stop = app.listener.stop, app.server.stop
    monkeypatch.setattr(app.listener, "stop", lambda: failing_stop(app, "late-1"))
    monkeypatch.setattr(app.server, "stop", lambda timeout=None: failing_stop(app, "late-2"))
    try:
        failed = app.stop()
    finally:
        listener_stop()
        server_stop(timeout=5)
    assert failed == ["event listener", "call server"]
    assert stored(database_url, "late-1")
    assert stored(database_url, "late-2")
