"""Call list rows prepared in chunks, in file order: in this process for small files, in a pool of
processes for big ones (parsing numbers and finding their zones is most of an import's work).

As in the customer import (`customer_import.pipeline`): up to 2 worker processes (spawned, Ctrl-C
left to the importing process), a bounded window of chunks in flight, and plain tuples both ways,
since unpickling named tuples is several times slower.
"""

from __future__ import annotations

import gc
import itertools
import multiprocessing
import os
import signal
from collections import deque
from collections.abc import Generator, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any, Final

from customer_import.lead_rows import LeadColumns, LeadRow, prepare_lead
from customer_import.rows import RowError
from customer_import.sources import SourceRow

CHUNK: Final = 5_000
IN_PROCESS_ROWS: Final = 20_000  # files this small are not worth starting processes for
WINDOW_PER_WORKER: Final = 4  # chunks in flight per worker: enough to keep both sides busy

Prepared = LeadRow | list[RowError]


def prepared_chunks(
    rows: Iterable[SourceRow], columns: LeadColumns, region: str, *, workers: int | None = None
) -> Generator[list[Prepared], None, None]:
    """Each chunk of `rows` prepared (`prepare_lead`), in order. `workers`: None = up to 2 once the
    file is past IN_PROCESS_ROWS; 0 = none."""
    source = iter(rows)
    chunks = iter(lambda: list(itertools.islice(source, CHUNK)), [])
    if workers is None:
        cpus = os.cpu_count() or 1
        workers = min(2, cpus) if cpus > 1 else 0
        for chunk in itertools.islice(chunks, IN_PROCESS_ROWS // CHUNK):
            yield [prepare_lead(row, columns, region) for row in chunk]
    following = next(chunks, None)
    if following is None:
        return
    chunks = itertools.chain((following,), chunks)
    if workers <= 0:
        for chunk in chunks:
            yield [prepare_lead(row, columns, region) for row in chunk]
        return
    yield from _in_pool(chunks, columns, region, workers)


def prepare_plain(rows: Sequence[tuple[Any, ...]], columns: LeadColumns, region: str) -> list[Any]:
    """`prepare_lead` on plain tuples both ways: a lead as a tuple, errors as a list of tuples."""
    prepared = (prepare_lead(SourceRow(*row), columns, region) for row in rows)
    return [[tuple(error) for error in item] if isinstance(item, list) else tuple(item) for item in prepared]


def _plain_to_prepared(items: list[Any]) -> list[Prepared]:
    return [
        [RowError._make(error) for error in item] if isinstance(item, list) else LeadRow._make(item)
        for item in items
    ]


def _start_worker() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the importing process's to handle
    gc.disable()  # no cycles among the rows


def _in_pool(
    chunks: Iterable[list[SourceRow]], columns: LeadColumns, region: str, workers: int
) -> Iterator[list[Prepared]]:
    pool = ProcessPoolExecutor(
        workers, mp_context=multiprocessing.get_context("spawn"), initializer=_start_worker
    )
    in_flight: deque[Future[list[Any]]] = deque()
    try:
        for chunk in chunks:
            in_flight.append(pool.submit(prepare_plain, [tuple(row) for row in chunk], columns, region))
            if len(in_flight) >= WINDOW_PER_WORKER * workers:
                yield _plain_to_prepared(in_flight.popleft().result())
        while in_flight:
            yield _plain_to_prepared(in_flight.popleft().result())
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
