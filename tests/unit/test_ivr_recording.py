"""Recording policies in the call logic: resolution, sampling, file paths, and the runner starting,
taking over and stopping recordings as the caller moves from the DID to a queue."""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from typing import Any

import pytest

from dialplans.models import Dialplan
from ivr_scripts.channel import Audio, CallInfo, CallLeg
from ivr_scripts.crm import CallerProfile, CustomerRecord
from ivr_scripts.recording import (
    PlannedRecording,
    policy_for_did,
    policy_for_queue,
    recording_path,
    records,
    sampled,
)
from ivr_scripts.runner import QueueResult
from ivr_scripts.terminal import TerminalChannel
from tests.fakes.crm import FakeDirectory
from tests.fakes.ivr_channel import FakeChannel
from tests.fakes.recording_log import MemoryRecordingLog
from tests.support.ivr_calls import MONDAY_NOON_LONDON, crm_plan, recording_plan, run_crm_call

DAY = "/rec/2026/11/23"
FIRST = f"{DAY}/uuid-crm.wav"
SECOND = f"{DAY}/uuid-crm-2.wav"


class JoiningQueues:
    """A fake ACD that leaves a `join:<queue>` event on the channel, so tests see what came before."""

    def __init__(self, *results: QueueResult) -> None:
        self.results = list(results)

    def join(
        self, leg: CallLeg, queue: str, *, ivr_path: tuple[str, ...], preferred_agent: str | None = None
    ) -> QueueResult:
        assert isinstance(leg.channel, FakeChannel)
        leg.channel.events.append(f"join:{queue}")
        return self.results.pop(0)


def recorded_call(
    plan: Dialplan, answers: list[str], *, queues: JoiningQueues | None = None, **kwargs: Any
) -> tuple[FakeChannel, MemoryRecordingLog]:
    recordings = MemoryRecordingLog()
    call = run_crm_call(plan, answers, queues=queues, recordings=recordings, **kwargs)
    return call.channel, recordings


# --- Policy resolution, sampling, paths -----------------------------------------------------------


def test_a_did_uses_its_own_policy_else_the_default() -> None:
    policies = recording_plan().recording.policies
    assert policies["talk"].stereo  # the policies differ, so the comparisons below tell them apart
    assert policy_for_did(recording_plan(did="talk"), "4001") == ("talk", policies["talk"])
    assert policy_for_did(recording_plan(), "4001") == ("ivr", policies["ivr"])
    assert policy_for_did(recording_plan(default=None), "4001") is None
    assert policy_for_did(recording_plan(default=None, did="off"), "4001") == ("off", policies["off"])
    with pytest.raises(KeyError):
        policy_for_did(recording_plan(), "9999")


def test_a_queue_has_a_policy_only_when_it_names_one() -> None:
    plan = recording_plan(queue_policies={"sales": "talk"})
    assert policy_for_queue(plan, "sales") == ("talk", plan.recording.policies["talk"])
    assert policy_for_queue(plan, "operators") is None  # the default policy is the DIDs'


def test_records_follows_the_mode() -> None:
    policies = recording_plan().recording.policies
    calls = [str(uuid.uuid5(uuid.NAMESPACE_URL, f"call-{n}")) for n in range(200)]
    assert all(records(policies["ivr"], call) for call in calls)
    assert not any(records(policies["off"], call) or records(policies["ask"], call) for call in calls)
    half = [call for call in calls if records(policies["half"], call)]
    assert half == [call for call in calls if sampled(call, 50)]
    assert 0 < len(half) < len(calls)


@pytest.mark.parametrize("percent", [1, 5, 12.5, 33.3, 50, 90, 99])
def test_sampling_takes_the_share_asked_for(percent: float) -> None:
    calls = [str(uuid.uuid5(uuid.NAMESPACE_DNS, f"{n}.calls.example")) for n in range(10_000)]
    share = 100 * sum(sampled(call, percent) for call in calls) / len(calls)
    assert abs(share - percent) <= 1.5


def test_sampling_is_the_documented_hash_so_servers_agree() -> None:
    for n in range(500):
        call = str(uuid.uuid5(uuid.NAMESPACE_OID, str(n)))
        position = int(hashlib.sha256(call.encode()).hexdigest()[:16], 16) / 16**16 * 100
        assert sampled(call, 37) is (position < 37)
        assert sampled(call.upper(), 37) is sampled(call, 37)  # a UUID is a UUID whatever its case


def test_a_smaller_sample_is_part_of_a_larger_one() -> None:
    calls = [str(uuid.uuid5(uuid.NAMESPACE_X500, str(n))) for n in range(2000)]
    small = {call for call in calls if sampled(call, 10)}
    large = {call for call in calls if sampled(call, 40)}
    assert small < large
    assert all(sampled(call, 100) for call in calls)


def test_paths_are_dated_by_the_utc_day_and_numbered_after_the_first() -> None:
    new_york_evening = dt.datetime(2026, 11, 23, 23, 30, tzinfo=dt.timezone(dt.timedelta(hours=-5)))
    assert recording_path("/rec", "abc-1", "wav", new_york_evening) == "/rec/2026/11/24/abc-1.wav"
    assert recording_path("/rec/", "abc-1", "mp3", MONDAY_NOON_LONDON, 2) == "/rec/2026/11/23/abc-1-2.mp3"


@pytest.mark.parametrize("call_uuid", ["../../etc/passwd", "a/b", "", "-rf", "x y", "a\0b"])
def test_a_uuid_that_could_escape_the_directory_is_refused(call_uuid: str) -> None:
    with pytest.raises(ValueError, match="cannot name"):
        recording_path("/rec", call_uuid, "wav", MONDAY_NOON_LONDON)


def test_a_path_needs_an_aware_start_and_a_positive_number() -> None:
    with pytest.raises(ValueError, match="time zone"):
        recording_path("/rec", "abc", "wav", dt.datetime(2026, 11, 23, 12, 0))
    with pytest.raises(ValueError, match="numbered from 1"):
        recording_path("/rec", "abc", "wav", MONDAY_NOON_LONDON, 0)


# --- The runner: the DID's policy ----------------------------------------------------------------


def test_the_did_policy_announces_then_records_from_the_answer() -> None:
    channel, log = recorded_call(recording_plan(), ["7"])
    assert channel.events[:4] == ["answer", "play:recorded", f"record:start:{FIRST}", "play:hello"]
    assert channel.stereo == {FIRST: False}
    assert log.planned_recordings == [
        PlannedRecording("uuid-crm", FIRST, "ivr", "wav", 1, None, 30, MONDAY_NOON_LONDON)
    ]
    assert "record:stop" not in " ".join(channel.events)  # it runs until the call ends


def test_a_did_that_records_nothing_and_a_runner_without_a_log_start_nothing() -> None:
    for plan in (recording_plan(did="off"), recording_plan(did="ask"), recording_plan(default=None)):
        channel, log = recorded_call(plan, ["7"])
        assert channel.events[:2] == ["answer", "play:hello"]
        assert log.planned_recordings == []
    call = run_crm_call(recording_plan(), ["7"])  # no recording log: today's behaviour
    assert call.channel.events[:2] == ["answer", "play:hello"]


def test_a_percentage_records_exactly_the_sampled_calls() -> None:
    calls = [str(uuid.uuid5(uuid.NAMESPACE_URL, f"half-{n}")) for n in range(30)]
    plan = recording_plan(did="half")
    recorded = [call for call in calls if recorded_call(plan, ["7"], call_uuid=call)[1].planned_recordings]
    assert recorded == [call for call in calls if sampled(call, 50)]
    assert 0 < len(recorded) < len(calls)


# --- The runner: the queue's policy takes over -----------------------------------------------------


def test_a_queue_recording_differently_starts_a_second_file_and_stops_the_first() -> None:
    queues = JoiningQueues(QueueResult("answered", agent_id="1001", ended_by="caller"))
    channel, log = recorded_call(recording_plan(queue_policies={"sales": "talk"}), ["2"], queues=queues)
    after_key = channel.events[channel.events.index("collect:options") + 1 :]
    # Announced once only: the caller heard the DID's announcement already.
    assert after_key == [f"record:start:{SECOND}", f"record:stop:{FIRST}", "join:sales"]
    assert channel.stereo[SECOND] is True
    assert log.planned_recordings[1] == PlannedRecording(
        "uuid-crm", SECOND, "talk", "wav", 2, "sales", 365, MONDAY_NOON_LONDON
    )


def test_a_queue_that_records_a_call_the_did_did_not_announces_and_starts_the_first_file() -> None:
    queues = JoiningQueues(QueueResult("abandoned"))
    plan = recording_plan(did="off", queue_policies={"sales": "talk_mp3"})
    channel, log = recorded_call(plan, ["2"], queues=queues)
    first_mp3 = f"{DAY}/uuid-crm.mp3"
    after_key = channel.events[channel.events.index("collect:options") + 1 :]
    assert after_key == ["play:talk_recorded", f"record:start:{first_mp3}", "join:sales"]
    assert [(p.path, p.format, p.queue) for p in log.planned_recordings] == [(first_mp3, "mp3", "sales")]


def test_a_queue_recording_the_same_way_keeps_the_file_under_its_own_policy() -> None:
    queues = JoiningQueues(QueueResult("answered", agent_id="1001", ended_by="caller"))
    channel, log = recorded_call(recording_plan(queue_policies={"sales": "mono"}), ["2"], queues=queues)
    assert [event for event in channel.events if event.startswith("record:")] == [f"record:start:{FIRST}"]
    assert log.planned_recordings == [
        PlannedRecording("uuid-crm", FIRST, "ivr", "wav", 1, None, 30, MONDAY_NOON_LONDON),
        PlannedRecording("uuid-crm", FIRST, "mono", "wav", 1, "sales", 400, MONDAY_NOON_LONDON),
    ]


@pytest.mark.parametrize("policy", ["off", "ask"])
def test_a_queue_that_does_not_record_stops_the_did_recording_before_the_conversation(policy: str) -> None:
    queues = JoiningQueues(QueueResult("answered", agent_id="1001", ended_by="caller"))
    channel, log = recorded_call(recording_plan(queue_policies={"sales": policy}), ["2"], queues=queues)
    assert channel.events[-2:] == [f"record:stop:{FIRST}", "join:sales"]
    assert len(log.planned_recordings) == 1


def test_a_queue_without_a_policy_lets_the_did_recording_run_filed_under_the_queue() -> None:
    queues = JoiningQueues(QueueResult("answered", agent_id="1001", ended_by="caller"))
    channel, log = recorded_call(recording_plan(), ["2"], queues=queues)
    assert channel.events[-2:] == ["collect:options", "join:sales"]
    assert [(p.policy, p.queue, p.retention_days) for p in log.planned_recordings] == [
        ("ivr", None, 30),
        ("ivr", "sales", 30),
    ]


def test_an_overflow_to_another_queue_applies_that_queue_policy_in_turn() -> None:
    overflow = crm_plan().menus["main"].fallback  # transfer to operators
    queues = JoiningQueues(QueueResult("action", action=overflow), QueueResult("abandoned"))
    plan = recording_plan(default=None, queue_policies={"sales": "talk", "operators": "off"})
    channel, _ = recorded_call(plan, ["2"], queues=queues)
    assert [e for e in channel.events if e.startswith(("record:", "join:"))] == [
        f"record:start:{FIRST}",
        "join:sales",
        f"record:stop:{FIRST}",
        "join:operators",
    ]


def test_without_an_acd_the_queue_policy_applies_before_the_transfer() -> None:
    channel, _ = recorded_call(recording_plan(queue_policies={"sales": "off"}), ["2"])
    assert channel.events[-2:] == [f"record:stop:{FIRST}", "transfer:2001@default"]


def test_the_vip_path_applies_the_vip_queue_policy() -> None:
    vip = {"tiers": ["gold"], "queue": "vips", "greeting": "vip_hello"}
    plan = recording_plan(queue_policies={"vips": "talk"}, crm={"vip": vip})
    jane = CustomerRecord(7, "Jane", tier="gold")
    directory = FakeDirectory({"+15551230001": CallerProfile("+15551230001", jane)})
    queues = JoiningQueues(QueueResult("answered", agent_id="1001", ended_by="caller"))
    channel, _ = recorded_call(plan, [], queues=queues, directory=directory)
    assert channel.events == [
        "answer",
        "play:recorded",
        f"record:start:{FIRST}",
        "play:vip_hello",
        f"record:start:{SECOND}",
        f"record:stop:{FIRST}",
        "join:vips",
    ]


def test_the_terminal_shows_recordings_and_hides_sensitive_keys() -> None:
    lines: list[str] = []
    channel = TerminalChannel(CallInfo("u", "1", "c", "4001"), "4111#", out=lines.append)
    channel.start_recording("/rec/u.wav", stereo=True)
    channel.mask_recording("/rec/u.wav")
    assert (
        channel.collect_digits(Audio("card"), max_digits=16, timeout=5, digit_timeout=3, sensitive=True)
        == "4111"
    )
    channel.unmask_recording("/rec/u.wav")
    channel.stop_recording("/rec/u.wav")
    printed = "\n".join(lines)
    assert "4111" not in printed
    assert "[recording starts: /rec/u.wav (stereo)]" in lines
    assert lines.index("[recording masked: /rec/u.wav]") < lines.index("[recording unmasked: /rec/u.wav]")
    assert "[recording stops: /rec/u.wav]" in lines
