"""Crash drills on the real switch (issue 11): what callers and call records go through when the
application server dies under load.

Drill (a): 200 callers are in the application server's hands (menus and the roadside queue, each on
its own outbound socket) when `callcenter serve` is killed with SIGKILL. FreeSWITCH runs each
call's next dialplan action, the DID's fallback (ring the coordinators, then a message and a
hang-up). Checked: every caller reaches the fallback within 3 s of the kill (the moment
mod_json_cdr's caller profile for context cc_fallback was made), no channel is left after 60 s,
and once the server is started again every call has its row, ended, with the fallback as its
outcome: the calls that ended while the server was dead are read from FreeSWITCH's own CDR files
(esl_handlers.cdr_backstop).

Skipped, saying why, without a FreeSWITCH binary (PATH or FREESWITCH_BIN) or sipp.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import signal
import statistics
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from sipp_scenarios.switch import esl_api
from tests.support.live import harness
from tests.support.live.harness import Build, Live
from tests.support.live.load import OutputSince, start_load, worker_of

pytestmark = [pytest.mark.live, pytest.mark.solo]

ROADSIDE_DID = "4002"
CALLERS = 200
RATE = 20  # calls per second
REACH_FALLBACK_WITHIN = 3.0  # seconds after the kill
NO_CHANNEL_AFTER = 60.0


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, build: Build | None) -> Iterator[Live]:
    work = tmp_path_factory.mktemp("live_drills")
    with harness.live_switch(work, build, call_control="socket") as running:
        yield running


def waiting_caller(work: Path) -> Path:
    """Answered, says nothing, and waits up to 3 minutes for the switch to hang up."""
    work.mkdir(parents=True, exist_ok=True)
    path = work / "drill_caller.xml"
    steps = harness.invite(caller="+15550001000", tag="Drill") + harness.await_bye()
    path.write_text(harness.scenario("drill caller", steps), encoding="utf-8")
    return path


def start_callers(live: Live, work: Path, count: int = CALLERS) -> subprocess.Popen[bytes]:
    return start_load(
        live, work, waiting_caller(work), did=ROADSIDE_DID, rate=RATE, total=count, limit=count, timeout_s=240
    )


def channels(live: Live) -> list[dict[str, Any]]:
    body = esl_api(live.endpoints, "show channels as json")
    rows: list[dict[str, Any]] = json.loads(body).get("rows", [])
    return rows


def wait_until(condition: Any, timeout: float, what: str) -> float:
    """Poll `condition` every 0.2 s; the seconds it took, or the test fails saying `what`."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if condition():
            return time.monotonic() - start
        time.sleep(0.2)
    pytest.fail(f"{what} not within {timeout:.0f} s")


# switch_ivr_session_transfer() logs, after the channel's uuid and the time: "<uuid> 2026-12-07
# 06:20:33.741418 69.30% [NOTICE] switch_ivr.c:2303 Transfer <channel> to XML[4002@cc_fallback]"
_AT_FALLBACK = re.compile(
    rf"^(?P<uuid>[0-9a-f-]{{36}}) (?P<at>\d{{4}}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+) .*"
    rf"Transfer \S+ to XML\[{ROADSIDE_DID}@cc_fallback\]",
    re.MULTILINE,
)


def fallback_times(log: Path) -> dict[str, float]:
    """When each call was transferred to the fallback context (epoch seconds; the log is in UTC)."""
    text = log.read_text(encoding="utf-8", errors="replace")
    return {
        m["uuid"]: dt.datetime.fromisoformat(m["at"]).replace(tzinfo=dt.UTC).timestamp()
        for m in _AT_FALLBACK.finditer(text)
    }


def in_our_hands(live: Live) -> set[str]:
    """The answered calls still in the DID context: the application server has them."""
    return {
        r["uuid"] for r in channels(live) if r.get("callstate") == "ACTIVE" and r.get("context") == "public"
    }


def wait_in_our_hands(live: Live, count: int) -> set[str]:
    wait_until(
        lambda: len(in_our_hands(live)) == count, count / RATE + 60, f"{count} calls on the outbound socket"
    )
    return in_our_hands(live)


def test_the_application_server_killed_under_200_calls(live: Live) -> None:
    work = live.work / "drill_kill"
    cdr_dir = live.settings.cdr_dir
    with harness.app_server(live) as supervisor:
        callers = start_callers(live, work)

        wait_in_our_hands(live, CALLERS)
        assert not list(cdr_dir.glob("*.cdr.json")), "no call may have ended before the kill"
        worker = worker_of(supervisor)
        killed_at = time.time()
        os.kill(worker, signal.SIGKILL)
        wait_until(lambda: not channels(live), NO_CHANNEL_AFTER, "every channel gone after the kill")
        assert callers.wait(timeout=120) == 0, (work / "stat.csv").read_text(errors="replace")[-2000:]

        reached = fallback_times(live.switch.log_dir / "freeswitch.log")
        assert len(reached) == CALLERS
        delays = {uuid: at - killed_at for uuid, at in reached.items()}
        slow = sorted(delay for delay in delays.values() if delay > REACH_FALLBACK_WITHIN)
        assert not slow, f"{len(slow)} callers reached the fallback late (s after the kill): {slow[:10]}"
        median, longest = statistics.median(delays.values()), max(delays.values())
        print(
            f"\n{live.release}: {CALLERS} callers at the fallback after the kill: "
            f"median {median * 1000:.0f} ms, max {longest * 1000:.0f} ms"
        )
        assert worker_of(supervisor) != worker, "the supervisor starts a new worker"

        engine = sa.create_engine(harness.database_url(live))
        try:

            def all_recorded() -> bool:
                with engine.connect() as connection:
                    rows = connection.execute(
                        sa.text(
                            "SELECT uuid FROM calls WHERE did = :did AND ended_at IS NOT NULL"
                            " AND outcome = 'fallback' AND hangup_cause = 'NORMAL_TEMPORARY_FAILURE'"
                        ),
                        {"did": ROADSIDE_DID},
                    ).scalars()
                    return set(rows) == set(reached)

            took = wait_until(all_recorded, 60, f"all {CALLERS} calls recorded as ended at the fallback")
        finally:
            engine.dispose()
        wait_until(lambda: not list(cdr_dir.glob("*.cdr.json")), 15, "the CDR files ingested and removed")
    print(f"{live.release}: every call's record complete {took:.1f} s after the callers hung up")


RESTART_CALLERS = 10


@pytest.mark.parametrize("how", ["killed", "stopped"])
def test_freeswitch_restarted_under_the_server(live: Live, how: str) -> None:
    """FreeSWITCH killed with SIGKILL (no record of its calls) or stopped cleanly (a CDR file for
    each call it hangs up), then started again on the same conf: the server reconnects, closes the
    calls the switch lost, reconciles the agents, says so in its log, and takes new calls."""
    work = live.work / f"drill_restart_{how}"
    with harness.app_server(live):
        server_log = OutputSince(live.work / "app_server.out")
        callers = start_callers(live, work, RESTART_CALLERS)
        held = wait_in_our_hands(live, RESTART_CALLERS)
        if how == "killed":
            assert live.switch.pid is not None
            os.kill(live.switch.pid, signal.SIGKILL)
        live.switch.stop()  # SIGTERM (a clean shutdown) unless it is dead already; reaped either way
        callers.kill()
        callers.wait()
        live.switch.start()
        wait_until(lambda: "reconnected to FreeSWITCH" in server_log.text(), 60, "the server's reconnection")
        line = next(x for x in server_log.text().splitlines() if "reconnected to FreeSWITCH" in x)
        # Stopped cleanly, the switch hangs its calls up and reports each before it closes the event
        # socket: nothing is left to close. Killed, it reports nothing: every call is closed here.
        lost = RESTART_CALLERS if how == "killed" else 0
        expected = f"0 calls still up, {lost} ended meanwhile (0 from its CDR files, {lost} closed as CRASH"
        assert expected in line, server_log.text()[-4000:]
        assert "lost FreeSWITCH" in server_log.text()
        print(f"\n{live.release}, FreeSWITCH {how}: {line}")

        engine = sa.create_engine(harness.database_url(live))
        try:

            def all_closed() -> dict[str, str]:
                with engine.connect() as connection:
                    rows = connection.execute(
                        sa.text("SELECT uuid, hangup_cause FROM calls WHERE ended_at IS NOT NULL")
                    ).all()
                return {uuid: cause for uuid, cause in rows if uuid in held}

            wait_until(lambda: len(all_closed()) == RESTART_CALLERS, 30, "every lost call closed")
            causes = set(all_closed().values())
            assert causes == ({"CRASH"} if how == "killed" else {"SYSTEM_SHUTDOWN"}), causes
        finally:
            engine.dispose()

        # New calls are taken as before: one more caller reaches the menu of the restarted switch.
        after = start_callers(live, work / "after", 1)
        try:
            wait_in_our_hands(live, 1)
        finally:
            after.kill()
            after.wait()
