"""Call list import: rows/s of `import_leads` on a 1,000,000-row CSV, into SQLite and PostgreSQL.

The file looks like a dialling list: id, name, a national US number, a plan. Numbers are unique
and scattered over every area code (so the time zones vary as in a real list); 0.5% of the rows
carry a number that is not one (reported, skipped) and 1% repeat an earlier number (duplicates).
A few thousand numbers are on the national do-not-call list beforehand (excluded at import).

Beside it, in the same process: the naive way, one INSERT and commit per row (number parsed, its
zones looked up, the DNC list and the campaign's leads queried) on 20,000 rows, as a ratio; then
on PostgreSQL the dialer's `due_leads` on the million leads (its plan, and its time).

Run: .venv/bin/python -m tests.bench.list_import_bench [rows]
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Final

from sqlalchemy import Engine, exists, select, text

from customer_import.lead_import import LeadImportOptions, LeadImportSummary, import_leads
from customer_import.lead_rows import lead_columns
from customer_import.number_zones import parse_number
from customer_import.sources import open_source
from schema.campaigns.dnc import DNC, add_numbers
from schema.campaigns.leads import LEADS, distinct_zone_keys, due_leads
from schema.campaigns.lists import open_list
from schema.db import create_engine_from_url
from schema.migrate import upgrade
from tests.support.postgres import INSTALL_HINT, SUPERUSER, PostgresServer, find_pg_bin

HEADER = ("id", "name", "phone", "plan")
BASELINE_ROWS = 20_000
DNC_NUMBERS = 5_000
NOW = dt.datetime(2026, 12, 7, 15, 0, tzinfo=dt.UTC)


# Area codes in service, from every US time zone (a list of numbers whose area code does not exist
# would be all rejected: no time zone is known for them).
AREA_CODES: Final = (
    201, 202, 203, 205, 206, 207, 208, 209, 210, 212, 213, 214, 215, 216, 217, 218, 219, 224, 225, 228,
    229, 231, 234, 239, 240, 248, 251, 252, 253, 254, 256, 260, 262, 267, 269, 270, 276, 281, 301, 302,
    303, 304, 305, 307, 308, 309, 310, 312, 313, 314, 315, 316, 317, 318, 319, 320, 321, 323, 325, 330,
    334, 336, 337, 339, 347, 351, 352, 360, 361, 385, 386, 401, 402, 404, 405, 406, 407, 408, 409, 410,
    412, 413, 414, 415, 417, 419, 423, 424, 425, 432, 434, 435, 440, 443, 469, 478, 479, 480, 484, 501,
    502, 503, 504, 505, 507, 508, 509, 510, 512, 513, 515, 516, 517, 518, 520, 530, 540, 541, 551, 559,
    561, 562, 563, 567, 570, 571, 573, 574, 575, 580, 585, 586, 601, 602, 603, 605, 606, 607, 608, 609,
    610, 612, 614, 615, 616, 617, 618, 619, 620, 623, 626, 630, 631, 636, 641, 646, 650, 651, 660, 661,
    662, 678, 682, 701, 702, 703, 704, 706, 707, 708, 712, 713, 714, 715, 716, 717, 718, 719, 720, 724,
    727, 731, 732, 734, 740, 754, 757, 760, 763, 765, 770, 772, 773, 774, 775, 781, 785, 786, 801, 802,
    803, 804, 805, 806, 808, 810, 812, 813, 814, 815, 816, 817, 818, 828, 830, 831, 832, 843, 845, 847,
    848, 850, 856, 857, 858, 859, 860, 862, 863, 864, 865, 870, 901, 903, 904, 906, 907, 908, 909, 910,
    912, 913, 914, 915, 916, 917, 918, 919, 920, 925, 928, 931, 936, 937, 940, 941, 947, 949, 951, 952,
    954, 956, 970, 971, 972, 973, 978, 979, 980, 985, 989,
)  # fmt: skip


def _us_number(index: int) -> str:
    # A bijection of 0..(codes x 8,000,000 - 1) (multiplier coprime with the modulus): unique, scattered.
    scrambled = (index * 1_000_003 + 12_345) % (len(AREA_CODES) * 8_000_000)
    area, rest = divmod(scrambled, 8_000_000)
    exchange, line = divmod(rest, 10_000)
    return f"({AREA_CODES[area]}) {200 + exchange}-{line:04d}"


def list_rows(count: int, seed: int = 11) -> Iterator[tuple[str, ...]]:
    rng = random.Random(seed)
    for index in range(count):
        roll = rng.random()
        if roll < 0.005:
            phone = "555-01"
        elif roll < 0.015 and index > 100:
            phone = _us_number(rng.randrange(index // 2))
        else:
            phone = _us_number(index)
        yield (f"L{index:08d}", f"Lead {index}", phone, rng.choice(("basic", "plus", "family")))


def write_csv(path: Path, count: int) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(list_rows(count))


def prepared_database(url: str) -> Engine:
    """Migrated, with DNC_NUMBERS of the file's numbers on the national list."""
    upgrade(url)
    engine = create_engine_from_url(url)
    numbers = [
        parsed[0] for i in range(0, DNC_NUMBERS * 97, 97) if (parsed := parse_number(_us_number(i), "US"))
    ]
    with engine.begin() as connection:
        add_numbers(connection, numbers, "national", NOW)
    return engine


def timed_import(
    engine: Engine, path: Path, campaign: str = "bench", workers: int | None = None
) -> LeadImportSummary:
    with open_source(path) as source:
        columns = lead_columns(source.columns)
        options = LeadImportOptions(campaign=campaign, list_name=f"{campaign}-{path.name}", workers=workers)
        return import_leads(engine, source, columns, path.with_suffix(".errors.csv"), options, now=NOW)


def naive_import(engine: Engine, path: Path, rows: int) -> float:
    """rows/s of one transaction per row: parse, check DNC and the campaign's leads, INSERT, commit."""
    with engine.begin() as connection:
        list_id = open_list(connection, "naive", "naive", str(path), NOW)
    began = time.perf_counter()
    with path.open(encoding="utf-8", newline="") as handle:
        for index, record in enumerate(csv.DictReader(handle)):
            if index == rows:
                break
            parsed = parse_number(record["phone"], "US")
            if parsed is None:
                continue
            e164, zones, region = parsed
            with engine.begin() as connection:
                if connection.execute(select(exists().where(DNC.c.phone_e164 == e164))).scalar_one():
                    continue
                if connection.execute(
                    select(exists().where(LEADS.c.campaign == "naive", LEADS.c.phone_e164 == e164))
                ).scalar_one():
                    continue
                connection.execute(LEADS.insert().values(
                    list_id=list_id, campaign="naive", phone_e164=e164, time_zones=zones, region=region,
                    external_id=record["id"], fields={"name": record["name"], "plan": record["plan"]},
                    status="pending", attempts=0, next_attempt_at=NOW,
                ))  # fmt: skip
    return rows / (time.perf_counter() - began)


def describe(label: str, summary: LeadImportSummary) -> str:
    excluded = sum(summary.excluded.values())
    return (
        f"{label}: {summary.rows_read:,} rows in {summary.elapsed_s:.1f} s "
        f"= {summary.rows_per_s:,.0f} rows/s; "
        f"leads {summary.leads_added:,}, duplicates {summary.duplicates:,}, excluded {excluded:,}, "
        f"rejected {summary.rows_rejected:,}"
    )


def dialer_reads(engine: Engine) -> None:
    """`due_leads` on the imported leads: half the zone keys open, 100 leads, its plan on PostgreSQL."""
    keys = distinct_zone_keys(engine, "bench")
    open_keys = keys[: len(keys) // 2]
    began = time.perf_counter()
    due = due_leads(engine, "bench", open_keys, NOW, 100)
    print(f"due_leads: {len(due)} of {len(keys)} zone keys' leads ({len(open_keys)} open) in "
          f"{(time.perf_counter() - began) * 1000:.1f} ms")  # fmt: skip
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            connection.execute(text("ANALYZE leads"))
            query = (
                select(LEADS)
                .where(
                    LEADS.c.campaign == "bench",
                    LEADS.c.status == "pending",
                    LEADS.c.next_attempt_at <= NOW,
                    LEADS.c.time_zones.in_(open_keys),
                )
                .order_by(LEADS.c.next_attempt_at, LEADS.c.id)
                .limit(100)
            )
            compiled = query.compile(connection, compile_kwargs={"literal_binds": True})
            plan = connection.execute(text(f"EXPLAIN ANALYZE {compiled}")).scalars()
            print("\n".join("  " + line for line in plan))


def postgresql_run(path: Path) -> LeadImportSummary:
    bin_dir = find_pg_bin()
    if bin_dir is None:
        raise SystemExit(INSTALL_HINT)
    server = PostgresServer(
        bin_dir, Path(tempfile.mkdtemp(prefix="callcenter-pg-")), SUPERUSER if os.geteuid() == 0 else None
    )
    try:
        server.init()
        server.start()
        engine = prepared_database(server.url(server.create_database("list_bench")))
        try:
            summary = timed_import(engine, path)
            print(describe("csv, PostgreSQL, fresh database", summary), flush=True)
            dialer_reads(engine)
            return summary
        finally:
            engine.dispose()
    finally:
        server.stop()
        shutil.rmtree(server.base_dir, ignore_errors=True)


def run(rows: int = 1_000_000) -> dict[str, float]:
    base = Path(tempfile.mkdtemp(prefix="callcenter-list-bench-"))
    figures: dict[str, float] = {}
    try:
        big = base / "list.csv"
        began = time.perf_counter()
        write_csv(big, rows)
        size = big.stat().st_size / 2**20
        print(f"generated {rows:,} rows ({size:.0f} MiB) in {time.perf_counter() - began:.1f} s")
        engine = prepared_database(f"sqlite:///{base / 'big.db'}")
        summary = timed_import(engine, big)
        figures["sqlite_rows_per_s"] = summary.rows_per_s
        print(describe("csv, SQLite, fresh database", summary), flush=True)
        dialer_reads(engine)
        engine.dispose()
        engine = prepared_database(f"sqlite:///{base / 'in_process.db'}")
        summary = timed_import(engine, big, workers=0)
        figures["sqlite_in_process_rows_per_s"] = summary.rows_per_s
        print(describe("csv, SQLite, fresh database, no worker processes", summary), flush=True)
        engine.dispose()

        engine = prepared_database(f"sqlite:///{base / 'naive.db'}")
        figures["naive_rows_per_s"] = naive_import(engine, big, BASELINE_ROWS)
        engine.dispose()
        print(
            f"baseline, one INSERT and commit per row ({BASELINE_ROWS:,} rows, SQLite): "
            f"{figures['naive_rows_per_s']:,.0f} rows/s; import is "
            f"{figures['sqlite_rows_per_s'] / figures['naive_rows_per_s']:.0f}x faster",
            flush=True,
        )
        figures["postgresql_rows_per_s"] = postgresql_run(big).rows_per_s
    finally:
        shutil.rmtree(base, ignore_errors=True)
    return figures


if __name__ == "__main__":
    run(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
