"""`callcenter report` on a seeded SQLite database (tests/support/report_history.py): the HTML page and
the CSV with the history's figures, standard output, and clear errors for bad input."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from tests.support.cli import callcenter_output, seeded_cli_database
from tests.support.report_history import seed

WEEK = ("--from", "2024-03-01", "--to", "2024-03-07", "--tz", "Europe/London")


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    with seeded_cli_database(tmp_path, monkeypatch, seed) as engine:
        yield engine


def csv_figures(text: str) -> dict[tuple[str, str, str], str]:
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["section", "item", "measure", "value"]
    return {(s, i, m): v for s, i, m, v in rows[1:]}


def test_the_page_and_the_csv_of_the_seeded_week(
    database: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    page, table = tmp_path / "report.html", tmp_path / "report.csv"
    code, out, err = callcenter_output(capsys, "report", *WEEK, "-o", str(page), "--csv", str(table))

    assert (code, out, err) == (0, "", "")
    html = page.read_text(encoding="utf-8")
    assert '<div class="kpi" data-kpi="service_level"><dt>Service level (20 s)</dt><dd>33.3 %</dd>' in html
    assert "2024-03-01 to 2024-03-07, local time Europe/London" in html
    figures = csv_figures(table.read_text(encoding="utf-8"))
    assert figures["headline", "", "calls"] == "11"
    assert figures["headline", "", "asa_s"] == "131"
    assert figures["agent", "1002", "occupancy"] == "0.369"
    assert figures["ivr_funnel", "Dropped in the IVR", "calls"] == "2"


def test_one_queue_to_standard_output(database: Engine, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = callcenter_output(capsys, "report", *WEEK, "--queue", "support", "--csv", "-")

    assert code == 0
    figures = csv_figures(out)
    assert figures["period", "", "queue"] == "support"
    assert (figures["headline", "", "offered"], figures["headline", "", "service_level"]) == ("1", "1")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ("--from", "2024-03-01", "--to", "2024-03-07", "--tz", "Europe/Londres", "--csv", "-"),
            "unknown time zone",
        ),
        (("--from", "2024-03-07", "--to", "2024-03-01", "--csv", "-"), "ends (2024-03-01) before it starts"),
        (("--from", "2024-03-01", "--to", "2024-03-07"), "say where to write"),
        (("--from", "2024-03-01", "--to", "2024-03-07", "-o", "-", "--csv", "-"), "only one of"),
        (("--from", "2024-03-01", "--to", "2024-03-07", "-o", "/nonexistent/dir/r.html"), "cannot write"),
    ],
    ids=["zone", "backwards", "nowhere", "both-stdout", "unwritable"],
)
def test_bad_input_says_what_is_wrong(
    database: Engine, capsys: pytest.CaptureFixture[str], argv: tuple[str, ...], message: str
) -> None:
    code, out, err = callcenter_output(capsys, "report", *argv)

    assert code == 2
    assert out == ""
    assert err.startswith("callcenter report: ")
    assert message in err


def test_a_malformed_date_is_argparses_usage(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        callcenter_output(capsys, "report", "--from", "1 March", "--to", "2024-03-07", "--csv", "-")
    assert exited.value.code == 2
    assert "not a date (YYYY-MM-DD): '1 March'" in capsys.readouterr().err


def test_rollup_stores_the_closed_quarter_hours_and_the_report_reads_them(
    database: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = callcenter_output(capsys, "report", *WEEK, "--csv", "-")[1]

    code, out, err = callcenter_output(capsys, "report", "rollup")
    again = callcenter_output(capsys, "report", "rollup", "--settle-minutes", "0")[1]

    assert (code, err) == (0, "")
    assert "quarter-hour(s) rolled up; the rollups cover 2024-03-01 09:00 to " in out
    assert again.split(" ")[0] in {"4", "5"}  # the last hour, settled or not (5: a quarter-hour turned)
    with database.connect() as connection:
        volume = connection.execute(text("SELECT SUM(calls) FROM rollup_volume")).scalar_one()
    assert volume == 12
    assert callcenter_output(capsys, "report", *WEEK, "--csv", "-")[1] == before
    rebuilt = callcenter_output(capsys, "report", "rollup", "--rebuild")[1]
    assert rebuilt.startswith("rebuilt (the thresholds changed, or --rebuild): ")


def test_a_report_without_its_range_says_so(database: Engine, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = callcenter_output(capsys, "report", "--csv", "-")

    assert code == 2
    assert "give the range: --from DATE --to DATE" in err
