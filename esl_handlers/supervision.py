"""`Supervisor`: listen to, whisper to, or barge in on an agent's live call; pause its recording (PCI).

A supervisor's own phone is rung with `originate {vars}user/<extension>@<domain> &eavesdrop(<leg>)`
(EslSwitch.originate_application); once they answer, eavesdrop runs on their leg. What FreeSWITCH
does with it (mod_dptools eavesdrop_function, switch_ivr_async.c switch_ivr_eavesdrop_session):

- The leg's own variables choose the mode. eavesdrop_whisper_aleg=true sets ED_MUX_READ: the
  supervisor's voice is mixed into what the target channel *reads* (its phone's audio, which the
  bridge sends to its partner); eavesdrop_whisper_bleg=true sets ED_MUX_WRITE: mixed into what is
  *written to* the target (what its own phone plays). The supervisor always hears both sides
  (ED_BRIDGE_READ|WRITE by default).
- So with the agent's leg as the target: listen = neither, whisper to the agent = bleg only,
  barge (three-way) = both. With the caller's channel as the target, whisper is aleg only.
- eavesdrop_enable_dtmf (default on) lets the supervisor switch modes with keys 1 (aleg), 2 (bleg),
  3 (both), 0 (listen), * (stop). It is turned off: the mode stays the one permission was checked for.

Which leg: the agent's (`agent_leg_for`): the agents table says whom the agent is on a call with
(agents.call_uuid), and `show channels` finds the agent's own answered leg by its presence
(user/<extension>@domain), on whichever server's ACD rang it. Without one, the caller's channel is
the target.

The phone rung is always the supervisor's own (crm_users.extension, carried by their Viewer): a user
without one cannot supervise, and asking for another phone is refused (no override, not even for
managers), so nobody can ring someone else's phone into an eavesdrop.

Permissions follow the CRM's: agents may not supervise; a supervisor only their department's agents
(another department's agent is reported as not found, like any record they may not see); managers
and the system anyone. Pausing a recording (uuid_record mask/unmask) is also allowed to the agent
on that call, and so are starting and stopping a recording of a call whose policy is `on_demand`.

On-demand recording: the call's policy is its queue's when it entered one (its latest ENTERQUEUE) and
that queue names a policy, else its DID's (calls.did), read from the current dialplan as the call
logic reads it (ivr_scripts.recording). Only an `on_demand` policy's recording may be started or
stopped here: a policy that records all calls (or a sample, or none) stays in force.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Callable
from typing import Final

from sqlalchemy import Engine

from dialplans.models import Dialplan
from dialplans.recording_models import RecordingPolicy
from dialplans.vocabulary import AgentState
from esl_handlers import app_args
from esl_handlers.switch import EslSwitch
from ivr_scripts.recording import (
    NamedPolicy,
    PlannedRecording,
    RecordingLog,
    policy_for_did,
    policy_for_queue,
    recording_path,
)
from ivr_scripts.supervision import (
    MODES,
    AgentNotOnCall,
    AgentRow,
    CallFacts,
    EavesdropTarget,
    Mode,
    Side,
    Supervision,
    SupervisionError,
    SupervisionFacts,
)
from schema.adapters.supervision_facts import SqlSupervisionFacts
from schema.errors import NotFound, PermissionDenied
from schema.threadpool import in_thread
from schema.viewer import Viewer

log = logging.getLogger(__name__)

DEFAULT_RING_TIMEOUT: Final = 30.0


def eavesdrop_variables(mode: Mode, side: Side) -> dict[str, str]:
    """The supervisor leg's variables for `mode` when the eavesdropped channel is the `side`'s."""
    into_target_phone = mode == "barge" or (mode == "whisper" and side == "agent")  # ED_MUX_WRITE
    into_partner = mode == "barge" or (mode == "whisper" and side == "caller")  # ED_MUX_READ
    return {
        "eavesdrop_enable_dtmf": "false",
        "eavesdrop_whisper_aleg": "true" if into_partner else "false",
        "eavesdrop_whisper_bleg": "true" if into_target_phone else "false",
    }


def may_supervise(viewer: Viewer, agent_id: str, department: str | None) -> None:
    """Raise PermissionDenied (agents) or NotFound (another department's agent) unless allowed."""
    if viewer.sees_everything:
        return
    if viewer.role != "supervisor":
        raise PermissionDenied(f"{viewer.user} ({viewer.role}) may not supervise calls")
    if department is None or department != viewer.department:
        raise NotFound(f"no agent {agent_id}")


def supervisor_phone(viewer: Viewer, requested: str | None) -> str:
    """The phone to ring for `viewer`: their own extension (crm_users.extension), whatever is asked.

    PermissionDenied when they have none, or when `requested` is another phone: nobody, managers
    included, can ring someone else's phone into an eavesdrop."""
    own = viewer.extension
    if own is None:
        raise PermissionDenied(
            f"{viewer.user} has no phone extension to ring: "
            f"`callcenter user set-extension {viewer.user} EXTENSION` sets one"
        )
    if requested is not None and requested != own:
        raise PermissionDenied(
            f"{requested} is not {viewer.user}'s phone (theirs is {own}): "
            "only the supervisor's own phone is rung"
        )
    return own


class Supervisor:
    def __init__(
        self,
        switch: EslSwitch,
        domain: str,
        engine: Engine,
        *,
        ring_timeout: float = DEFAULT_RING_TIMEOUT,
        recordings: RecordingLog | None = None,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
        dialplan: Callable[[], Dialplan] | None = None,
    ) -> None:
        """`domain`: the agents' SIP domain (ServerConfig.agent_domain); `recordings`: told of each
        pause and each recording started on demand; `dialplan`: the current one (a callable, so a
        reload applies), for the policies of on-demand recording (without it none can start)."""
        self._switch = switch
        self._domain = app_args.word(domain, "domain")
        self._facts: SupervisionFacts = SqlSupervisionFacts(engine)
        self._ring_timeout = ring_timeout
        self._recordings = recordings
        self._clock = clock
        self._dialplan = dialplan

    # -- listen, whisper, barge -----------------------------------------------------------------

    def listen(self, viewer: Viewer, agent_id: str, supervisor_extension: str | None = None) -> Supervision:
        return self.eavesdrop(viewer, agent_id, supervisor_extension, "listen")

    def whisper(self, viewer: Viewer, agent_id: str, supervisor_extension: str | None = None) -> Supervision:
        return self.eavesdrop(viewer, agent_id, supervisor_extension, "whisper")

    def barge(self, viewer: Viewer, agent_id: str, supervisor_extension: str | None = None) -> Supervision:
        return self.eavesdrop(viewer, agent_id, supervisor_extension, "barge")

    def eavesdrop(
        self, viewer: Viewer, agent_id: str, supervisor_extension: str | None, mode: Mode
    ) -> Supervision:
        """Ring the viewer's own phone (`supervisor_extension`, when given, must be it: see
        supervisor_phone); once answered it hears (and per `mode` speaks into) the call.
        Blocks until the phone answers or the ring timeout (SwitchError when the switch fails)."""
        if mode not in MODES:
            raise ValueError(f"unknown supervision mode {mode!r}; one of {', '.join(MODES)}")
        agent = self._agent(agent_id)
        may_supervise(viewer, agent_id, agent.department)
        phone = supervisor_phone(viewer, supervisor_extension)
        try:
            endpoint = app_args.endpoint(f"user/{app_args.word(phone, 'extension')}@{self._domain}")
        except ValueError as exc:
            raise SupervisionError(f"supervisor extension refused: {exc}") from exc
        target = self._target(agent)
        leg = str(uuid.uuid4())
        variables = {
            "origination_uuid": leg,
            **eavesdrop_variables(mode, target.side),
            "cc_supervision": mode,
            "cc_supervised_agent": agent_id,
        }
        outcome = self._switch.originate_application(
            endpoint,
            "eavesdrop",
            target.uuid,
            caller_id_number=agent.extension,
            caller_id_name=f"{mode} {agent_id}",
            timeout=self._ring_timeout,
            variables=variables,
        )
        log.info(
            "%s: %s on agent %s (%s leg %s) from %s: %s",
            viewer.user,
            mode,
            agent_id,
            target.side,
            target.uuid,
            phone,
            outcome.result,
        )
        return Supervision(mode, agent_id, target, leg, outcome, phone)

    def agent_leg_for(self, agent_id: str) -> EavesdropTarget:
        """The channel to eavesdrop for the agent's current call: their own leg, else the caller's."""
        return self._target(self._agent(agent_id))

    # -- PCI pause -------------------------------------------------------------------------------

    def pause_recording(self, viewer: Viewer, call_uuid: str, path: str | None = None) -> list[str]:
        """Write silence into the call's running recordings (`path`: just that one); the paths masked."""
        paths = self._recording_paths(viewer, call_uuid, path)
        for target in paths:
            self._switch.record(call_uuid, "mask", target)
            if self._recordings is not None:
                self._recordings.paused(target, self._clock())
        log.info("%s paused recording of call %s: %s", viewer.user, call_uuid, ", ".join(paths))
        return paths

    def resume_recording(self, viewer: Viewer, call_uuid: str, path: str | None = None) -> list[str]:
        paths = self._recording_paths(viewer, call_uuid, path)
        for target in paths:
            self._switch.record(call_uuid, "unmask", target)
        log.info("%s resumed recording of call %s: %s", viewer.user, call_uuid, ", ".join(paths))
        return paths

    # -- on-demand recording --------------------------------------------------------------------

    def start_recording(self, viewer: Viewer, call_uuid: str) -> str:
        """Start recording a call whose policy is `on_demand`; the new file's path.

        SupervisionError: the policy is not on_demand, or a recording of the call already runs."""
        facts = self._call(viewer, call_uuid)
        if self._dialplan is None:
            raise SupervisionError("this server has no dialplan: no recording can be started")
        plan = self._dialplan()
        name, policy, queue = self._on_demand_policy(plan, call_uuid, facts)
        if facts.running:
            raise SupervisionError(f"call {call_uuid} is already being recorded: {', '.join(facts.running)}")
        started = self._clock()
        path = recording_path(plan.recording.directory, call_uuid, policy.format, started, facts.files + 1)
        self._switch.set_variable(call_uuid, "RECORD_STEREO", "true" if policy.stereo else "false")
        self._switch.record(call_uuid, "start", path)
        if self._recordings is not None:
            self._recordings.planned(
                PlannedRecording(
                    call_uuid=call_uuid,
                    path=path,
                    policy=name,
                    format=policy.format,
                    channels=2 if policy.stereo else 1,
                    queue=queue,
                    retention_days=policy.retention_days,
                    at=started,
                )
            )
        log.info("%s started recording call %s to %s (policy %s)", viewer.user, call_uuid, path, name)
        return path

    def stop_recording(self, viewer: Viewer, call_uuid: str, path: str | None = None) -> list[str]:
        """Stop the running recordings (`path`: just that one) of a call whose policy is `on_demand`."""
        facts = self._call(viewer, call_uuid)
        if self._dialplan is None:
            raise SupervisionError("this server has no dialplan: no recording can be stopped")
        self._on_demand_policy(self._dialplan(), call_uuid, facts)
        paths = self._paths(call_uuid, facts, path)
        for target in paths:
            self._switch.record(call_uuid, "stop", target)
        log.info("%s stopped recording call %s: %s", viewer.user, call_uuid, ", ".join(paths))
        return paths

    def _on_demand_policy(
        self, plan: Dialplan, call_uuid: str, facts: CallFacts
    ) -> tuple[str, RecordingPolicy, str | None]:
        """The call's policy (its queue's, else its DID's), its queue; SupervisionError unless on_demand."""
        named: NamedPolicy | None = None
        queue = facts.queue if facts.queue in plan.queues else None
        if queue is not None:
            named = policy_for_queue(plan, queue)
        if named is None and facts.did is not None and facts.did in plan.dids:
            named = policy_for_did(plan, facts.did)
        if named is None:
            raise SupervisionError(f"call {call_uuid} has no recording policy")
        name, policy = named
        if policy.mode != "on_demand":
            records = {"all": "all calls", "none": "no call", "percent": f"a {policy.percent} % sample"}
            raise SupervisionError(
                f"call {call_uuid}'s recording policy {name!r} records {records[policy.mode]}, not on demand"
            )
        return name, policy, queue

    # -- internals -------------------------------------------------------------------------------

    def _agent(self, agent_id: str) -> AgentRow:
        found = in_thread(self._facts.agent, agent_id)
        if found is None:
            raise NotFound(f"no agent {agent_id}")
        return found

    def _target(self, agent: AgentRow) -> EavesdropTarget:
        if agent.state != AgentState.ON_CALL or agent.call_uuid is None:
            raise AgentNotOnCall(f"agent {agent.agent_id} is {agent.state}, not on a call")
        channels = self._switch.channels()
        legs = [c for c in channels if c.agent_extension == agent.extension and c.answered]
        bridged = [c for c in legs if c.bridged_to == agent.call_uuid]
        if bridged or len(legs) == 1:
            return EavesdropTarget((bridged or legs)[0].uuid, "agent")
        if any(c.uuid == agent.call_uuid for c in channels):
            return EavesdropTarget(agent.call_uuid, "caller")
        raise AgentNotOnCall(f"agent {agent.agent_id}: no live channel of call {agent.call_uuid}")

    def _recording_paths(self, viewer: Viewer, call_uuid: str, path: str | None) -> list[str]:
        return self._paths(call_uuid, self._call(viewer, call_uuid), path)

    @staticmethod
    def _paths(call_uuid: str, facts: CallFacts, path: str | None) -> list[str]:
        try:
            wanted = None if path is None else app_args.recording_path(path)
        except ValueError as exc:
            raise SupervisionError(str(exc)) from exc
        paths = facts.running if wanted is None else [wanted]
        if not paths:
            raise SupervisionError(f"call {call_uuid} has no running recording")
        return paths

    def _call(self, viewer: Viewer, call_uuid: str) -> CallFacts:
        """What the database knows of a live call; NotFound unless the viewer may act on it (the agent
        on the call, their department's supervisor, managers and the system)."""
        try:
            app_args.channel_uuid(call_uuid, "call uuid")
        except ValueError as exc:
            raise SupervisionError(str(exc)) from exc

        facts = in_thread(self._facts.call, call_uuid)
        if not viewer.sees_everything and not any(_may_pause(viewer, agent) for agent in facts.agents):
            raise NotFound(f"no call {call_uuid}")
        return facts


def _may_pause(viewer: Viewer, agent: AgentRow) -> bool:
    if viewer.role == "agent":
        return viewer.agent_id == agent.agent_id
    return (
        viewer.role == "supervisor" and agent.department is not None and agent.department == viewer.department
    )


__all__ = ["DEFAULT_RING_TIMEOUT", "Supervisor", "eavesdrop_variables", "may_supervise", "supervisor_phone"]
