"""The API's recording, QA and supervision routes over a real socket, on SQLite and PostgreSQL: what each
role may see and do, the PCI pause and listen/whisper/barge through the real Supervisor over a scripted
switch, 503 without call control, bad input, and every route's answers against the OpenAPI document.
On-demand recording (start / stop) uses recording_plan (tests/support/ivr_calls.py), whose queue
sales records on demand and whose DID 4001 records all calls.

The world (tests.support.http_api.seed): agents 1001 (alice, sales) and 1002 (bob, support);
sam supervises sales, maria is a manager; here also sue, who supervises support. Phones: sam's is 1201,
maria's 1299, sue has none. Recordings: one closed of each agent, and one running of the live call 1001
is on.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, cast

import pytest
from sqlalchemy import Engine, update

from dialplans.recording_models import QaCriterion, QaForm
from esl_handlers.recording_log import planned_record
from esl_handlers.supervision import Supervisor
from esl_handlers.switch import EslSwitch
from http_api import ApiServer, build_api
from http_api.recording_routes import RECORDING_ROUTES, CallControl
from ivr_scripts.recording import PlannedRecording
from ivr_scripts.switch import LiveChannel
from schema.acd.models import Agent
from schema.acd.records import QueueEvent
from schema.calls.records import CallUpdate
from schema.calls.writes import Record, write_batch
from schema.crm.users import create_user, issue_token, set_user_extension
from schema.db import session_scope
from schema.recording.recordings import list_recordings, mark_deleted
from schema.recording.records import RecordingEvent, RecordingFileFacts, RecordingPaused, RecordingPlanned
from schema.viewer import SYSTEM
from tests.fakes.supervision_switch import AGENT_LEG, LIVE_CALL, SupervisionSwitch
from tests.support.http_api import REGION, T0, ApiClient, Reply, seed
from tests.support.ivr_calls import recording_plan
from tests.support.openapi import operations, problems

ON_DEMAND_CALL = "5b0c9a52-0000-4000-8000-00000000000c"  # queued in sales (on_demand) from DID 4001 (all)
PLAN = recording_plan(queue_policies={"sales": "ask"})
FORMS = {
    "standard": QaForm(
        criteria=[
            QaCriterion(id="greeting", weight=1, max_score=5),
            QaCriterion(id="resolution", weight=3, max_score=10),
        ]
    )
}


@dataclass
class StoredRecordingLog:
    """The Supervisor's recording log writing to the database as the server's writer would, with the
    RECORD_START the switch would send for a started file."""

    engine: Engine

    def planned(self, recording: PlannedRecording) -> None:
        planned = planned_record(recording)
        started = RecordingEvent(
            call_uuid=recording.call_uuid, path=recording.path, kind="start", at=recording.at
        )
        write_batch(self.engine, [planned, started])

    def paused(self, path: str, at: dt.datetime) -> None:
        write_batch(self.engine, [RecordingPaused(path=path, at=at)])


@dataclass
class World:
    engine: Engine
    tokens: dict[str, str]
    ids: dict[str, int]  # recording id by call uuid
    switch: SupervisionSwitch
    running_path: str


def recording_of(call: str, agent: str, *, closed: bool = True) -> list[Record]:
    path = f"/var/lib/callcenter/recordings/2026/03/02/{call}.wav"
    records: list[Record] = [
        RecordingPlanned(call, path, "conversations", "wav", 2, "sales", 365, T0),
        RecordingEvent(call, path, "start", T0),
        QueueEvent(T0, call, "sales", "CONNECT", agent_id=agent),
    ]
    if closed:
        records += [
            RecordingEvent(call, path, "stop", T0 + dt.timedelta(minutes=4), duration_s=240.0),
            RecordingFileFacts(path, 3_840_044, "ab" * 32),
        ]
    return records


@pytest.fixture
def world(engine: Engine) -> World:
    data = seed(engine)
    create_user(engine, "sue", "supervisor", department="support")
    set_user_extension(engine, "sam", "1201")
    set_user_extension(engine, "maria", "1299")
    tokens = {**data.tokens, "sue": issue_token(engine, "sue")}
    write_batch(
        engine,
        [
            *recording_of("call-of-alice", "1001"),
            *recording_of("call-of-bob", "1002"),
            *recording_of(LIVE_CALL, "1001", closed=False),
            *recording_of("pruned", "1001"),
        ],
    )
    ids = {view.call_uuid: view.id for view in list_recordings(engine, SYSTEM, include_deleted=True)}
    mark_deleted(engine, ids["pruned"])
    with session_scope(engine) as session:
        session.execute(
            update(Agent).where(Agent.agent_id == "1001").values(state="on_call", call_uuid=LIVE_CALL)
        )
    switch = SupervisionSwitch([LiveChannel(AGENT_LEG, "1001", LIVE_CALL, True)])
    running = f"/var/lib/callcenter/recordings/2026/03/02/{LIVE_CALL}.wav"
    return World(engine, tokens, ids, switch, running)


@contextmanager
def serve(engine: Engine, calls: CallControl | None) -> Iterator[ApiClient]:
    server = ApiServer(build_api(engine, region=REGION, calls=calls, qa_forms=FORMS), "127.0.0.1", 0)
    server.start()
    try:
        yield ApiClient(server.port)
    finally:
        server.stop()


@pytest.fixture
def api(world: World) -> Iterator[ApiClient]:
    supervisor = Supervisor(
        cast(EslSwitch, world.switch),
        "callcenter.local",
        world.engine,
        recordings=StoredRecordingLog(world.engine),
        clock=lambda: T0,
        dialplan=lambda: PLAN,
    )
    with serve(world.engine, supervisor) as client:
        yield client


def post(api: ApiClient, path: str, user: str, world: World, body: Any = None) -> Reply:
    return api.request("POST", path, token=world.tokens[user], json_body=body)


# --- recordings ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("user", "visible"),
    [
        ("alice", [LIVE_CALL, "call-of-alice"]),
        ("bob", ["call-of-bob"]),
        ("sam", [LIVE_CALL, "call-of-alice"]),
        ("sue", ["call-of-bob"]),
        ("maria", [LIVE_CALL, "call-of-bob", "call-of-alice"]),
    ],
)
def test_each_role_lists_the_recordings_of_its_agents(
    api: ApiClient, world: World, user: str, visible: list[str]
) -> None:
    reply = api.get("/api/recordings", world.tokens[user])

    assert reply.status == 200
    assert sorted(view["call_uuid"] for view in reply.json()) == sorted(visible)


def test_filters_and_deleted_recordings(api: ApiClient, world: World) -> None:
    token = world.tokens["maria"]

    by_agent = api.get("/api/recordings?agent_id=1002", token).json()
    by_call = api.get("/api/recordings?call_uuid=call-of-alice", token).json()
    with_deleted = api.get("/api/recordings?agent_id=1001&include_deleted=true", token).json()

    assert [view["call_uuid"] for view in by_agent] == ["call-of-bob"]
    assert [view["call_uuid"] for view in by_call] == ["call-of-alice"]
    assert "pruned" in {view["call_uuid"] for view in with_deleted}


def test_one_recording_is_found_only_by_those_who_may_see_it(api: ApiClient, world: World) -> None:
    recording_id = world.ids["call-of-bob"]

    own = api.get(f"/api/recordings/{recording_id}", world.tokens["bob"])
    other = api.get(f"/api/recordings/{recording_id}", world.tokens["alice"])
    missing = api.get("/api/recordings/987654", world.tokens["maria"])

    assert own.status == 200
    assert own.json()["agent_id"] == "1002"
    assert own.json()["duration_s"] == 240.0
    assert own.json()["channels"] == 2
    assert (other.status, missing.status) == (404, 404)
    assert other.error == f"no recording {recording_id}"


@pytest.mark.parametrize(("user", "status"), [("alice", 403), ("sue", 404), ("sam", 200), ("maria", 200)])
def test_supervisors_and_managers_flag_recordings_to_keep(
    api: ApiClient, world: World, user: str, status: int
) -> None:
    path = f"/api/recordings/{world.ids['call-of-alice']}/keep"

    reply = post(api, path, user, world, {"keep": True, "reason": "dispute #4711"})

    assert reply.status == status, reply.body
    if status == 200:
        assert (reply.json()["keep"], reply.json()["keep_reason"]) == (True, "dispute #4711")
        released = post(api, path, user, world, {"keep": False})
        assert (released.json()["keep"], released.json()["keep_reason"]) == (False, None)


def test_a_pruned_recording_cannot_be_kept(api: ApiClient, world: World) -> None:
    reply = post(api, f"/api/recordings/{world.ids['pruned']}/keep", "maria", world, {"keep": True})

    assert reply.status == 422
    assert "was deleted" in reply.error


# --- QA --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("user", "status"), [("alice", 403), ("sue", 404), ("sam", 200), ("maria", 200)])
def test_supervisors_and_managers_score_recordings(
    api: ApiClient, world: World, user: str, status: int
) -> None:
    reply = post(
        api,
        f"/api/recordings/{world.ids['call-of-alice']}/scores",
        user,
        world,
        {"form": "standard", "scores": {"greeting": 5, "resolution": 5}},
    )

    assert reply.status == status, reply.body
    if status == 200:
        result = reply.json()
        assert (result["reviewer"], result["agent_id"], result["form"]) == (user, "1001", "standard")
        assert result["percent"] == pytest.approx((1 * 5 / 5 + 3 * 5 / 10) / 4 * 100)


@pytest.mark.parametrize(
    ("body", "status", "problem"),
    [
        (
            {"form": "nope", "scores": {"greeting": 1}},
            422,
            "no QA form 'nope' in the dialplan (its forms: standard)",
        ),
        ({"form": "standard", "scores": {"greeting": 1}}, 422, "criterion 'resolution' is not scored"),
        ({"form": "standard", "scores": {"greeting": 6, "resolution": 1}}, 422, "from 0 to 5"),
        (
            {"form": "standard", "scores": {"greeting": 1, "resolution": 1, "x": 1}},
            422,
            "'x' is not on the form",
        ),
        ({"form": "standard", "scores": {"greeting": "five"}}, 400, "body field 'scores.greeting'"),
        ({"scores": {}}, 400, "body field 'form': Field required"),
    ],
)
def test_scores_are_checked_against_the_form(
    api: ApiClient, world: World, body: dict[str, Any], status: int, problem: str
) -> None:
    reply = post(api, f"/api/recordings/{world.ids['call-of-alice']}/scores", "maria", world, body)

    assert reply.status == status
    assert problem in reply.error


def test_qa_averages_per_role(api: ApiClient, world: World) -> None:
    for call, score in (("call-of-alice", 5), ("call-of-bob", 0)):
        body = {"form": "standard", "scores": {"greeting": score, "resolution": score * 2}}
        assert post(api, f"/api/recordings/{world.ids[call]}/scores", "maria", world, body).status == 200

    def averages(user: str) -> dict[str, float]:
        reply = api.get("/api/qa/averages?since=2000-01-01T00:00:00Z", world.tokens[user])
        assert reply.status == 200
        return {row["agent_id"]: row["average_percent"] for row in reply.json()}

    assert averages("maria") == {"1001": 100.0, "1002": 0.0}
    assert averages("sam") == {"1001": 100.0}
    assert averages("bob") == {"1002": 0.0}
    assert api.get("/api/qa/averages?since=2999-01-01T00:00:00Z", world.tokens["maria"]).json() == []


# --- PCI pause -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("user", "status"), [("alice", 200), ("bob", 404), ("sam", 200), ("sue", 404), ("maria", 200)]
)
def test_the_agent_on_the_call_or_their_supervisor_pauses_its_recording(
    api: ApiClient, world: World, user: str, status: int
) -> None:
    paused = post(api, f"/api/calls/{LIVE_CALL}/recording/pause", user, world)
    resumed = post(api, f"/api/calls/{LIVE_CALL}/recording/resume", user, world)

    assert (paused.status, resumed.status) == (status, status), paused.body
    if status == 200:
        assert paused.json() == {"call_uuid": LIVE_CALL, "paused": True, "paths": [world.running_path]}
        assert resumed.json() == {"call_uuid": LIVE_CALL, "paused": False, "paths": [world.running_path]}
        assert world.switch.sent == [
            ("uuid_record", LIVE_CALL, "mask", world.running_path),
            ("uuid_record", LIVE_CALL, "unmask", world.running_path),
        ]
    else:
        assert paused.error == f"no call {LIVE_CALL}"
        assert world.switch.sent == []


def test_a_call_without_a_running_recording_cannot_be_paused(api: ApiClient, world: World) -> None:
    with session_scope(world.engine) as session:
        session.execute(
            update(Agent).where(Agent.agent_id == "1002").values(state="on_call", call_uuid="c-9")
        )

    reply = post(api, "/api/calls/c-9/recording/pause", "bob", world)

    assert reply.status == 409
    assert reply.error == "call c-9 has no running recording"


# --- on-demand recording --------------------------------------------------------------------------


@pytest.fixture
def on_demand(world: World) -> str:
    """Bob (support) on ON_DEMAND_CALL, queued in sales (on_demand) after its line's file (DID 4001's
    policy records all calls) stopped; the path a recording started now gets."""
    earlier = f"/rec/2026/03/02/{ON_DEMAND_CALL}.wav"
    write_batch(
        world.engine,
        [
            CallUpdate(ON_DEMAND_CALL, did="4001", started_at=T0),
            RecordingPlanned(ON_DEMAND_CALL, earlier, "ivr", "wav", 1, None, 30, T0),
            RecordingEvent(call_uuid=ON_DEMAND_CALL, path=earlier, kind="start", at=T0),
            RecordingEvent(call_uuid=ON_DEMAND_CALL, path=earlier, kind="stop", at=T0),
            QueueEvent(T0, ON_DEMAND_CALL, "sales", "ENTERQUEUE"),
        ],
    )
    put_on_call(world, "1002", ON_DEMAND_CALL)
    return f"/rec/2026/03/02/{ON_DEMAND_CALL}-2.wav"  # the call's second file, dated by the clock (T0)


def put_on_call(world: World, agent_id: str, call_uuid: str) -> None:
    with session_scope(world.engine) as session:
        session.execute(
            update(Agent).where(Agent.agent_id == agent_id).values(state="on_call", call_uuid=call_uuid)
        )


@pytest.mark.parametrize(
    ("user", "status"), [("bob", 200), ("sue", 200), ("maria", 200), ("alice", 404), ("sam", 404)]
)
def test_the_agent_on_an_on_demand_call_or_their_supervisor_records_it(
    api: ApiClient, world: World, on_demand: str, user: str, status: int
) -> None:
    started = post(api, f"/api/calls/{ON_DEMAND_CALL}/recording/start", user, world)
    again = post(api, f"/api/calls/{ON_DEMAND_CALL}/recording/start", user, world)
    stopped = post(api, f"/api/calls/{ON_DEMAND_CALL}/recording/stop", user, world)

    assert (started.status, stopped.status) == (status, status), started.body
    if status != 200:
        assert started.error == stopped.error == f"no call {ON_DEMAND_CALL}"
        assert world.switch.sent == []
        return
    assert started.json() == {"call_uuid": ON_DEMAND_CALL, "recording": True, "paths": [on_demand]}
    assert (again.status, again.error) == (
        409,
        f"call {ON_DEMAND_CALL} is already being recorded: {on_demand}",
    )
    assert stopped.json() == {"call_uuid": ON_DEMAND_CALL, "recording": False, "paths": [on_demand]}
    assert world.switch.sent == [
        ("uuid_setvar", ON_DEMAND_CALL, "RECORD_STEREO", "true"),  # the policy "ask": stereo by default
        ("uuid_record", ON_DEMAND_CALL, "start", on_demand),
        ("uuid_record", ON_DEMAND_CALL, "stop", on_demand),
    ]
    [row] = [
        r for r in list_recordings(world.engine, SYSTEM, call_uuid=ON_DEMAND_CALL) if r.path == on_demand
    ]
    assert (row.policy, row.queue, row.channels, row.agent_id) == ("ask", "sales", 2, None)


def test_a_call_whose_policy_is_not_on_demand_is_not_started_or_stopped(
    api: ApiClient, world: World, on_demand: str
) -> None:
    # Queued in operators, which names no policy: the DID's (records all calls) governs the call.
    write_batch(
        world.engine, [QueueEvent(T0 + dt.timedelta(seconds=1), ON_DEMAND_CALL, "operators", "ENTERQUEUE")]
    )

    started = post(api, f"/api/calls/{ON_DEMAND_CALL}/recording/start", "maria", world)
    stopped = post(api, f"/api/calls/{LIVE_CALL}/recording/stop", "maria", world)  # running, no policy

    assert started.status == 409
    assert started.error == f"call {ON_DEMAND_CALL}'s recording policy 'ivr' records all calls, not on demand"
    assert (stopped.status, stopped.error) == (409, f"call {LIVE_CALL} has no recording policy")
    assert world.switch.sent == []


# --- listen, whisper, barge ------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["listen", "whisper", "barge"])
def test_a_supervisor_joins_their_agents_call(api: ApiClient, world: World, mode: str) -> None:
    reply = post(api, "/api/supervise", "sam", world, {"agent_id": "1001", "mode": mode, "extension": "1201"})

    assert reply.status == 200, reply.body
    joined = reply.json()
    assert {key: joined[key] for key in ("agent_id", "mode", "extension", "target_uuid", "target_side")} == {
        "agent_id": "1001",
        "mode": mode,
        "extension": "1201",
        "target_uuid": AGENT_LEG,
        "target_side": "agent",
    }
    ((command, endpoint, application, argument, variables),) = world.switch.sent
    assert (command, endpoint, application, argument) == (
        "originate",
        "user/1201@callcenter.local",
        "eavesdrop",
        AGENT_LEG,
    )
    assert variables["origination_uuid"] == joined["supervisor_leg"]
    assert variables["eavesdrop_whisper_bleg"] == ("false" if mode == "listen" else "true")
    assert variables["eavesdrop_whisper_aleg"] == ("true" if mode == "barge" else "false")


@pytest.mark.parametrize(
    ("user", "agent", "status", "problem"),
    [
        ("alice", "1001", 403, "alice (agent) may not supervise calls"),
        ("bob", "1001", 403, "bob (agent) may not supervise calls"),
        ("sue", "1001", 404, "no agent 1001"),
        ("sam", "1002", 404, "no agent 1002"),
        ("maria", "9999", 404, "no agent 9999"),
        ("maria", "1002", 409, "agent 1002 is logged_out, not on a call"),
    ],
)
def test_supervision_is_refused_outside_the_viewers_rights(
    api: ApiClient, world: World, user: str, agent: str, status: int, problem: str
) -> None:
    reply = post(api, "/api/supervise", user, world, {"agent_id": agent, "mode": "listen"})

    assert reply.status == status
    assert reply.error == problem
    assert world.switch.sent == []


def test_a_manager_joins_any_agents_call(api: ApiClient, world: World) -> None:
    body = {"agent_id": "1001", "mode": "barge", "extension": "1299"}
    assert post(api, "/api/supervise", "maria", world, body).status == 200


def test_without_an_extension_the_viewers_own_phone_rings(api: ApiClient, world: World) -> None:
    reply = post(api, "/api/supervise", "maria", world, {"agent_id": "1001", "mode": "listen"})

    assert reply.status == 200, reply.body
    assert reply.json()["extension"] == "1299"
    ((_, endpoint, *_),) = world.switch.sent
    assert endpoint == "user/1299@callcenter.local"


@pytest.mark.parametrize(
    ("user", "extension", "problem"),
    [
        ("sam", "1299", "1299 is not sam's phone (theirs is 1201): only the supervisor's own phone is rung"),
        (
            "maria",
            "1201",
            "1201 is not maria's phone (theirs is 1299): only the supervisor's own phone is rung",
        ),
        (
            "sue",
            "1201",
            "sue has no phone extension to ring: `callcenter user set-extension sue EXTENSION` sets one",
        ),
    ],
)
def test_only_the_viewers_own_phone_can_be_rung(
    api: ApiClient, world: World, user: str, extension: str, problem: str
) -> None:
    body = {"agent_id": "1002" if user == "sue" else "1001", "mode": "listen", "extension": extension}

    reply = post(api, "/api/supervise", user, world, body)

    assert (reply.status, reply.error) == (403, problem)
    assert world.switch.sent == []


def test_a_phone_that_does_not_answer_joins_nothing(api: ApiClient, world: World) -> None:
    world.switch.answers = False

    reply = post(api, "/api/supervise", "sam", world, {"agent_id": "1001", "mode": "listen"})

    assert reply.status == 409
    assert reply.error.startswith("extension 1201 did not answer (NO_ANSWER)")


def test_a_switch_that_fails_is_a_503(api: ApiClient, world: World) -> None:
    world.switch.fails = True
    body = {"agent_id": "1001", "mode": "listen", "extension": "1201"}

    for reply in (
        post(api, "/api/supervise", "sam", world, body),
        post(api, f"/api/calls/{LIVE_CALL}/recording/pause", "alice", world),
    ):
        assert reply.status == 503
        assert reply.error == "the switch refused or did not answer: no FreeSWITCH answers on 127.0.0.1:8021"
        assert reply.headers["retry-after"] == "5"


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ({"agent_id": "1001", "mode": "spy", "extension": "1201"}, "body field 'mode'"),
        ({"agent_id": "1001", "mode": "listen", "extension": "12 01"}, "body field 'extension'"),
        ({"agent_id": "", "mode": "listen", "extension": "1201"}, "body field 'agent_id'"),
    ],
)
def test_supervision_requests_are_validated(
    api: ApiClient, world: World, body: dict[str, Any], problem: str
) -> None:
    reply = post(api, "/api/supervise", "maria", world, body)

    assert reply.status == 400
    assert problem in reply.error
    assert world.switch.sent == []


def test_without_call_control_the_switch_routes_answer_503(world: World) -> None:
    body = {"agent_id": "1001", "mode": "listen", "extension": "1201"}
    with serve(world.engine, None) as api:
        replies = [
            post(api, f"/api/calls/{LIVE_CALL}/recording/pause", "alice", world),
            post(api, f"/api/calls/{LIVE_CALL}/recording/resume", "alice", world),
            post(api, f"/api/calls/{LIVE_CALL}/recording/start", "alice", world),
            post(api, f"/api/calls/{LIVE_CALL}/recording/stop", "alice", world),
            post(api, "/api/supervise", "maria", world, body),
        ]
        assert [reply.status for reply in replies] == [503] * 5
        assert {reply.error for reply in replies} == {
            "this server has no call control: it runs without the switch"
        }
        assert api.get("/api/recordings", world.tokens["maria"]).status == 200  # the rest works


# --- the OpenAPI document tells the truth about these routes --------------------------------------


@dataclass(frozen=True)
class Example:
    operation_id: str
    user: str | None
    path: str
    status: int
    body: Any = None


def examples(world: World) -> Sequence[Example]:
    alice, bob, pruned = (world.ids[name] for name in ("call-of-alice", "call-of-bob", "pruned"))
    scores = {"form": "standard", "scores": {"greeting": 4, "resolution": 7}}
    watch = {"agent_id": "1001", "mode": "whisper", "extension": "1201"}
    return [
        Example("listRecordings", "maria", "/api/recordings?limit=10", 200),
        Example("listRecordings", "maria", "/api/recordings?limit=0", 400),
        Example("getRecording", "alice", f"/api/recordings/{alice}", 200),
        Example("getRecording", "alice", f"/api/recordings/{bob}", 404),
        Example("keepRecording", "sam", f"/api/recordings/{alice}/keep", 200, {"keep": True}),
        Example("keepRecording", "alice", f"/api/recordings/{alice}/keep", 403, {"keep": True}),
        Example("keepRecording", "maria", f"/api/recordings/{pruned}/keep", 422, {"keep": True}),
        Example("scoreRecording", "sam", f"/api/recordings/{alice}/scores", 200, scores),
        Example("scoreRecording", "alice", f"/api/recordings/{alice}/scores", 403, scores),
        Example("scoreRecording", "sam", f"/api/recordings/{alice}/scores", 422, {**scores, "form": "x"}),
        Example("qaAverages", "maria", "/api/qa/averages", 200),
        Example("pauseRecording", "alice", f"/api/calls/{LIVE_CALL}/recording/pause", 200),
        Example("pauseRecording", "bob", f"/api/calls/{LIVE_CALL}/recording/pause", 404),
        Example("resumeRecording", "alice", f"/api/calls/{LIVE_CALL}/recording/resume", 200),
        Example("resumeRecording", "bob", "/api/calls/call-of-bob/recording/resume", 409),
        Example("startRecording", "maria", f"/api/calls/{ON_DEMAND_CALL}/recording/start", 200),
        Example("startRecording", "maria", f"/api/calls/{ON_DEMAND_CALL}/recording/start", 409),
        Example("startRecording", "alice", f"/api/calls/{ON_DEMAND_CALL}/recording/start", 404),
        Example("stopRecording", "maria", f"/api/calls/{ON_DEMAND_CALL}/recording/stop", 200),
        Example("stopRecording", "maria", f"/api/calls/{LIVE_CALL}/recording/stop", 409),
        Example("supervise", "sam", "/api/supervise", 200, watch),
        Example("supervise", "alice", "/api/supervise", 403, watch),
        Example("supervise", "maria", "/api/supervise", 409, {"agent_id": "1002", "mode": "listen"}),
        Example("supervise", "maria", "/api/supervise", 403, watch),  # 1201 is sam's phone
        Example("supervise", None, "/api/supervise", 401, watch),
    ]


def test_every_recording_route_answers_what_the_document_says(
    api: ApiClient, world: World, on_demand: str
) -> None:
    with session_scope(world.engine) as session:  # a call of bob's without a running recording: 409
        session.execute(
            update(Agent).where(Agent.agent_id == "1002").values(state="on_call", call_uuid="call-of-bob")
        )
    document = api.get("/api/openapi.json", None).json()
    by_id = {operation["operationId"]: (method, operation) for _, method, operation in operations(document)}
    cases = examples(world)
    assert {case.operation_id for case in cases} == {route.operation_id for route in RECORDING_ROUTES}
    for case in cases:
        method, operation = by_id[case.operation_id]
        token = world.tokens[case.user] if case.user else None
        reply = api.request(method.upper(), case.path, token=token, json_body=case.body)
        assert reply.status == case.status, f"{case}: {reply.status} {reply.body!r}"
        documented = operation["responses"]
        assert str(reply.status) in documented, f"{case.operation_id}: {reply.status} is not documented"
        schema = documented[str(reply.status)]["content"]["application/json"]["schema"]
        assert problems(reply.json(), schema, document) == [], case
        if case.status == 200 and case.operation_id != "qaAverages":
            assert reply.body.strip() not in (b"[]", b""), (
                f"{case.operation_id}: the example should return data"
            )
