"""Call list import (customer_import.lead_import, lead_rows) on SQLite and PostgreSQL: columns found by
header, numbers and their time zones, duplicates, do-not-call exclusions, malformed rows."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import openpyxl
import phonenumbers
import pytest
from phonenumbers import timezone as number_zones
from sqlalchemy import Engine, select

from customer_import.lead_import import LeadImportOptions, LeadImportSummary, import_leads
from customer_import.lead_insert import COLUMNS, POSTGRESQL_INSERT, SQLITE_INSERT
from customer_import.lead_rows import BadLeadColumns, lead_columns
from customer_import.number_zones import parse_number
from customer_import.sources import UnreadableFile, open_source
from ivr_scripts.campaigns.pilot import pilot_bucket
from schema.campaigns.dnc import add_dnc, exclude_numbers, is_blocked
from schema.campaigns.leads import LEADS, due_leads
from schema.campaigns.lists import campaign_lists
from schema.campaigns.status import get_campaign
from tests.support.crm_records import T0, jane


def write_xlsx(path: Path, rows: list[list[object]]) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def run(engine: Engine, path: Path, *, list_name: str = "march", campaign: str = "spring", region: str = "US",
        **columns: str) -> LeadImportSummary:  # fmt: skip
    with open_source(path) as source:
        found = lead_columns(source.columns, **columns)
        options = LeadImportOptions(campaign=campaign, list_name=list_name, region=region, batch_size=3)
        return import_leads(engine, source, found, report_of(path), options, now=T0)


def report_of(path: Path) -> Path:
    return path.with_name(path.stem + ".errors.csv")


def report_rows(path: Path) -> list[list[str]]:
    with report_of(path).open(encoding="utf-8", newline="") as file:
        return list(csv.reader(file))[1:]


def leads(engine: Engine) -> list[tuple[object, ...]]:
    query = select(
        LEADS.c.phone_e164, LEADS.c.time_zones, LEADS.c.region, LEADS.c.external_id, LEADS.c.fields
    )
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(query.order_by(LEADS.c.id))]


def test_a_list_becomes_pending_leads_with_their_time_zones(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "march.csv"
    path.write_text(
        "ID;Full Name;Mobile Number;Plan\n"
        "A1;Jane;(312) 555-0143;gold\n"
        "A2;Ann;+1 907 555 0100;\n"
        "A3;Lee;+44 20 7946 0958;silver\n",
        encoding="utf-8",
    )

    summary = run(engine, path)

    assert (summary.rows_read, summary.leads_added, summary.rows_rejected) == (3, 3, 0)
    assert leads(engine) == [
        ("+13125550143", "America/Chicago", "US", "A1", {"Full Name": "Jane", "Plan": "gold"}),
        ("+19075550100", "America/Adak|America/Anchorage", "US", "A2", {"Full Name": "Ann"}),
        ("+442079460958", "Europe/London", "GB", "A3", {"Full Name": "Lee", "Plan": "silver"}),
    ]
    campaign = get_campaign(engine, "spring")
    assert campaign is not None
    assert campaign.status == "draft"
    (listed,) = campaign_lists(engine, "spring")
    assert (listed.name, listed.source_file, listed.rows_read, listed.leads_added) == (
        "march",
        str(path),
        3,
        3,
    )
    with engine.connect() as connection:
        states = connection.execute(select(LEADS.c.status, LEADS.c.next_attempt_at, LEADS.c.attempts)).all()
    assert {tuple(state) for state in states} == {("pending", T0, 0)}
    due = due_leads(engine, "spring", {"America/Chicago", "Europe/London"}, T0, 10)
    assert [(lead.phone_e164, lead.fields) for lead in due] == [
        ("+13125550143", {"Full Name": "Jane", "Plan": "gold"}),
        ("+442079460958", {"Full Name": "Lee", "Plan": "silver"}),
    ]
    assert due_leads(engine, "spring", {"America/Chicago"}, T0 - dt.timedelta(microseconds=1), 10) == []


def test_a_time_zone_column_overrides_and_is_checked(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "tz.csv"
    path.write_text(
        "phone,tz\n312 555 0143,America/New_York\n312 555 0100,\n312 555 0111,Mars/Olympus\n",
        encoding="utf-8",
    )

    summary = run(engine, path)

    assert [lead[:2] for lead in leads(engine)] == [
        ("+13125550143", "America/New_York"),
        ("+13125550100", "America/Chicago"),
    ]
    assert summary.rows_rejected == 1
    assert report_rows(path) == [["4", "tz", "Mars/Olympus", "not an IANA time zone (e.g. America/Chicago)"]]


def test_columns_can_be_named_and_a_missing_one_is_a_clear_error(tmp_path: Path) -> None:
    columns = ("Customer", "Contact No", "Home phone", "Zone")
    found = lead_columns(columns, phone_column="contact no", time_zone_column="Zone")
    assert (found.phone, found.time_zone, found.others) == ("Contact No", "Zone", ("Customer", "Home phone"))
    assert lead_columns(columns).phone == "Home phone"
    with pytest.raises(BadLeadColumns, match="--phone-column Tel: no such column; the columns are: Customer"):
        lead_columns(columns, phone_column="Tel")
    with pytest.raises(BadLeadColumns, match="no column looks like a phone number"):
        lead_columns(("Customer", "Zone"))


def test_duplicates_in_the_file_and_in_the_campaigns_other_lists_are_counted_not_written(
    engine: Engine, tmp_path: Path
) -> None:
    first = tmp_path / "first.csv"
    first.write_text("phone\n312 555 0143\n312 555 0100\n", encoding="utf-8")
    second = tmp_path / "second.csv"
    second.write_text("phone\n+13125550143\n312-555-0111\n(312) 555 0111\n312 555 0100\n", encoding="utf-8")
    run(engine, first, list_name="first")
    run(engine, first, list_name="other", campaign="autumn")  # another campaign may call them too

    summary = run(engine, second, list_name="second")

    assert (summary.leads_added, summary.duplicates, summary.rows_rejected) == (1, 3, 0)
    assert report_rows(second) == []
    again = run(engine, second, list_name="second")  # re-running adds nothing
    assert (again.leads_added, again.duplicates) == (0, 4)
    lists = {
        row.name: (row.rows_read, row.leads_added, row.rows_duplicate)
        for row in campaign_lists(engine, "spring")
    }
    assert lists == {"first": (2, 2, 0), "second": (8, 1, 7)}
    assert len(leads(engine)) == 5


def test_numbers_on_a_dnc_list_or_excluded_are_left_out_per_reason(engine: Engine, tmp_path: Path) -> None:
    add_dnc(engine, "+13125550143", source="internal", now=T0)
    add_dnc(engine, "+13125550100", source="national", now=T0)
    add_dnc(engine, "+13125550101", source="national", now=T0)
    exclude_numbers(engine, "spring", ["+13125550111"], T0)
    path = tmp_path / "list.csv"
    path.write_text(
        "phone\n312 555 0143\n312 555 0100\n312 555 0101\n312 555 0111\n312 555 0199\n", encoding="utf-8"
    )

    summary = run(engine, path)

    assert summary.excluded == {"internal DNC": 1, "national DNC": 2, "campaign exclusion": 1}
    assert [lead[0] for lead in leads(engine)] == ["+13125550199"]
    (listed,) = campaign_lists(engine, "spring")
    assert listed.rows_excluded == 4


def test_an_opt_out_after_the_import_is_found_at_dial_time(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    path.write_text("phone\n312 555 0143\n", encoding="utf-8")
    run(engine, path)
    assert is_blocked(engine, "spring", "+13125550143") is None

    add_dnc(engine, "+13125550143", source="internal", now=T0, reason="asked not to be called")

    assert is_blocked(engine, "spring", "+13125550143") == "internal DNC"


def test_a_lead_is_linked_to_the_customer_who_owns_its_number(engine: Engine, tmp_path: Path) -> None:
    customer = jane(engine)  # owns +12025550143
    path = tmp_path / "list.csv"
    path.write_text("phone\n202 555 0143\n312 555 0100\n", encoding="utf-8")

    run(engine, path)

    with engine.connect() as connection:
        linked = connection.execute(
            select(LEADS.c.phone_e164, LEADS.c.customer_id).order_by(LEADS.c.id)
        ).all()
    assert [tuple(row) for row in linked] == [("+12025550143", customer.id), ("+13125550100", None)]


def test_malformed_rows_are_reported_and_the_others_imported(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(
        b"name,phone\n"
        b"Jane,312 555 0143\n"
        b"Bad,12345\n"
        b"Empty,\n"
        b'Quote,"312 555 0100\n'
        b"Ann,312 555 0101\n"
        b"Caf\xe9,312 555 0102\n"
        b"=cmd(),=1+2\n"
    )

    summary = run(engine, path)

    assert [lead[0] for lead in leads(engine)] == ["+13125550143", "+13125550101"]
    assert (summary.rows_read, summary.leads_added, summary.rows_rejected) == (7, 2, 5)
    reported = report_rows(path)
    assert [row[:3] for row in reported] == [
        ["3", "phone", "12345"],
        ["4", "phone", ""],
        ["5", "", ""],
        ["5", "phone", ""],
        ["7", "name", "Caf\ufffd"],
        ["8", "phone", "'=1+2"],
    ]
    assert "a quote opened on line 5 is never closed" in reported[2][3]
    assert reported[1][3] == "no phone number"


def test_an_empty_file_is_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    with pytest.raises(UnreadableFile, match="the file is empty"):
        open_source(path)


def test_an_xlsx_list_with_numbers_stored_as_numbers(engine: Engine, tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "list.xlsx", [["Name", "Telephone"], ["Jane", 13125550143], ["Lee", "#N/A"]])

    summary = run(engine, path)

    assert [lead[0] for lead in leads(engine)] == ["+13125550143"]
    assert summary.rows_rejected == 1
    assert report_rows(path)[0][:2] == ["3", "Telephone"]


def test_rows_prepared_in_worker_processes_import_as_in_this_one(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    path.write_text(
        "id,phone,tz\n1,312 555 0143,\n2,12,\n3,312 555 0100,Europe/Paris\n4,312 555 0143,\n"
        "5,312 555 0101,Nowhere\n",
        encoding="utf-8",
    )
    outcomes = []
    for workers, campaign in ((0, "here"), (1, "pool")):
        with open_source(path) as source:
            options = LeadImportOptions(campaign=campaign, list_name=campaign, workers=workers)
            summary = import_leads(
                engine, source, lead_columns(source.columns), report_of(path), options, now=T0
            )
        outcomes.append(((summary.leads_added, summary.duplicates, summary.rows_rejected), report_rows(path)))

    assert outcomes[0] == outcomes[1]
    assert outcomes[0][0] == (2, 1, 2)
    assert [lead[:2] for lead in leads(engine)][2:] == [
        ("+13125550143", "America/Chicago"),
        ("+13125550100", "Europe/Paris"),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "312 555 0143", "+1 907 555 0100", "+1 800 555 0100", "+1 416 555 0100", "+1 211 555 0100",
        "+44 20 7946 0958", "+44 7700 900123", "+49 30 123456", "+61 2 9374 4000", "+7 495 123 45 67",
        "+800 1234 5678", "+1 684 633 1234", "+33 6 12 34 56 78", "+81 3 1234 5678", "+1 868 555 0100",
        "+7 912 345 67 89", "+61 412 345 678", "+44 800 123 4567", "+44 1534 456789", "+44 7781 123456",
        "+7 7172 123456", "+7 701 123 4567", "+39 06 6988 1234", "+47 7902 1234", "+61 8 9164 1234",
        "+1 242 357 1234", "+1 876 555 0100", "+1 204 555 0100", "+590 590 27 12 34", "+262 262 16 12 34",
    ],
)  # fmt: skip
def test_the_zones_of_a_number_are_phonenumbers_own(text: str) -> None:
    """parse_number finds a number's zones without `time_zones_for_number`'s second country search; the
    result must be that function's."""
    parsed = parse_number(text, "US")
    assert parsed is not None
    assert parsed[0] == phonenumbers.format_number(
        phonenumbers.parse(text, "US"), phonenumbers.PhoneNumberFormat.E164
    )
    expected = number_zones.time_zones_for_number(phonenumbers.parse(text, "US"))
    assert parsed[1] == "|".join(sorted(set(expected)))
    country = phonenumbers.region_code_for_number(phonenumbers.parse(text, "US"))
    assert parsed[2] == (None if country == "001" else country)


def test_progress_is_reported_as_rows_are_read(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    path.write_text("phone\n" + "".join(f"312 555 {n:04d}\n" for n in range(12_000)), encoding="utf-8")
    seen: list[tuple[int, float | None]] = []

    with open_source(path) as source:
        options = LeadImportOptions(campaign="spring", list_name="big", batch_size=5_000)
        import_leads(
            engine,
            source,
            lead_columns(source.columns),
            report_of(path),
            options,
            progress=lambda shown: seen.append((shown.rows_read, shown.fraction)),
            now=T0,
        )

    assert [rows for rows, _fraction in seen] == [5_000, 10_000, 12_000]
    fractions = [fraction or 0.0 for _rows, fraction in seen]
    assert fractions == sorted(fractions)
    assert fractions[-1] == 1.0


def test_the_inserts_name_the_columns_in_their_order() -> None:
    """The INSERTs are written out; each must list exactly COLUMNS, in order, with a value for each."""
    for insert, mark in ((SQLITE_INSERT, "?"), (POSTGRESQL_INSERT, "%s")):
        listed = insert.split("(", 1)[1].split(")", 1)[0]
        assert tuple(name.strip() for name in listed.split(",")) == COLUMNS
        assert insert.count(mark) == len(COLUMNS)


def test_a_number_of_no_country_imports_with_a_time_zone_cell(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    path.write_text("phone,zone\n+800 1234 5678,Europe/Paris\n+800 1234 5679,\n", encoding="utf-8")

    summary = run(engine, path)

    assert leads(engine) == [("+80012345678", "Europe/Paris", None, None, {})]
    assert summary.rows_rejected == 1
    assert report_rows(path)[0][3] == "no time zone is known for this number; give a time-zone column"


def test_each_imported_lead_carries_its_pilot_bucket(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "march.csv"
    path.write_text("phone\n(312) 555-0143\n+1 907 555 0100\n", encoding="utf-8")
    run(engine, path)
    with engine.connect() as connection:
        found = dict(connection.execute(select(LEADS.c.phone_e164, LEADS.c.pilot_bucket)).all())
    assert found == {phone: pilot_bucket("spring", phone) for phone in ("+13125550143", "+19075550100")}
