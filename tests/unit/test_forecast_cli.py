"""`callcenter forecast` on a seeded SQLite database: the table, the CSV, bad input; and the plan rows."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from ivr_scripts.forecast.erlang import Target
from ivr_scripts.forecast.history import IntervalDemand
from ivr_scripts.forecast.plan import staffing_plan
from tests.support.cli import callcenter_output, seeded_cli_database
from tests.support.queue_history import seed

HEADER = "INTERVAL      CALLS   AHT s  ERLANGS AGENTS SCHEDULED   SL %   ASA s  OCC %"
HISTORY = ("--from", "2026-11-02", "--to", "2026-11-29", "--tz", "Europe/Berlin")


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    with seeded_cli_database(tmp_path, monkeypatch, seed) as engine:
        yield engine


def test_the_plan_of_the_call_centre_helper_example() -> None:
    demand = [
        IntervalDemand(dt.time(9, 0), 100.0, 180.0),
        IntervalDemand(dt.time(9, 30), 0.0, 180.0),
        IntervalDemand(dt.time(10, 0), 3.0, None),
    ]
    busy, quiet, unknown = staffing_plan(demand, 30, Target(0.8, 20, max_occupancy=0.85), 0.3)
    assert (busy.start, busy.end, busy.scheduled) == (dt.time(9, 0), dt.time(9, 30), 20)
    assert busy.staffing is not None
    assert busy.staffing.agents == 14
    assert quiet.staffing is not None
    assert (quiet.staffing.agents, quiet.scheduled) == (0, 0)
    assert (unknown.staffing, unknown.scheduled, unknown.end) == (None, None, dt.time(10, 30))
    (midnight,) = staffing_plan([IntervalDemand(dt.time(23, 0), 1.0, 60.0)], 60, Target())
    assert midnight.end == dt.time(0, 0)


def test_a_table_per_queue_for_the_weekday(database: Engine, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = callcenter_output(capsys, "forecast", "sales", *HISTORY, "--weekday", "tue")

    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0].startswith("sales: forecast for a Tuesday from 4 Tuesday(s), 2026-11-03 to 2026-11-24")
    assert "(Europe/Berlin); 30-minute intervals, mean of the days" in lines[0]
    assert lines[1] == "target: 80 % answered within 20 s, occupancy at most 85 %; shrinkage 30 %"
    assert lines[2] == (
        "measured over the history (every day): 2 offered, 100.0 % within 20 s, ASA 5.0 s, "
        "0.0 % abandoned (Erlang C assumes none: docs/reports.md)"
    )
    assert lines[3] == HEADER
    # 2 calls of 170 s in 30 min: 0.19 Erlangs; one agent answers 82.8 % within 20 s, ASA 39.6 s;
    # 1 / 0.7 -> 2 scheduled.
    assert lines[4].split() == ["09:00-09:30", "2.00", "170.0", "0.19", "1", "2", "82.8", "39.6", "18.9"]
    assert lines[5].split()[:6] == ["09:30-10:00", "0.00", "170.0", "0.00", "0", "0"]
    assert lines[6].split()[:6] == ["10:00-10:30", "0.25", "170.0", "0.02", "1", "2"]
    assert lines[7] == ""


def test_csv_and_the_options(database: Engine, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = callcenter_output(
        capsys, "forecast", "sales", *HISTORY, "--weekday", "tue", "--csv", "--statistic", "max",
        "--interval", "60", "--service-level", "95/10", "--shrinkage", "50", "--max-occupancy", "100",
    )  # fmt: skip

    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["queue"], r["weekday"], r["start"], r["end"], r["calls"]) for r in rows] == [
        ("sales", "tue", "09:00", "10:00", "4"),
        ("sales", "tue", "10:00", "11:00", "1"),
    ]
    nine = rows[0]
    assert (nine["aht_s"], nine["traffic_erlangs"]) == ("170.00", f"{4 * 170 / 3600:.4f}")
    assert (nine["agents_required"], nine["agents_scheduled"]) == ("2", "4")  # 95 % in 10 s needs a 2nd
    assert float(nine["service_level"]) >= 0.95


def test_an_asa_target_alone_and_the_default_weekday(
    database: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = callcenter_output(
        capsys, "forecast", "sales", *HISTORY, "--service-level", "none", "--asa", "30"
    )

    assert code == 0  # the day after Sunday 11-29 is a Monday: no Monday had a call
    assert "forecast for a Monday from 4 Monday(s)" in out
    assert "target: ASA at most 30 s" in out
    assert "(no call joined on this weekday in the history)" in out


def test_a_queue_without_history(database: Engine, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = callcenter_output(capsys, "forecast", "salse", *HISTORY)
    assert code == 1
    assert "measured over the history: no call left the queue" in out
    assert "no call joined queue salse from 2026-11-02 to 2026-11-29 (Europe/Berlin)" in err

    code, _, err = callcenter_output(capsys, "forecast", "sales", "salse", *HISTORY, "--weekday", "tue")
    assert code == 0  # one of the queues has history; the other is named on stderr
    assert "queue salse" in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("--to", "2026-11-01"), "the history ends (2026-11-01) before it begins (2026-11-02)"),
        (("--to", "2026-11-02", "--weekday", "tue"), "no tue between 2026-11-02 and 2026-11-02"),
        (("--shrinkage", "100"), "shrinkage must be below 100 %"),
        (("--service-level", "none"), "a target needs a service level, an average speed of answer, or both"),
    ],
)
def test_inconsistent_input_is_refused(
    database: Engine, capsys: pytest.CaptureFixture[str], argv: tuple[str, ...], message: str
) -> None:
    code, out, err = callcenter_output(
        capsys, "forecast", "sales", "--from", "2026-11-02", "--to", "2026-11-29", *argv
    )
    assert (code, out) == (2, "")
    assert err.strip() == f"callcenter forecast: {message}"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("--from", "2026-13-01"), "not a date (YYYY-MM-DD): '2026-13-01'"),
        (("--tz", "Mars/Olympus"), "unknown time zone 'Mars/Olympus'"),
        (("--service-level", "80"), "a service level is PERCENT/SECONDS"),
        (("--service-level", "120/20"), "a service level is PERCENT/SECONDS"),
        (("--interval", "20"), "invalid choice: 20"),
        (("--asa", "-3"), "a number of seconds above 0, got '-3'"),
        (("--shrinkage", "x"), "a percentage from 0 to 100, got 'x'"),
        (("--max-occupancy", "0"), "an occupancy cap of 0 % would need infinitely many agents"),
    ],
)
def test_malformed_input_is_refused_with_usage(
    capsys: pytest.CaptureFixture[str], argv: tuple[str, ...], message: str
) -> None:
    with pytest.raises(SystemExit) as exit_:
        callcenter_output(capsys, "forecast", "sales", "--from", "2026-11-02", "--to", "2026-11-29", *argv)
    assert exit_.value.code == 2
    assert message in capsys.readouterr().err
