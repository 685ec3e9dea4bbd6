"""Drill (b) on the real switch (issue 11): the database down while calls keep coming.

20 calls a second reach the roadside line through the real FreeSWITCH; each caller is answered,
hears the menu for 2 s and hangs up. The server's PostgreSQL (a cluster of the test's own) is
stopped for CALLCENTER_DRILL_OUTAGE seconds (60 by default; `make drill-outage` runs the issue's
10 minutes), then started again. Checked: every call SIPp placed has exactly one row, ended, with
its IVR steps; nothing is dead-lettered; the server never loses its event socket (FreeSWITCH drops a
listener that falls behind: mod_event_socket.c "Killing listener because of too many lost events");
the worker's memory stays within a stated bound while the records wait (esl_handlers.record_spool).

Skipped, saying why, without a FreeSWITCH binary (PATH or FREESWITCH_BIN) or sipp.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from schema.migrate import upgrade
from sipp_scenarios.sipp_run import call_counts
from tests.support.live import harness
from tests.support.live.harness import Build, Live
from tests.support.live.load import OutputSince, hanging_up_scenario, rss, start_load, worker_of
from tests.support.postgres import throwaway_server

pytestmark = [pytest.mark.live, pytest.mark.solo]

DID = "4002"
RATE = 20  # calls per second
OUTAGE = float(os.environ.get("CALLCENTER_DRILL_OUTAGE", "60"))  # seconds without the database
BEFORE, AFTER = 10.0, 20.0  # calls before the outage and after the database is back
HOLD_MS = 2000
RSS_GROWTH_BOUND = 150 * 1024 * 1024  # the worker's growth while the records wait, in bytes


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, build: Build | None) -> Iterator[Live]:
    work = tmp_path_factory.mktemp("live_outage")
    with harness.live_switch(work, build, call_control="socket") as running:
        yield running


def test_the_database_down_while_20_calls_a_second_come_in(live: Live) -> None:
    total = int(RATE * (BEFORE + OUTAGE + AFTER))
    work = live.work / "outage"
    server_out = live.work / "app_server.out"
    freeswitch_log = live.switch.log_dir / "freeswitch.log"
    with throwaway_server("callcenter-pg-outage-") as database:
        url = database.url(database.create_database("outage"))
        upgrade(url)
        with harness.app_server(live, database=url) as supervisor:
            server_text, switch_text = OutputSince(server_out), OutputSince(freeswitch_log)
            worker = worker_of(supervisor)
            callers = start_load(
                live,
                work,
                hanging_up_scenario(work),
                did=DID,
                rate=RATE,
                total=total,
                limit=RATE * 10,
                timeout_s=int(BEFORE + OUTAGE + AFTER + 120),
                extra=("-d", str(HOLD_MS)),
            )
            time.sleep(BEFORE)
            baseline = rss(worker)
            database.stop()
            peak, outage_ends = baseline, time.monotonic() + OUTAGE
            while time.monotonic() < outage_ends:
                peak = max(peak, rss(worker))
                time.sleep(1)
            database.start()
            back = time.monotonic()
            callers.wait(timeout=BEFORE + OUTAGE + AFTER + 180)
            successful, failed = call_counts(work / "stat.csv")
            assert (successful, failed) == (total, 0), (work / "stat.csv").read_text()[-2000:]

            engine = sa.create_engine(url)
            try:
                deadline = time.monotonic() + 180
                while time.monotonic() < deadline:
                    with engine.connect() as connection:
                        ended = connection.execute(
                            sa.text("SELECT count(*) FROM calls WHERE did = :did AND ended_at IS NOT NULL"),
                            {"did": DID},
                        ).scalar_one()
                    if ended >= total:
                        break
                    time.sleep(1)
                caught_up = time.monotonic() - back
                with engine.connect() as connection:
                    rows = connection.execute(sa.text("SELECT count(*) FROM calls")).scalar_one()
                    without_steps = connection.execute(
                        sa.text(
                            "SELECT count(*) FROM calls c WHERE NOT EXISTS"
                            " (SELECT 1 FROM ivr_steps s WHERE s.call_uuid = c.uuid)"
                        )
                    ).scalar_one()
            finally:
                engine.dispose()
    assert (ended, rows, without_steps) == (total, total, 0), server_text.text()[-4000:]
    assert "lost FreeSWITCH" not in server_text.text()
    assert "Killing listener" not in switch_text.text()
    assert "Lost [" not in switch_text.text()
    assert not (live.work / "var" / "dead_letter.jsonl").exists()
    growth = peak - baseline
    assert growth < RSS_GROWTH_BOUND, f"the worker grew by {growth / 2**20:.0f} MiB during the outage"
    print(
        f"\n{live.release}: {total} calls at {RATE}/s, database down {OUTAGE:.0f} s: all {total} recorded "
        f"{caught_up:.1f} s after it came back; worker RSS {baseline / 2**20:.0f} MiB before, "
        f"peak {peak / 2**20:.0f} MiB during (+{growth / 2**20:.0f} MiB)"
    )
