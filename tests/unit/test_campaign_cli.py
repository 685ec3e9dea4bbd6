"""`callcenter campaign …` and `callcenter dnc …` against a temporary SQLite database: output, exit codes,
and what the database holds afterwards."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from callcenter import preview_cli
from schema.campaigns.dnc import is_blocked
from schema.campaigns.leads import LEADS
from schema.campaigns.status import get_campaign, transitions
from schema.db import create_engine_from_url
from tests.support.cli import callcenter_output

PLAN = """\
prompts:
  hi: {text: Hello}
menus:
  main:
    prompt: hi
    options: {"1": {hangup: {}}}
    fallback: {hangup: {}}
dids:
  "4001": {menu: main}
crm:
  default_region: GB
"""


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """Settings pointed at a fresh SQLite file and a dialplan whose default region is GB."""
    url = f"sqlite:///{tmp_path / 'var' / 'callcenter.db'}"
    plan = tmp_path / "plan.yaml"
    plan.write_text(PLAN, encoding="utf-8")
    monkeypatch.setenv("CALLCENTER_ROOT", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("CALLCENTER_DIALPLAN", str(plan))
    engine = create_engine_from_url(url)
    yield engine
    engine.dispose()


def lead_count(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(LEADS)).scalar_one())


def test_import_reads_national_numbers_in_the_dialplans_region_and_summarises(
    database: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "march.csv"
    path.write_text("name,phone\nJane,020 7946 0958\nBad,12\nJane,+44 20 7946 0958\n", encoding="utf-8")

    code, out, err = callcenter_output(capsys, "campaign", "import", "spring", str(path), "--list", "march")

    assert code == 1  # a row skipped with errors
    assert "numbers: phone; time zones: from the numbers" in err
    assert out.splitlines()[1:] == [
        "campaign spring, list march: 1 leads added, 1 duplicates left out",
        "excluded: none",
        f"1 rows skipped with errors: see {tmp_path / 'march.errors.csv'}",
    ]
    assert (
        (tmp_path / "march.errors.csv").read_text(encoding="utf-8").splitlines()[1].startswith("3,phone,12,")
    )
    assert lead_count(database) == 1


def test_import_of_a_clean_file_exits_0_and_a_missing_column_exits_2(
    database: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "list.csv"
    path.write_text("who,dial\nJane,+1 312 555 0143\n", encoding="utf-8")

    code, _out, err = callcenter_output(
        capsys, "campaign", "import", "spring", str(path), "--phone-column", "Phone"
    )
    assert code == 2
    assert "--phone-column Phone: no such column" in err

    code, out, _err = callcenter_output(capsys, "campaign", "import", "spring", str(path), "--region", "us")
    assert code == 0
    assert "no errors" in out
    assert lead_count(database) == 1
    code, _out, err = callcenter_output(
        capsys, "campaign", "import", "autumn", str(path), "--list", "list.csv"
    )
    assert code == 2
    assert err.endswith("list 'list.csv' belongs to campaign 'spring'; choose another --list\n")
    code, _out, err = callcenter_output(capsys, "campaign", "import", "spring", str(tmp_path / "none.csv"))
    assert code == 2
    assert "none.csv" in err


def test_lifecycle_steps_are_logged_and_a_refused_one_exits_1(
    database: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    assert callcenter_output(capsys, "campaign", "pilot", "spring")[:2] == (
        0,
        "campaign spring: draft -> pilot\n",
    )
    assert callcenter_output(capsys, "campaign", "start", "spring", "--reason", "pilot ok")[0] == 0
    assert callcenter_output(capsys, "campaign", "pause", "spring")[0] == 0
    assert callcenter_output(capsys, "campaign", "resume", "spring")[0] == 0
    assert callcenter_output(capsys, "campaign", "close", "spring")[0] == 0

    code, _out, err = callcenter_output(capsys, "campaign", "resume", "spring")

    assert code == 1
    assert "campaign 'spring' is closed; cannot go to running (allowed: nothing: closed is final)" in err
    found = get_campaign(database, "spring")
    assert found is not None
    assert found.status == "closed"
    steps = transitions(database, "spring")
    assert [(step.to_status.value, step.reason) for step in steps] == [
        ("pilot", None), ("running", "pilot ok"), ("paused", None), ("running", None), ("closed", None)
    ]  # fmt: skip
    assert steps[0].by.startswith("cli@")


def test_status_lists_campaigns_and_shows_one_with_its_lists_and_transitions(
    database: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert callcenter_output(capsys, "campaign", "status") == (0, "no campaigns yet\n", "")
    path = tmp_path / "march.csv"
    path.write_text("phone\n020 7946 0958\n020 7946 0959\n", encoding="utf-8")
    callcenter_output(capsys, "campaign", "import", "spring", str(path))
    callcenter_output(capsys, "campaign", "start", "spring")
    callcenter_output(capsys, "campaign", "pilot", "autumn")

    code, out, _err = callcenter_output(capsys, "campaign", "status")
    assert code == 0
    assert [line.split(" (")[0] for line in out.splitlines()] == ["autumn: pilot", "spring: running"]
    assert out.splitlines()[1].endswith("1 lists, 2 leads")

    code, out, _err = callcenter_output(capsys, "campaign", "status", "spring")
    lines = out.splitlines()
    assert lines[1] == f"  list march.csv: 2 leads from {path} (0 duplicates, 0 excluded, 0 rejected)"
    assert lines[2].endswith("draft -> running by " + lines[2].split(" by ")[1])
    assert callcenter_output(capsys, "campaign", "status", "winter")[0] == 1


def test_dnc_add_check_remove(database: Engine, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _err = callcenter_output(capsys, "dnc", "add", "020 7946 0958", "--reason", "asked")
    assert (code, out) == (0, "+442079460958 added to the internal do-not-call list\n")
    assert is_blocked(database, "spring", "+442079460958") == "internal DNC"

    code, out, _err = callcenter_output(capsys, "dnc", "check", "+44 20 7946 0958")
    assert code == 1
    assert out.startswith("+442079460958: internal DNC since ")
    assert out.endswith(": asked\n")

    assert callcenter_output(capsys, "dnc", "remove", "02079460958")[0] == 0
    assert callcenter_output(capsys, "dnc", "check", "02079460958") == (
        0, "+442079460958: on no do-not-call list\n", ""
    )  # fmt: skip
    code, _out, err = callcenter_output(capsys, "dnc", "add", "12")
    assert code == 1
    assert "'12' is not a full phone number (GB)" in err


def test_dnc_import_and_campaign_exclude_block_numbers_at_import(
    database: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    national = tmp_path / "tps.csv"
    national.write_text("number\n020 7946 0958\nnot a number\n", encoding="utf-8")
    excluded = tmp_path / "exclude.csv"
    excluded.write_text("tel\n020 7946 0959\n", encoding="utf-8")
    listed = tmp_path / "list.csv"
    listed.write_text("phone\n020 7946 0958\n020 7946 0959\n020 7946 0960\n", encoding="utf-8")

    code, out, _err = callcenter_output(capsys, "dnc", "import", str(national), "--source", "national")
    assert code == 1
    assert out.startswith("1 numbers added to the national do-not-call list, 0 already were\n1 rows skipped")
    assert callcenter_output(capsys, "campaign", "exclude", "spring", str(excluded))[0] == 0
    code, out, _err = callcenter_output(capsys, "campaign", "import", "spring", str(listed))

    assert code == 0
    assert "excluded: 1 campaign exclusion, 1 national DNC" in out
    assert lead_count(database) == 1


WITH_CAMPAIGNS = """\
prompts:
  hi: {text: Hello}
queues:
  desk: {extension: "2001", tiers: [{agent: "1001"}]}
agents:
  "1001": {name: Ann}
campaigns:
  summer: {type: survey, agents: ["1001"], lists: [june], caller_id: "+442079460000"}
  spring: {type: survey, agents: ["1001"], lists: [march], caller_id: "+442079460000"}
menus:
  main:
    prompt: hi
    options: {"1": {transfer: {queue: desk}}}
    fallback: {hangup: }
dids:
  "4001": {menu: main}
crm:
  default_region: GB
"""


def test_status_names_the_dialplans_campaigns_not_used_yet_and_the_databases_not_in_it(
    database: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "plan.yaml").write_text(WITH_CAMPAIGNS, encoding="utf-8")
    callcenter_output(capsys, "campaign", "start", "spring")
    callcenter_output(capsys, "campaign", "pause", "winter")  # refused, but now in the database

    code, out, _err = callcenter_output(capsys, "campaign", "status")

    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "summer: draft (in the dialplan, not used yet)"
    assert lines[1].startswith("spring: running (since ")
    assert lines[1].endswith(" UTC), 0 lists, 0 leads")
    assert lines[2].startswith("winter: draft (since ")
    assert "UTC, not in the dialplan)" in lines[2]
    assert callcenter_output(capsys, "campaign", "status", "summer") == (
        0,
        "summer: draft (in the dialplan, not used yet)\n",
        "",
    )
    assert get_campaign(database, "summer") is None, "status only reads"


PREVIEW_PLAN = (
    PLAN
    + """\
agents:
  "1001": {name: Alice}
scripts:
  renewal:
    intro: Hello, this is Acme.
    questions:
      - {id: renew, text: "Renew?", kind: yes_no}
campaigns:
  winter:
    type: telemarketing
    agents: ["1001"]
    lists: [march]
    dial_mode: preview
    caller_id: "+442079460000"
    script: renewal
"""
)


def test_preview_next_show_dial_and_skip(
    database: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Tomorrow noon, London: inside the default calling window (08:00-21:00) whenever the test runs.
    noon = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).replace(hour=12, minute=0)
    monkeypatch.setattr(preview_cli, "utc_now", lambda: noon)
    (tmp_path / "plan.yaml").write_text(PREVIEW_PLAN, encoding="utf-8")
    path = tmp_path / "march.csv"
    path.write_text("name,phone,car\nJane Roe,020 7946 0958,Golf\nMax,020 7946 0959,\n", encoding="utf-8")
    imported = callcenter_output(capsys, "campaign", "import", "winter", str(path), "--list", "march")
    assert imported[0] == 0, imported
    assert callcenter_output(capsys, "agent", "sync")[0] == 0
    assert callcenter_output(capsys, "agent", "login", "1001")[0] == 0

    code, _out, err = callcenter_output(capsys, "campaign", "preview", "next", "winter", "1001")
    assert (code, err.strip()) == (1, "callcenter campaign preview next: campaign 'winter' is draft: "
                                   "records are shown in pilot or running only")  # fmt: skip
    assert callcenter_output(capsys, "campaign", "start", "winter")[0] == 0
    code, out, _err = callcenter_output(capsys, "campaign", "preview", "next", "winter", "1001")
    assert code == 0
    assert "Jane Roe  +442079460958" in out
    assert "fields: car=Golf, name=Jane Roe" in out
    assert "script renewal: Hello, this is Acme." in out
    assert "renew (yes_no): Renew?" in out

    code, out, _err = callcenter_output(capsys, "campaign", "preview", "skip", "1001")
    assert (code, out.strip()) == (0, "agent 1001: lead 1 skipped; the agent is available")
    code, out, _err = callcenter_output(capsys, "campaign", "preview", "next", "winter", "1001", "--json")
    assert code == 0
    assert '"phone":"+442079460959"' in out, "the skipped lead went behind the other"
    code, out, _err = callcenter_output(capsys, "campaign", "preview", "dial", "1001")
    assert (code, out.split()[6]) == (0, "dial_requested")
    code, out, _err = callcenter_output(capsys, "campaign", "preview", "show", "1001", "--json")
    assert '"state":"dial_requested"' in out
    code, out, _err = callcenter_output(capsys, "campaign", "preview", "skip", "1001")
    assert code == 0, "no dialer took it: the dial is withdrawn"
    code, _out, err = callcenter_output(capsys, "campaign", "preview", "show", "1001")
    assert (code, err.strip()) == (1, "callcenter campaign preview: agent 1001 has no preview")
