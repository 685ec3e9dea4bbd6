"""Records are checked where they are made, so one bad value cannot sink a whole batch later."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from schema.calls.records import CallUpdate, IvrStepRecord
from schema.errors import RecordRejected, StorageError
from tests.support.unchecked import unchecked

NOW = dt.datetime(2024, 3, 1, 9, 0, tzinfo=dt.UTC)


def test_a_call_update_needs_only_its_uuid() -> None:
    update = CallUpdate("4f7c1c1e-8a4b-4c52-9d0e-2b7a6c1d9e10")
    assert all(getattr(update, f.name) is None for f in dataclasses.fields(update) if f.name != "uuid")


@pytest.mark.parametrize("uuid", ["", "x" * 37, "a\x00b"])
def test_a_call_uuid_must_be_1_to_36_characters(uuid: str) -> None:
    with pytest.raises(RecordRejected, match="uuid"):
        CallUpdate(uuid)
    with pytest.raises(RecordRejected, match="uuid"):
        IvrStepRecord(uuid, 1, None, None, None, "ok", NOW)


def test_naive_times_are_refused() -> None:
    with pytest.raises(RecordRejected, match=r"started_at .* has no timezone"):
        CallUpdate("u", started_at=dt.datetime(2024, 3, 1, 9, 0))
    with pytest.raises(RecordRejected, match=r"at .* has no timezone"):
        IvrStepRecord("u", 1, None, None, None, "ok", dt.datetime(2024, 3, 1, 9, 0))


def test_direction_is_inbound_or_outbound() -> None:
    assert CallUpdate("u", direction="outbound").direction == "outbound"
    with pytest.raises(RecordRejected, match="direction"):
        CallUpdate("u", direction="sideways")


@pytest.mark.parametrize("seq", [-1, True, 1.5])
def test_a_step_number_is_a_whole_number(seq: object) -> None:
    with pytest.raises(RecordRejected, match="seq"):
        IvrStepRecord("u", unchecked(seq), None, None, None, "ok", NOW)


def test_a_step_needs_a_result() -> None:
    with pytest.raises(RecordRejected, match="result"):
        IvrStepRecord("u", 1, "main", None, None, "", NOW)


def test_nul_characters_from_the_network_are_replaced_not_fatal() -> None:
    update = CallUpdate("u", caller_name="Ann\x00Smith")
    step = IvrStepRecord("u", 1, "main", None, "1\x00", "ok", NOW)
    assert update.caller_name == "Ann\ufffdSmith"
    assert step.digits == "1\ufffd"


def test_rejections_are_value_errors_of_the_storage_layer() -> None:
    assert issubclass(RecordRejected, StorageError)
    assert issubclass(RecordRejected, ValueError)


def test_records_are_frozen() -> None:
    update = CallUpdate("u")
    with pytest.raises(dataclasses.FrozenInstanceError):
        unchecked(update).outcome = "queued"
