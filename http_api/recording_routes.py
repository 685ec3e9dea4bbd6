"""The API's recording, QA and supervision routes: recordings and their keep flag, QA scores and averages
(over schema.recording.recordings and schema.recording.qa), the PCI pause of a call's recording, and
listen / whisper / barge (over a `CallControl`: esl_handlers.supervision.Supervisor in the call server).

The data layer and the Supervisor decide who may do what (NotFound / PermissionDenied, which the app
turns into 404 / 403). What only the switch can refuse becomes:
- 409: the agent is on no call, the call has no running recording (or, to start one, already has
  one, or its policy is not `on_demand`), or the supervisor's phone did not answer
  (`SupervisionError`, or an originate that did not answer);
- 503: the switch did not answer or refused (`SwitchError`), or this server has no call control
  (an API started without the switch).

Call-control handlers run in the request's greenlet, not the thread pool: the Supervisor talks to the
switch over gevent sockets and does its own database reads in the pool. Its eavesdrop blocks until the
supervisor's phone answers or stops ringing (30 s by default).

The handlers that need the call control or the dialplan's QA forms take them as a second argument:
`bind_services` (called by build_api) fixes it, as it fixes the OpenAPI document's handler.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final, Protocol, TypeVar

from dialplans.recording_models import QaForm
from http_api.models import (
    KeepIn,
    OnDemandRecording,
    QaAverageFilter,
    RecordingPause,
    RecordingSearch,
    ScoresIn,
    SuperviseIn,
    SupervisionView,
)
from http_api.routing import ApiError, Context, Handler, Result, Route
from ivr_scripts.supervision import Mode, Supervision, SupervisionError
from ivr_scripts.switch import SwitchError
from schema.recording import qa, recordings
from schema.recording.views import QaAverage, QaResult, RecordingView
from schema.viewer import Viewer

_T = TypeVar("_T")


class CallControl(Protocol):
    """What the API asks of the switch (esl_handlers.supervision.Supervisor is one). Each method checks
    the viewer's rights itself: NotFound / PermissionDenied; SupervisionError or SwitchError otherwise."""

    def pause_recording(self, viewer: Viewer, call_uuid: str) -> list[str]:
        """Mask the call's running recordings (PCI); the paths masked."""
        ...

    def resume_recording(self, viewer: Viewer, call_uuid: str) -> list[str]: ...

    def start_recording(self, viewer: Viewer, call_uuid: str) -> str:
        """Record a call whose policy is `on_demand`; the new file's path."""
        ...

    def stop_recording(self, viewer: Viewer, call_uuid: str) -> list[str]:
        """Stop the running recordings of a call whose policy is `on_demand`; their paths."""
        ...

    def eavesdrop(
        self, viewer: Viewer, agent_id: str, supervisor_extension: str | None, mode: Mode
    ) -> Supervision:
        """Ring the viewer's own phone (PermissionDenied for any other, or when they have none) and
        join the agent's call in `mode` once answered."""
        ...


QaForms = Callable[[], Mapping[str, QaForm]]


@dataclass(frozen=True)
class Services:
    """What some handlers need beyond the database: the switch, and the dialplan's QA forms (a callable,
    so a reloaded dialplan's forms apply at once)."""

    calls: CallControl | None
    qa_forms: QaForms

    def call_control(self) -> CallControl:
        if self.calls is None:
            raise ApiError(503, "this server has no call control: it runs without the switch")
        return self.calls


# --- recordings and QA -----------------------------------------------------------------------------


def list_recordings(ctx: Context) -> Result:
    query = ctx.query_as(RecordingSearch)
    return ctx.data(
        recordings.list_recordings,
        agent_id=query.agent_id,
        call_uuid=query.call_uuid,
        since=query.since,
        include_deleted=query.include_deleted,
        limit=query.limit,
        offset=query.offset,
    )


def get_recording(ctx: Context) -> Result:
    return ctx.data(recordings.get_recording, ctx.id())


def set_keep(ctx: Context) -> Result:
    body = ctx.body_as(KeepIn)
    return ctx.data(recordings.set_keep, ctx.id(), body.keep, body.reason)


def save_scores(ctx: Context, services: Services) -> Result:
    body = ctx.body_as(ScoresIn)
    forms = services.qa_forms()
    form = forms.get(body.form)
    if form is None:
        known = ", ".join(sorted(forms)) or "none"
        raise ApiError(422, f"no QA form {body.form!r} in the dialplan (its forms: {known})")
    return ctx.data(qa.save_scores, ctx.id(), body.form, form, dict(body.scores))


def qa_averages(ctx: Context) -> Result:
    return ctx.data(qa.qa_averages, since=ctx.query_as(QaAverageFilter).since)


# --- call control ----------------------------------------------------------------------------------


def pause_recording(ctx: Context, services: Services) -> Result:
    calls = services.call_control()
    call_uuid = ctx.text("uuid")
    paths = _switch_call(lambda: calls.pause_recording(ctx.who, call_uuid))
    return RecordingPause(call_uuid=call_uuid, paused=True, paths=paths)


def resume_recording(ctx: Context, services: Services) -> Result:
    calls = services.call_control()
    call_uuid = ctx.text("uuid")
    paths = _switch_call(lambda: calls.resume_recording(ctx.who, call_uuid))
    return RecordingPause(call_uuid=call_uuid, paused=False, paths=paths)


def start_recording(ctx: Context, services: Services) -> Result:
    calls = services.call_control()
    call_uuid = ctx.text("uuid")
    path = _switch_call(lambda: calls.start_recording(ctx.who, call_uuid))
    return OnDemandRecording(call_uuid=call_uuid, recording=True, paths=[path])


def stop_recording(ctx: Context, services: Services) -> Result:
    calls = services.call_control()
    call_uuid = ctx.text("uuid")
    paths = _switch_call(lambda: calls.stop_recording(ctx.who, call_uuid))
    return OnDemandRecording(call_uuid=call_uuid, recording=False, paths=paths)


def supervise(ctx: Context, services: Services) -> Result:
    calls = services.call_control()
    body = ctx.body_as(SuperviseIn)
    started = _switch_call(lambda: calls.eavesdrop(ctx.who, body.agent_id, body.extension, body.mode))
    if started.outcome.result != "answered":
        raise ApiError(
            409,
            f"extension {started.extension} did not answer ({started.outcome.cause}): "
            f"nothing was joined; answer the phone when it rings",
        )
    return SupervisionView(
        agent_id=started.agent_id,
        mode=started.mode,
        extension=started.extension,
        target_uuid=started.target.uuid,
        target_side=started.target.side,
        supervisor_leg=started.supervisor_leg,
    )


def _switch_call(call: Callable[[], _T]) -> _T:
    try:
        return call()
    except SupervisionError as exc:
        raise ApiError(409, str(exc)) from exc
    except SwitchError as exc:
        raise ApiError(503, f"the switch refused or did not answer: {exc}", [("Retry-After", "5")]) from exc


# --- the table -------------------------------------------------------------------------------------


ServiceHandler = Callable[[Context, Services], Result]
SERVICE_HANDLERS: Final[Mapping[str, ServiceHandler]] = {
    "scoreRecording": save_scores,
    "pauseRecording": pause_recording,
    "resumeRecording": resume_recording,
    "startRecording": start_recording,
    "stopRecording": stop_recording,
    "supervise": supervise,
}


def _unbound(ctx: Context) -> Result:
    raise RuntimeError("build_api binds this handler to its services (bind_services)")


def bind_services(routes: Sequence[Route], services: Services) -> tuple[Route, ...]:
    """The routes, with the handlers that need `services` bound to them."""
    return tuple(
        dataclasses.replace(route, handler=_bound(SERVICE_HANDLERS[route.operation_id], services))
        if route.operation_id in SERVICE_HANDLERS
        else route
        for route in routes
    )


def _bound(handler: ServiceHandler, services: Services) -> Handler:
    return lambda ctx: handler(ctx, services)


RECORDING_ROUTES: Final[tuple[Route, ...]] = (
    Route(
        "GET",
        "/api/recordings",
        "listRecordings",
        "Recordings the viewer may see (their own, their department's agents', all), newest first",
        list_recordings,
        response=RecordingView,
        many=True,
        query=RecordingSearch,
    ),
    Route(
        "GET", "/api/recordings/{id}", "getRecording", "One recording", get_recording, response=RecordingView
    ),
    Route(
        "POST",
        "/api/recordings/{id}/keep",
        "keepRecording",
        "Protect a recording from pruning, or let it go (supervisors and managers)",
        set_keep,
        response=RecordingView,
        body=KeepIn,
        errors=(403, 422),
        description="A recording pruning has deleted cannot be kept (422).",
    ),
    Route(
        "POST",
        "/api/recordings/{id}/scores",
        "scoreRecording",
        "Score a recording against a QA form of the dialplan (supervisors and managers)",
        _unbound,
        response=QaResult,
        body=ScoresIn,
        errors=(403, 422),
        description="Replaces the scores this reviewer gave the recording before. Every criterion of the "
        "form must be scored, 0 to its max_score (422 otherwise).",
    ),
    Route(
        "GET",
        "/api/qa/averages",
        "qaAverages",
        "Each visible agent's QA average: the mean percent of their scored recordings",
        qa_averages,
        response=QaAverage,
        many=True,
        query=QaAverageFilter,
    ),
    Route(
        "POST",
        "/api/calls/{uuid}/recording/pause",
        "pauseRecording",
        "Mask the call's recording (PCI: while a card number is given); the agent on the call or their "
        "supervisor",
        _unbound,
        response=RecordingPause,
        errors=(409,),
        description="The recording goes on, writing silence, until resumed. 409: no running recording.",
    ),
    Route(
        "POST",
        "/api/calls/{uuid}/recording/resume",
        "resumeRecording",
        "Record the call's audio again after a pause",
        _unbound,
        response=RecordingPause,
        errors=(409,),
    ),
    Route(
        "POST",
        "/api/calls/{uuid}/recording/start",
        "startRecording",
        "Record a call whose recording policy is on_demand; the agent on the call or their supervisor",
        _unbound,
        response=OnDemandRecording,
        errors=(409,),
        description="The file follows the policy (format, stereo, retention) and the dated layout, numbered "
        "after the call's earlier files. 409: the call's policy is not on_demand (it records all calls, a "
        "sample or none), or a recording of the call already runs.",
    ),
    Route(
        "POST",
        "/api/calls/{uuid}/recording/stop",
        "stopRecording",
        "Stop the running recording of a call whose recording policy is on_demand",
        _unbound,
        response=OnDemandRecording,
        errors=(409,),
        description="409: the call's policy is not on_demand, or no recording of the call runs.",
    ),
    Route(
        "POST",
        "/api/supervise",
        "supervise",
        "Listen to, whisper to, or barge in on an agent's call from the supervisor's phone",
        _unbound,
        response=SupervisionView,
        body=SuperviseIn,
        errors=(403, 404, 409),
        description="Rings the caller's own phone (their user's extension) and answers once it is picked "
        "up (up to 30 s). Supervisors: their department's agents (another's is 404); managers: anyone; "
        "agents: 403. 403 also when the user has no extension or `extension` is not theirs. 409: the "
        "agent is on no call, or the phone did not answer.",
    ),
)
