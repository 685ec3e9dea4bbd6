"""`callcenter forecast QUEUE... --from DATE --to DATE`: Erlang C staffing per interval from the history.

For the forecast weekday (default: the day after --to), the history is that weekday's dates from
--from to --to (both included, local dates in --tz). Per interval of the local day: expected calls
(--statistic of those days' counts), AHT (talk + wrap-up), the agents Erlang C requires for the
target (--service-level 80/20 and/or --asa, capped by --max-occupancy), the agents to schedule with
--shrinkage, and the service level, ASA and occupancy the required agents achieve. docs/reports.md
has the model, its assumptions (no abandonment) and the choices.
Exit status: 0 printed; 1 no call in the history of any queue named; 2 bad input, or no database.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import sys
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from callcenter.settings import Settings
from ivr_scripts.forecast.erlang import Target
from ivr_scripts.forecast.history import (
    INTERVALS_MIN,
    STATISTICS,
    QueueHistory,
    busy_span,
    forecast_day,
    same_weekdays,
)
from ivr_scripts.forecast.plan import DEFAULT_SHRINKAGE, PlanRow, staffing_plan
from schema.acd.forecast_history import queue_history
from schema.acd.reports import QueueStats, queue_stats
from schema.db import create_engine_from_url
from schema.errors import StorageError
from schema.migrate import upgrade

EXIT_OK, EXIT_NO_HISTORY, EXIT_FAILED = 0, 1, 2
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
CSV_COLUMNS = (
    "queue", "weekday", "start", "end", "calls", "aht_s", "traffic_erlangs", "agents_required",
    "agents_scheduled", "service_level", "asa_s", "occupancy", "probability_of_waiting",
)  # fmt: skip


def add_forecast_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `forecast` to the `callcenter` command's subparsers."""
    parser = sub.add_parser(
        "forecast",
        help="Erlang C staffing per interval from the queues' history",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("queues", nargs="+", metavar="QUEUE", help="queue name(s), as in the dialplan")
    parser.add_argument(
        "--from", dest="first", type=_date, required=True, help="first history day, YYYY-MM-DD"
    )
    parser.add_argument("--to", dest="last", type=_date, required=True, help="last history day (included)")
    parser.add_argument(
        "--weekday", choices=WEEKDAYS, help="the day to forecast (default: the day after --to)"
    )
    parser.add_argument("--tz", type=_zone, default=ZoneInfo("UTC"), help="IANA time zone (default UTC)")
    parser.add_argument(
        "--interval", type=int, choices=INTERVALS_MIN, default=30, help="minutes (default 30)"
    )
    parser.add_argument("--statistic", choices=tuple(STATISTICS), default="mean", help="over the days (mean)")
    parser.add_argument(
        "--service-level", type=_service_level, default=(0.8, 20.0), metavar="PCT/S",
        help="target: PCT %% of calls answered within S seconds (default 80/20; 'none' for ASA only)",
    )  # fmt: skip
    parser.add_argument(
        "--asa", type=_positive, metavar="S", help="target: longest average speed of answer, seconds"
    )
    parser.add_argument(
        "--max-occupancy",
        type=_occupancy,
        default=85.0,
        metavar="PCT",
        help="occupancy cap, percent (default 85)",
    )
    parser.add_argument(
        "--shrinkage",
        type=_percent,
        default=DEFAULT_SHRINKAGE * 100,
        metavar="PCT",
        help="percent of paid time (default 30)",
    )
    parser.add_argument("--csv", action="store_true", help="comma-separated values, one row per interval")
    parser.set_defaults(func=cmd_forecast)


def cmd_forecast(settings: Settings, args: argparse.Namespace) -> int:
    weekday = WEEKDAYS.index(args.weekday) if args.weekday else (args.last.weekday() + 1) % 7
    try:
        days = same_weekdays(args.first, args.last, weekday)
        if not days:
            raise ValueError(f"no {WEEKDAYS[weekday]} between {args.first} and {args.last}")
        level, answer_s = args.service_level or (None, 20.0)
        target = Target(level, answer_s, args.asa, args.max_occupancy / 100)
        if args.shrinkage >= 100:
            raise ValueError("shrinkage must be below 100 %")
    except ValueError as exc:
        _complain(str(exc))
        return EXIT_FAILED
    start = dt.datetime.combine(args.first, dt.time(), args.tz)
    end = dt.datetime.combine(args.last + dt.timedelta(days=1), dt.time(), args.tz)
    try:
        histories, measured = _read(settings, args.queues, start, end, target.answer_s)
    except StorageError as exc:
        _complain(str(exc))
        return EXIT_FAILED
    plans = {}
    for queue, history in histories.items():
        demand = forecast_day(history, days, args.tz, interval_min=args.interval, statistic=args.statistic)
        plans[queue] = staffing_plan(busy_span(demand), args.interval, target, args.shrinkage / 100)
        if not history.arrivals:
            _complain(f"no call joined queue {queue} from {args.first} to {args.last} ({args.tz.key})")
    if args.csv:
        _write_csv(plans, WEEKDAYS[weekday])
    else:
        for queue, rows in plans.items():
            _print_table(queue, rows, _heading(args, days, target, measured.get(queue)))
    return EXIT_OK if any(history.arrivals for history in histories.values()) else EXIT_NO_HISTORY


def _read(
    settings: Settings, queues: Sequence[str], start: dt.datetime, end: dt.datetime, answer_s: float
) -> tuple[dict[str, QueueHistory], dict[str, QueueStats]]:
    """Each queue's history, and the figures it measured over the whole range (every weekday)."""
    upgrade(settings.database_url)
    engine = create_engine_from_url(settings.database_url)
    try:
        histories = queue_history(engine, queues, start, end)
        measured = queue_stats(engine, start, end, service_level_s=answer_s)
    finally:
        engine.dispose()
    return histories, {stats.queue: stats for stats in measured if stats.queue in histories}


def _measured(stats: QueueStats | None, answer_s: float) -> str:
    if stats is None or stats.offered == 0:  # offered > 0: the service level and abandon rate are set
        return "measured over the history: no call left the queue"
    asa = stats.average_speed_of_answer_s
    return (
        f"measured over the history (every day): {stats.offered} offered, "
        f"{(stats.service_level or 0.0) * 100:.1f} % within {answer_s:g} s"
        f"{f', ASA {asa:.1f} s' if asa is not None else ''}, "
        f"{(stats.abandon_rate or 0.0) * 100:.1f} % abandoned (Erlang C assumes none: docs/reports.md)"
    )


def _heading(
    args: argparse.Namespace, days: Sequence[dt.date], target: Target, stats: QueueStats | None
) -> str:
    name = days[0].strftime("%A")
    goals = []
    if target.service_level is not None:
        goals.append(f"{target.service_level * 100:g} % answered within {target.answer_s:g} s")
    if target.asa_s is not None:
        goals.append(f"ASA at most {target.asa_s:g} s")
    return (
        f"forecast for a {name} from {len(days)} {name}(s), {days[0]} to {days[-1]} ({args.tz.key}); "
        f"{args.interval}-minute intervals, {args.statistic} of the days\n"
        f"target: {', '.join(goals)}, occupancy at most {args.max_occupancy:g} %; "
        f"shrinkage {args.shrinkage:g} %\n"
        f"{_measured(stats, target.answer_s)}"
    )


def _print_table(queue: str, rows: Sequence[PlanRow], heading: str) -> None:
    print(f"{queue}: {heading}")
    print(
        f"{'INTERVAL':<11} {'CALLS':>7} {'AHT s':>7} {'ERLANGS':>8} {'AGENTS':>6} {'SCHEDULED':>9} "
        f"{'SL %':>6} {'ASA s':>7} {'OCC %':>6}"
    )
    if not rows:
        print("(no call joined on this weekday in the history)")
    for row in rows:
        interval = f"{row.start:%H:%M}-{row.end:%H:%M}"
        aht = f"{row.aht_s:.1f}" if row.aht_s is not None else "-"
        staffing = row.staffing
        if staffing is None:
            print(
                f"{interval:<11} {row.calls:>7.2f} {aht:>7}   (no call answered: no handle time to staff by)"
            )
            continue
        print(
            f"{interval:<11} {row.calls:>7.2f} {aht:>7} {staffing.traffic:>8.2f} {staffing.agents:>6} "
            f"{row.scheduled:>9} {staffing.service_level * 100:>6.1f} {staffing.asa_s:>7.1f} "
            f"{staffing.occupancy * 100:>6.1f}"
        )
    print()


def _write_csv(plans: dict[str, list[PlanRow]], weekday: str) -> None:
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(CSV_COLUMNS)
    for queue, rows in plans.items():
        for row in rows:
            s = row.staffing
            figures = (
                [f"{s.traffic:.4f}", s.agents, row.scheduled, f"{s.service_level:.4f}", f"{s.asa_s:.2f}",
                 f"{s.occupancy:.4f}", f"{s.probability_of_waiting:.4f}"]
                if s is not None
                else [""] * 7
            )  # fmt: skip
            aht = f"{row.aht_s:.2f}" if row.aht_s is not None else ""
            out.writerow(
                [queue, weekday, f"{row.start:%H:%M}", f"{row.end:%H:%M}", f"{row.calls:g}", aht, *figures]
            )


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def _zone(text: str) -> ZoneInfo:
    try:
        return ZoneInfo(text)
    except (KeyError, ValueError, OSError):  # ZoneInfoNotFoundError is a KeyError
        raise argparse.ArgumentTypeError(
            f"unknown time zone {text!r} (IANA names, e.g. Europe/London)"
        ) from None


def _service_level(text: str) -> tuple[float, float] | None:
    if text.lower() == "none":
        return None
    percent, slash, seconds = text.partition("/")
    try:
        level, answer_s = float(percent.rstrip("%")) / 100, float(seconds)
    except ValueError:
        level, answer_s = -1.0, -1.0
    if not slash or not 0 < level < 1 or not answer_s >= 0:
        raise argparse.ArgumentTypeError(
            f"a service level is PERCENT/SECONDS with 0 < PERCENT < 100, e.g. 80/20; got {text!r}"
        )
    return level, answer_s


def _percent(text: str) -> float:
    try:
        value = float(text.rstrip("%"))
    except ValueError:
        value = -1.0
    if not 0 <= value <= 100:
        raise argparse.ArgumentTypeError(f"a percentage from 0 to 100, got {text!r}")
    return value


def _occupancy(text: str) -> float:
    value = _percent(text)
    if value == 0:
        raise argparse.ArgumentTypeError("an occupancy cap of 0 % would need infinitely many agents")
    return value


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value > 0:
        raise argparse.ArgumentTypeError(f"a number of seconds above 0, got {text!r}")
    return value


def _complain(message: str) -> None:
    print(f"callcenter forecast: {message}", file=sys.stderr)
