"""Two writers on two threads, writing the same calls at once, end with one merged row per call."""

from __future__ import annotations

import datetime as dt
import random
import threading
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import Engine, select

from schema.calls.models import Call, IvrStep
from schema.calls.records import CallUpdate, IvrStepRecord
from schema.calls.writes import write_batch
from schema.db import session_scope

T0 = dt.datetime(2024, 3, 1, 9, 0, tzinfo=dt.UTC)
UUIDS = [f"concurrent-{n:02d}" for n in range(30)]
ROUNDS = 8


def at(seconds: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


def writer_batches(writer: int) -> list[list[CallUpdate | IvrStepRecord]]:
    """Writer 0 saw each call start at 10 s and end at 50 s, writer 1 at 5 s and 40 s.

    Both write steps 1-3, some in every round, all of them in the last.
    """
    shuffle = random.Random(writer)
    batches: list[list[CallUpdate | IvrStepRecord]] = []
    for round_number in range(ROUNDS):
        uuids = list(UUIDS)
        shuffle.shuffle(uuids)  # each writer, each round, in its own order: lock order is write_batch's job
        batch: list[CallUpdate | IvrStepRecord] = []
        for uuid in uuids:
            if writer == 0:
                batch.append(CallUpdate(uuid, caller_number="+1555", started_at=at(10), ended_at=at(50)))
            else:
                batch.append(CallUpdate(uuid, outcome="queued", started_at=at(5), ended_at=at(40)))
            batch.extend(
                IvrStepRecord(uuid, seq, "main", None, str(seq), "ok", at(seq))
                for seq in (1, 2, 3)
                if (seq + round_number + writer) % 2 == 0 or round_number == ROUNDS - 1
            )
        batches.append(batch)
    return batches


def test_concurrent_writers_leave_one_merged_row_per_call(engine: Engine) -> None:
    start_together = threading.Barrier(2)

    def run(writer: int) -> None:
        batches = writer_batches(writer)
        start_together.wait(timeout=30)
        for batch in batches:
            write_batch(engine, batch)

    with ThreadPoolExecutor(max_workers=2) as pool:
        for future in [pool.submit(run, 0), pool.submit(run, 1)]:
            future.result()

    with session_scope(engine) as session:
        calls = session.scalars(select(Call).order_by(Call.uuid)).all()
        steps = session.execute(select(IvrStep.call_uuid, IvrStep.seq)).all()
        merged = [(c.uuid, c.caller_number, c.outcome, c.started_at, c.ended_at, c.duration_s) for c in calls]
    assert merged == [(uuid, "+1555", "queued", at(5), at(50), 45.0) for uuid in UUIDS]
    assert sorted(steps) == sorted((uuid, seq) for uuid in UUIDS for seq in (1, 2, 3))
