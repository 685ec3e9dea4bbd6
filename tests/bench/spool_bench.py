"""What the call records' disk spool costs: the writer with its spool against the writer without one.

Both writers are the same `CallRecordWriter` in the same process; the baseline's spool keeps
nothing on disk (`NoDiskSpool`: sequence numbers only, what the writer did before the spool).
Records: a call's life of 12 records of every kind (tests.support.spool_records), 5,000 calls
(60,000 records). Measured with time.perf_counter around:
- submit: the loop of `submit` calls (what an ESL greenlet pays per record), µs per record;
- end to end: from the first submit until `flush` returns (every record in the database), records/s,
  into (a) a database that takes every batch at once (the writer and its spool alone) and
  (b) SQLite in a temporary file (synchronous=NORMAL, WAL: the project's settings).
Best of 3 rounds each, the two writers alternating.

Run: .venv/bin/python -m tests.bench spool
"""

from __future__ import annotations

import functools
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from esl_handlers.db_writer import CallRecordWriter, Record
from esl_handlers.record_spool import RecordSpool
from schema.calls.writes import write_batch
from schema.db import create_engine_from_url
from schema.migrate import upgrade
from tests.support.spool_records import records

CALLS = 5_000
ROUNDS = 3


class NoDiskSpool(RecordSpool):
    """The baseline: numbers records, keeps nothing (the writer's memory queue is all there is)."""

    def append(self, record: Record) -> int:
        self.last += 1
        return self.last

    def sync(self) -> None:
        pass

    def close(self) -> None:
        pass

    def commit(self, sequence: int) -> None:
        self.committed = sequence


Write = Callable[[Sequence[Record]], None]


def one_round(
    make_spool: Callable[[Path], RecordSpool], make_write: Callable[[Path], Write]
) -> tuple[float, float]:
    """(µs per submit, records/s end to end)."""
    batch = records(CALLS)
    with tempfile.TemporaryDirectory() as scratch:
        writer = CallRecordWriter(
            make_write(Path(scratch)),
            dead_letter=Path(scratch) / "dead.jsonl",
            spool=make_spool(Path(scratch) / "spool"),
            memory_limit=len(batch),
        )
        writer.start()
        start = time.perf_counter()
        for record in batch:
            writer.submit(record)
        submitted = time.perf_counter()
        assert writer.flush(600)
        done = time.perf_counter()
        writer.stop()
    return (submitted - start) / len(batch) * 1e6, len(batch) / (done - start)


def compare(label: str, make_write: Callable[[Path], Write]) -> None:
    results: dict[str, list[tuple[float, float]]] = {"spool": [], "no spool": []}
    for _ in range(ROUNDS):
        for name, spool in (("spool", RecordSpool), ("no spool", NoDiskSpool)):
            results[name].append(one_round(spool, make_write))
    print(f"\n{label}: {CALLS * 12:,} records, best of {ROUNDS}")
    print(f"{'writer':<10} {'submit µs/record':>17} {'end to end records/s':>21}")
    for name, figures in results.items():
        submit = min(f[0] for f in figures)
        rate = max(f[1] for f in figures)
        print(f"{name:<10} {submit:>17.1f} {rate:>21,.0f}")


def sqlite_write(directory: Path) -> Write:
    url = f"sqlite:///{directory / 'calls.db'}"
    upgrade(url)
    return functools.partial(write_batch, create_engine_from_url(url))


def run() -> None:
    compare("database that takes every batch at once", lambda _: lambda batch: None)
    compare("SQLite", sqlite_write)


if __name__ == "__main__":
    run()
