"""The 90-day report on PostgreSQL: from the rollups vs through the KPI views, on N synthetic calls.

A throwaway PostgreSQL cluster; the seeded history of tests/support/synthetic_calls.py (N calls over 90
days) generated in this process and COPY'd in (the tables' foreign keys and secondary indexes dropped
for the load and built again after it, as a bulk load does); ANALYZE. Then, in the same run:
- `callcenter report rollup`'s work: the first, full rollup up to 13:00 of the last day (settle 1 h),
  then an incremental run that rolls up one more quarter-hour;
- the report of the 90 days (UTC) with that watermark: the rest of the last day, its afternoon peak,
  read from the raw tables (cron stopped since 13:00), best of 3;
- the rollup of the rest of the day, then the same report with the rollups up to date (cron kept
  up), best of 3;
- the same report through the views (the naive build, `from_views=True`), once; the three reports
  must give the same figures.

Run: .venv/bin/python -m tests.bench.report_bench [calls [naive_budget_s]]   (default 200,000 calls;
the issue's 10,000,000 takes most of an hour on a 2-core machine, most of it the first rollup and the
naive report: a budget cancels the naive report after that many seconds; docs/performance.md, "Report")
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

import psycopg
from sqlalchemy import Engine, event, text

from ivr_scripts.report.model import Period, Report
from schema.db import create_engine_from_url
from schema.errors import StorageError
from schema.migrate import upgrade
from schema.reporting.report import build_report
from schema.reporting.rollup import roll_up
from schema.viewer import Viewer
from tests.support.postgres import INSTALL_HINT, SUPERUSER, PostgresServer, find_pg_bin
from tests.support.synthetic_calls import AGENT_COLUMNS, COLUMNS, History

DEFAULT_CALLS: Final = 200_000
SETTINGS: Final = (
    "shared_buffers = '2GB'\nwork_mem = '64MB'\nmaintenance_work_mem = '1GB'\n"
    "max_wal_size = '16GB'\neffective_cache_size = '8GB'\n"
)
MANAGER: Final = Viewer("bench", "manager")
TABLES_WITH_KEYS: Final = (
    "calls",
    "ivr_steps",
    "queue_log",
    "agent_legs",
    "agent_state_log",
    "survey_responses",
)


def _started_server() -> PostgresServer:
    bin_dir = find_pg_bin()
    if bin_dir is None:
        raise SystemExit(INSTALL_HINT)
    base = Path(tempfile.mkdtemp(prefix="callcenter-report-bench-"))
    server = PostgresServer(bin_dir, base, SUPERUSER if os.geteuid() == 0 else None)
    server.init()
    with (server.data_dir / "postgresql.conf").open("a") as conf:
        conf.write("\n# tests/bench/report_bench.py: memory for a 10M-call history\n" + SETTINGS)
    server.start()
    return server


def _drop_keys(connection: psycopg.Connection[Any]) -> list[str]:
    """Drop the loaded tables' foreign keys and non-unique indexes; the statements that restore them."""
    tables = list(TABLES_WITH_KEYS)
    keys = connection.execute(
        "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint"
        " WHERE contype = 'f' AND conrelid::regclass::text = ANY(%s)",
        (tables,),
    ).fetchall()
    indexes = connection.execute(
        "SELECT i.indexname, i.indexdef FROM pg_indexes AS i JOIN pg_index AS x"
        " ON x.indexrelid = (quote_ident(i.indexname))::regclass"
        " WHERE i.tablename = ANY(%s) AND NOT x.indisunique",
        (tables,),
    ).fetchall()
    restore = [definition for _name, definition in indexes]
    restore += [f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}" for table, name, definition in keys]
    for table, name, _definition in keys:
        connection.execute(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
    for name, _definition in indexes:
        connection.execute(f"DROP INDEX {name}")
    return restore


def load(server: PostgresServer, database: str, history: History) -> dict[str, int]:
    """Generate and COPY every table, one connection per table so the server loads while we generate."""
    dsn = f"host=127.0.0.1 port={server.port} user={SUPERUSER} dbname={database}"
    counts = dict.fromkeys(COLUMNS, 0)
    with psycopg.connect(dsn, autocommit=True) as admin:
        restore = _drop_keys(admin)
        with admin.cursor().copy(f"COPY agents ({AGENT_COLUMNS}) FROM STDIN") as copy:
            copy.write("".join(history.agent_rows()))
        began = time.perf_counter()
        with contextlib.ExitStack() as stack:
            copies = {}
            for table, columns in COLUMNS.items():
                connection = stack.enter_context(psycopg.connect(dsn))
                copies[table] = stack.enter_context(
                    connection.cursor().copy(f"COPY {table} ({columns}) FROM STDIN")
                )
            for day, rows in enumerate(history.days_of_rows()):
                for table, lines in rows.items():
                    copies[table].write("".join(lines))
                    counts[table] += len(lines)
                if day % 10 == 9:
                    print(
                        f"  day {day + 1}: {sum(counts.values()):,} rows, "
                        f"{time.perf_counter() - began:.0f} s",
                        flush=True,
                    )
        print(f"  generated and copied in {time.perf_counter() - began:.0f} s", flush=True)
        began = time.perf_counter()
        for statement in restore:
            admin.execute(statement)
        print(f"  indexes and foreign keys rebuilt in {time.perf_counter() - began:.0f} s", flush=True)
        began = time.perf_counter()
        admin.execute("VACUUM ANALYZE")
        print(f"  VACUUM ANALYZE in {time.perf_counter() - began:.0f} s", flush=True)
    return counts


def timed(action: Any, *args: Any, **kwargs: Any) -> tuple[float, Any]:
    began = time.perf_counter()
    result = action(*args, **kwargs)
    return time.perf_counter() - began, result


def same_figures(a: Any, b: Any) -> bool:
    """Equal, floats to 1e-9 relative (the two paths add the same seconds in different orders)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_figures(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same_figures(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) or isinstance(b, float):
        return abs(float(a) - float(b)) <= 1e-9 * max(1.0, abs(float(a)))
    return bool(a == b)


def naive_report(engine: Engine, period: Period, now: dt.datetime, budget_s: float | None) -> Report | None:
    """The report through the views; None when it ran past `budget_s` (its statement is cancelled)."""
    outcome: list[Report | None] = [None]

    def build() -> None:
        with contextlib.suppress(StorageError):
            outcome[0] = build_report(engine, MANAGER, period, now=now, from_views=True)

    worker = threading.Thread(target=build)
    worker.start()
    worker.join(budget_s)
    cancelled = worker.is_alive()
    while worker.is_alive():  # each of its statements, until it gives up
        with engine.connect() as connection:
            connection.execute(
                text(
                    "SELECT pg_cancel_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid <> pg_backend_pid() AND state = 'active'"
                )
            )
        worker.join(0.2)
    return None if cancelled else outcome[0]


def print_sizes(engine: Engine) -> None:
    """ANALYZE (as autovacuum would after the rollup's inserts), then each table's rows and size."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("ANALYZE"))
        sizes = connection.execute(
            text(
                "SELECT c.relname, c.reltuples::bigint, pg_total_relation_size(c.oid) FROM pg_class AS c"
                " JOIN pg_namespace AS n ON n.oid = c.relnamespace"
                " WHERE n.nspname = 'public' AND c.relkind = 'r' ORDER BY pg_total_relation_size(c.oid) DESC"
            )
        ).all()
    total = sum(size for _name, _rows, size in sizes)
    shown = ", ".join(
        f"{name} {rows:,} rows {size / 2**20:,.0f} MiB" for name, rows, size in sizes if size > 2**20
    )
    print(f"database {total / 2**30:.1f} GiB: {shown}", flush=True)


SECTIONS: Final = (
    ("queue", ("rollup_queue", "v_queue_interval")),
    ("volume", ("rollup_volume", "v_interval_volume")),
    ("abandons", ("rollup_abandons", "'ABANDON'")),
    ("agents", ("rollup_agent", "v_agent_interval")),
    ("IVR", ("rollup_ivr", "v_ivr_menu_options")),
    ("CSAT", ("rollup_csat", "v_csat")),
)


@contextlib.contextmanager
def section_times(engine: Engine) -> Iterator[list[tuple[str, float]]]:
    """Each statement's time while the block runs, named by the report section it serves."""
    times: list[tuple[str, float]] = []

    def before(connection: Any, *_: Any) -> None:
        connection.info["began"] = time.perf_counter()

    def after(connection: Any, _cursor: Any, statement: str, *_: Any) -> None:
        name = next((name for name, marks in SECTIONS if any(m in statement for m in marks)), "settings")
        times.append((name, time.perf_counter() - connection.info.pop("began")))

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    try:
        yield times
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)


def sections_text(times: list[tuple[str, float]]) -> str:
    return ", ".join(f"{name} {seconds:.3f}" for name, seconds in times)


def best_of_3(engine: Engine, period: Period, now: dt.datetime, label: str) -> tuple[float, Report]:
    runs = []
    for _ in range(3):
        with section_times(engine) as times:
            runs.append(timed(build_report, engine, MANAGER, period, now=now))
    best = min(seconds for seconds, _ in runs)
    print(f"{label}: {best:.2f} s (best of 3: {', '.join(f'{s:.2f}' for s, _ in runs)})", flush=True)
    print(f"  the last run's statements (s): {sections_text(times)}", flush=True)
    return best, runs[0][1]


def measure(engine: Engine, history: History, budget: float | None) -> dict[str, float]:
    last_day = history.first_day + dt.timedelta(days=history.days - 1)
    quarter = dt.timedelta(minutes=15)  # roll_up settles 1 h by default: now 14:00 rolls up to 13:00
    now = dt.datetime.combine(last_day, dt.time(14), dt.UTC)
    period = Period(first=history.first_day, last=last_day, zone="UTC")
    figures: dict[str, float] = {}
    figures["rollup_full_s"], summary = timed(roll_up, engine, now=now)
    print(f"first rollup: {summary.quarters:,} quarter-hours in {figures['rollup_full_s']:.1f} s", flush=True)
    now += quarter
    figures["rollup_one_quarter_s"], summary = timed(roll_up, engine, now=now)
    print(f"incremental rollup: {summary.quarters} quarter-hour in {figures['rollup_one_quarter_s']:.2f} s")
    label = (
        f"90-day report, rollups to {summary.rolled_up_to:%m-%d %H:%M} + the rest of the day from the tables"
    )
    figures["report_long_tail_s"], long_tail = best_of_3(engine, period, now, label)
    now = dt.datetime.combine(last_day + dt.timedelta(days=1), dt.time(0), dt.UTC)
    figures["rollup_rest_s"], summary = timed(roll_up, engine, now=now)
    print(
        f"rollup of the rest of the day: {summary.quarters} quarter-hours in {figures['rollup_rest_s']:.2f} s"
    )
    print_sizes(engine)
    label = f"90-day report, rollups to {summary.rolled_up_to:%m-%d %H:%M} (cron kept up)"
    figures["report_rollups_s"], fast = best_of_3(engine, period, now, label)
    with section_times(engine) as times:
        figures["report_views_s"], naive = timed(naive_report, engine, period, now, budget)
    if naive is None:
        print(
            f"90-day report through the views (naive): cancelled after {budget:.0f} s; "
            f"more than {figures['report_views_s'] / figures['report_rollups_s']:.0f}x the rollups' time",
            flush=True,
        )
        figures["report_views_s"] = float("inf")
    else:
        print(
            f"90-day report through the views (naive): {figures['report_views_s']:.1f} s; "
            f"{figures['report_views_s'] / figures['report_rollups_s']:.0f}x the rollups' time",
            flush=True,
        )
    print(f"  its statements (s): {sections_text(times)}", flush=True)
    for other in (long_tail, naive):
        if other is not None and not same_figures(
            fast.model_dump(exclude={"generated_at"}), other.model_dump(exclude={"generated_at"})
        ):
            raise SystemExit("the reports differ")
    q = fast.queue
    print(
        f"the same figures {'all three ways' if naive else 'with the long tail and without'}: "
        f"{fast.calls:,} calls, {q.offered:,} offered, "
        f"service level {q.service_level or 0:.3f}, ASA {q.asa_s or 0:.1f} s, abandon rate "
        f"{q.abandon_rate or 0:.3f}, AHT {q.aht_s or 0:.0f} s, {len(fast.agents)} agents, "
        f"CSAT {fast.csat.rate or 0:.3f}, IVR containment {fast.containment_rate or 0:.3f}"
    )
    return figures


def run(calls: int = DEFAULT_CALLS, naive_budget_s: float | None = None) -> dict[str, float]:
    history = History(calls)
    print(
        f"{calls:,} calls over {history.days} days from {history.first_day}, {history.agents()} agents",
        flush=True,
    )
    server = _started_server()
    try:
        database = server.create_database("report_bench")
        url = server.url(database)
        upgrade(url)
        began = time.perf_counter()
        counts = load(server, database, history)
        loaded = time.perf_counter() - began
        print(
            f"loaded in {loaded:.0f} s: " + ", ".join(f"{table} {n:,}" for table, n in counts.items()),
            flush=True,
        )
        engine = create_engine_from_url(url)
        try:
            return {"load_s": loaded, **measure(engine, history, naive_budget_s)}
        finally:
            engine.dispose()
    finally:
        server.stop()
        shutil.rmtree(server.base_dir, ignore_errors=True)


if __name__ == "__main__":
    run(
        int(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_CALLS,
        float(sys.argv[2]) if len(sys.argv) > 2 else None,
    )
