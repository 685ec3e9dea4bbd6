"""Do-not-call numbers and campaign exclusions (schema.campaigns.dnc), and the number import that fills
them (customer_import.number_import), on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from customer_import.number_import import dnc_writer, exclusion_writer, import_numbers
from customer_import.sources import open_source
from schema.campaigns.dnc import add_dnc, dnc_entries, exclude_numbers, is_blocked, remove_dnc
from tests.support.crm_records import T0

JANE = "+13125550143"
JOHN = "+13125550100"


def test_a_number_is_blocked_for_the_reason_of_its_list(engine: Engine) -> None:
    assert add_dnc(engine, JANE, source="internal", now=T0, reason="asked on the phone")
    assert add_dnc(engine, JOHN, source="national", now=T0)
    exclude_numbers(engine, "spring", ["+13125550111"], T0)

    assert is_blocked(engine, "spring", JANE) == "internal DNC"
    assert is_blocked(engine, "spring", JOHN) == "national DNC"
    assert is_blocked(engine, "spring", "+13125550111") == "campaign exclusion"
    assert is_blocked(engine, "autumn", "+13125550111") is None  # excluded from spring only
    assert is_blocked(engine, "spring", "+13125550199") is None


def test_internal_wins_over_national_and_adding_twice_is_harmless(engine: Engine) -> None:
    add_dnc(engine, JANE, source="national", now=T0)
    add_dnc(engine, JANE, source="internal", now=T0)

    assert not add_dnc(engine, JANE, source="internal", now=T0)
    assert is_blocked(engine, "spring", JANE) == "internal DNC"
    assert [entry.source for entry in dnc_entries(engine, JANE)] == ["internal", "national"]


def test_removing_a_number_unblocks_it(engine: Engine) -> None:
    add_dnc(engine, JANE, source="internal", now=T0)
    add_dnc(engine, JANE, source="national", now=T0)

    assert remove_dnc(engine, JANE, source="internal") == 1
    assert is_blocked(engine, "spring", JANE) == "national DNC"
    assert remove_dnc(engine, JANE) == 1
    assert is_blocked(engine, "spring", JANE) is None
    assert remove_dnc(engine, JANE) == 0


def test_an_unknown_source_is_refused(engine: Engine) -> None:
    with pytest.raises(ValueError, match="DNC source is one of internal, national"):
        add_dnc(engine, JANE, source="federal", now=T0)


def test_a_dnc_file_is_imported_with_bad_rows_reported(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "dnc.csv"
    path.write_text(
        "Name;Telephone\nJane;(312) 555-0143\nJohn;312 555 0100\nBad;12345\nJane again;+1 312 555 0143\n",
        encoding="utf-8",
    )
    report = tmp_path / "dnc.errors.csv"
    add_dnc(engine, JOHN, source="national", now=T0)

    with open_source(path) as source:
        summary = import_numbers(engine, source, report, dnc_writer("national", T0), region="US")

    assert (summary.rows_read, summary.added, summary.already_listed, summary.rows_rejected) == (4, 1, 2, 1)
    assert report.read_text(encoding="utf-8").splitlines()[1:] == [
        "4,Telephone,12345,not a full phone number (US)"
    ]
    assert is_blocked(engine, "spring", JANE) == "national DNC"


def test_an_exclusion_file_excludes_from_its_campaign_only(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "exclude.csv"
    path.write_text("mobile\n+44 7700 900123\n", encoding="utf-8")

    with open_source(path) as source:
        summary = import_numbers(
            engine, source, tmp_path / "r.csv", exclusion_writer("spring", T0), region="US"
        )

    assert summary.added == 1
    assert is_blocked(engine, "spring", "+447700900123") == "campaign exclusion"
    assert is_blocked(engine, "autumn", "+447700900123") is None
