"""The IVR menu runner: walks a dialplan's menus over any Channel and reports every step.

Semantics a telecom engineer can rely on (docs/dialplan.md says the same):
- A menu plays its greeting once on entry, then its options prompt and waits for one key.
- `max_retries` is the number of tries the caller gets. A try that times out plays the timeout
  prompt, an unknown key the invalid prompt, and both count as a failed try. When every try has
  failed, the menu's fallback action runs.
- `play` with `then: return` replays the options prompt (the greeting is not repeated) and gives
  the caller a fresh set of tries.
- A caller hanging up at any point ends the run with the outcome `caller_hangup`.
- A caller who keeps wandering between menus is stopped after `max_actions` actions: the call
  is hung up with the outcome `loop_limit` rather than kept forever.
- A transfer to a queue goes to the ACD when the runner has one (`queues`): the caller waits
  there, and what the queue hands back (an overflow or exit-key action) runs like a menu choice.
  Without an ACD the call is transferred to the queue's extension in FreeSWITCH. When the agent
  hangs up first the caller answers the queue's survey, if it has one and the runner has a CRM sink
  (`crm_sink`) to keep the answers (without one the survey is skipped, with a warning), and the call
  is hung up.
- With a customer directory (`directory`), callers are screened before the call is answered
  (ivr_scripts.screening): blacklisted callers are refused, VIPs go straight to the VIP queue
  (their own agent preferred), everyone else reaches the menu. `{lookup: ...}` options run
  self-service lookups (ivr_scripts.self_service) against the same directory.
- With a recording log (`recordings`), calls are recorded as the policies say
  (ivr_scripts.recording.CallRecorder): the DID's from the answer (its announcement first), the
  queue's from joining the queue (with or without the ACD); a queue whose policy does not record
  the call stops the DID's recording, so the conversation with the agent is not recorded. Without
  one, nothing is recorded.
- A sensitive menu or lookup (a card number): the keys are collected as sensitive, every running
  recording is masked meanwhile, and the steps never carry the keys.
"""

from __future__ import annotations

import datetime as dt
import logging
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import Literal, Protocol

from dialplans.clock import Clock
from dialplans.models import (
    Action,
    Dialplan,
    GotoMenu,
    Hangup,
    Lookup,
    Menu,
    PlayMessage,
    Transfer,
    TransferTarget,
)
from dialplans.vocabulary import NORMAL_CLEARING, UNALLOCATED_NUMBER
from ivr_scripts.channel import Audio, CallerHungUp, CallLeg, Channel
from ivr_scripts.crm import CallerDirectory, CrmSink, CustomerRecord, ScreeningDecision
from ivr_scripts.journal import IvrStep, Outcome, OutcomeKind, StepResult, StepSink
from ivr_scripts.prompts import PromptBook
from ivr_scripts.recording import (
    NOT_RECORDING,
    CallRecorder,
    CallRecording,
    RecordingLog,
    policy_for_did,
    policy_for_queue,
)
from ivr_scripts.schedule import menu_for
from ivr_scripts.screening import screen, screening_variables
from ivr_scripts.self_service import run_lookup
from ivr_scripts.survey import SurveyCall, run_survey

log = logging.getLogger(__name__)


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True, slots=True)
class QueueResult:
    """How a call left a queue: talked to an agent, hung up, asked for a callback, or an action follows."""

    kind: Literal["answered", "abandoned", "callback", "action"]
    action: Action | None = None
    agent_id: str | None = None
    # answered: who hung up first. When the agent did, the caller is still on the line (parked after
    # the bridge) and the runner decides what follows (the queue's survey, else a hang-up).
    ended_by: Literal["caller", "agent"] | None = None

    def __post_init__(self) -> None:
        if (self.kind == "action") != (self.action is not None):
            raise ValueError("a queue result carries an action exactly when its kind is 'action'")


class QueueEntry(Protocol):
    """The ACD as the runner sees it; `join` blocks while the caller waits and talks."""

    def join(
        self,
        leg: CallLeg,
        queue: str,
        *,
        ivr_path: tuple[str, ...],
        preferred_agent: str | None = None,
    ) -> QueueResult:
        """`preferred_agent` (a VIP's own agent) gets the call first if they serve the queue and are free."""
        ...


# Channel variables the runner leaves on the call, for the dialplan and the CDR.
VAR_IVR_PATH = "cc_ivr_path"
VAR_QUEUE = "cc_queue"


@dataclass
class _CallState:
    """The bookkeeping of one run: step numbering and the menus visited."""

    leg: CallLeg
    sink: StepSink
    clock: Clock
    prompts: PromptBook
    seq: int = 0
    path: list[str] = field(default_factory=list)
    menu: str | None = None
    customer: CustomerRecord | None = None  # whom screening matched (self-service `by: caller_id`)
    recorder: CallRecording = NOT_RECORDING

    @property
    def channel(self) -> Channel:
        return self.leg.channel

    def step(self, result: StepResult, *, prompt: str | None = None, digits: str | None = None) -> None:
        self.seq += 1
        step = IvrStep(self.seq, self.menu, prompt, digits, result, self.clock())
        self.sink.record_step(self.channel.info.uuid, step)

    def outcome(self, kind: OutcomeKind, destination: str | None = None) -> Outcome:
        return Outcome(kind, destination, tuple(self.path))

    def audio(self, prompt: str) -> Audio:
        return self.prompts[prompt]

    def play(self, prompt: str, *, type_ahead: bool = False) -> None:
        self.channel.play(self.audio(prompt), type_ahead=type_ahead)
        self.step("played", prompt=prompt)

    def masked(self) -> AbstractContextManager[None]:
        return self.recorder.masked()


class IvrRunner:
    def __init__(
        self,
        dialplan: Dialplan,
        prompts: PromptBook,
        *,
        clock: Clock = utc_now,
        max_actions: int = 50,
        queues: QueueEntry | None = None,
        directory: CallerDirectory | None = None,
        crm_sink: CrmSink | None = None,
        recordings: RecordingLog | None = None,
    ) -> None:
        self._dialplan = dialplan
        self._prompts = prompts
        self._clock = clock
        self._max_actions = max_actions
        self._queues = queues
        self._directory = directory
        self._crm_sink = crm_sink
        self._recordings = recordings

    @property
    def prompts(self) -> PromptBook:
        return self._prompts

    def run(self, leg: CallLeg, sink: StepSink) -> Outcome:
        """Answer the call and run its menus until it is transferred or hung up."""
        state = _CallState(leg, sink, self._clock, self._prompts)
        if self._recordings is not None:
            directory = self._dialplan.recording.directory
            state.recorder = CallRecorder(state, leg.recording, self._recordings, directory, self._clock)
        try:
            return self._run(state)
        except CallerHungUp:
            state.step("caller_hangup")
            return state.outcome("caller_hangup")

    def _run(self, state: _CallState) -> Outcome:
        channel = state.channel
        did = self._dialplan.dids.get(channel.info.destination)
        if did is None:
            state.step("unknown_did", digits=channel.info.destination)
            channel.hangup(UNALLOCATED_NUMBER)
            return state.outcome("unknown_did")
        menu_name, is_open = menu_for(did, self._dialplan.schedules, self._clock())
        decision = self._screen(state)
        if decision is not None and decision.kind == "blocked":
            return self._refuse(state, decision)
        channel.answer()
        if decision is not None:
            self._leave_variables(state, decision)
        state.recorder.start_for_line(policy_for_did(self._dialplan, channel.info.destination))
        if decision is not None and decision.kind == "vip" and is_open:
            # Only while the line is open: out of hours the VIP queue is unstaffed, and the closed menu
            # (emergency options, voicemail) serves VIPs as it serves everyone.
            # What the VIP queue hands back (an overflow, the exit key) runs in the DID's menu.
            after = self._vip(state, decision)
            return after if isinstance(after, Outcome) else self._menus(state, menu_name, pending=after)
        state.step("open" if is_open else "closed")
        return self._menus(state, menu_name)

    def _menus(self, state: _CallState, menu_name: str, *, pending: Action | None = None) -> Outcome:
        """Run menus from `menu_name`; `pending` is an action handed back by a queue, run before asking."""
        greet = pending is None
        for _ in range(self._max_actions):
            state.menu = menu_name
            if greet or (pending is None and not state.path):
                state.path.append(menu_name)
            menu = self._dialplan.menus[menu_name]
            action = pending or self._choose(state, menu, greet=greet)
            pending = None
            if isinstance(action, GotoMenu):
                menu_name, greet = action.menu, True
                continue
            if isinstance(action, PlayMessage):
                # A message that returns to the menu may be answered early: the caller knows the menu.
                state.play(action.play, type_ahead=action.then == "return" and not menu.sensitive)
                if action.then == "return":
                    greet = False
                    continue
                return self._hang_up(state, NORMAL_CLEARING)
            if isinstance(action, Lookup):
                ended = run_lookup(
                    state,
                    menu,
                    self._dialplan.self_service[action.lookup],
                    directory=self._directory,
                    caller_customer=state.customer,
                )
                # A failed lookup that is itself the menu's fallback has nowhere left to go.
                if ended == "hangup" or ended is action:
                    return self._hang_up(state, NORMAL_CLEARING)
                pending = None if ended == "return" else ended
                greet = False
                continue
            if isinstance(action, Transfer):
                if action.transfer.queue is not None and self._queues is not None:
                    result = self._queue(state, action.transfer.queue)
                    if isinstance(result, Outcome):
                        return result
                    pending, greet = result, False
                    continue
                return self._transfer(state, action)
            return self._hangup_action(state, action)
        state.step("loop_limit")
        state.channel.hangup(NORMAL_CLEARING)
        return state.outcome("loop_limit")

    def _screen(self, state: _CallState) -> ScreeningDecision | None:
        """Screen the caller (before answering) and record the decision."""
        if self._directory is None:
            return None
        decision = screen(self._directory, state.channel.info.caller_number, self._dialplan.crm)
        state.customer = decision.profile.customer
        if self._crm_sink is not None:
            self._crm_sink.record_screening(state.channel.info.uuid, decision)
        return decision

    def _leave_variables(self, state: _CallState, decision: ScreeningDecision) -> None:
        # Set once the call is answered (or just before it is refused): answering is not delayed.
        for name, value in screening_variables(decision).items():
            state.channel.set_variable(name, value)

    def _refuse(self, state: _CallState, decision: ScreeningDecision) -> Outcome:
        """A blacklisted caller: rejected unanswered, or answered to hear the blacklist prompt."""
        blacklist = self._dialplan.crm.blacklist
        state.step("blocked", prompt=blacklist.prompt)
        self._leave_variables(state, decision)
        if blacklist.prompt is not None:
            state.channel.answer()
            state.play(blacklist.prompt)
        state.channel.hangup(blacklist.cause)
        return state.outcome("blocked", blacklist.cause)

    def _vip(self, state: _CallState, decision: ScreeningDecision) -> Outcome | Action:
        """The green channel: the VIP greeting, then the VIP queue, the customer's own agent first."""
        assert decision.queue is not None  # screening.decide sets it for every VIP
        state.step("vip", digits=decision.queue)
        vip = self._dialplan.crm.vip
        if vip is not None and vip.greeting is not None:
            state.play(vip.greeting)
        if self._queues is None:
            return self._transfer(state, Transfer(transfer=TransferTarget(queue=decision.queue)))
        return self._queue(state, decision.queue, preferred_agent=decision.preferred_agent)

    def _choose(self, state: _CallState, menu: Menu, *, greet: bool) -> Action:
        """Prompt for a key until a valid one is pressed or the tries run out."""
        # Callers who know the menu key during the greeting and the retry prompts (type-ahead), except
        # in a sensitive menu: a key kept for later would sit in a channel variable.
        type_ahead = not menu.sensitive
        if greet and menu.greeting is not None:
            state.play(menu.greeting, type_ahead=type_ahead)
        for attempt in range(1, menu.max_retries + 1):
            with state.masked() if menu.sensitive else nullcontext():
                digits = state.channel.collect_digits(
                    state.audio(menu.prompt),
                    max_digits=1,
                    timeout=menu.timeout,
                    digit_timeout=menu.digit_timeout,
                    terminators="",
                    sensitive=menu.sensitive,
                )
            kept = None if menu.sensitive else digits or None
            action = menu.options.get(digits) if digits else None
            if action is not None:
                state.step("ok", prompt=menu.prompt, digits=kept)
                return action
            state.step("invalid" if digits else "timeout", prompt=menu.prompt, digits=kept)
            retry_prompt = menu.invalid_prompt if digits else menu.timeout_prompt
            if retry_prompt is not None and attempt < menu.max_retries:
                state.play(retry_prompt, type_ahead=type_ahead)
        state.step("fallback", prompt=menu.prompt)
        return menu.fallback

    def _transfer(self, state: _CallState, action: Transfer) -> Outcome:
        channel = state.channel
        target = action.transfer
        channel.set_variable(VAR_IVR_PATH, "/".join(state.path))
        if target.queue is not None:
            queue = self._dialplan.queues[target.queue]
            channel.set_variable(VAR_QUEUE, target.queue)
            state.step("queue", digits=queue.extension)
            self._record_queue(state, target.queue)
            channel.transfer(queue.extension, target.context)
            return state.outcome("queued", f"queue:{target.queue}")
        # The loader guarantees exactly one of extension and queue.
        extension = target.extension or ""
        state.step("transfer", digits=extension)
        channel.transfer(extension, target.context)
        return state.outcome("transferred", extension)

    def _queue(
        self, state: _CallState, queue: str, *, preferred_agent: str | None = None
    ) -> Outcome | Action:
        """Wait in the ACD; the outcome of the call, or the action the queue hands back."""
        assert self._queues is not None
        state.channel.set_variable(VAR_IVR_PATH, "/".join(state.path))
        state.step("queue", digits=queue)
        self._record_queue(state, queue)
        result = self._queues.join(
            state.leg, queue, ivr_path=tuple(state.path), preferred_agent=preferred_agent
        )
        if result.kind == "action":
            assert result.action is not None  # QueueResult guarantees it
            return result.action
        state.step(result.kind, digits=result.agent_id)
        outcome = state.outcome(result.kind, f"queue:{queue}")
        if result.kind == "answered" and result.ended_by == "agent":
            self._after_agent_hung_up(state, queue, result.agent_id)
        return outcome

    def _record_queue(self, state: _CallState, queue: str) -> None:
        """From joining `queue` on, its recording policy (if it names one) governs the call."""
        state.recorder.join_queue(queue, policy_for_queue(self._dialplan, queue))

    def _after_agent_hung_up(self, state: _CallState, queue: str, agent_id: str | None) -> None:
        """The caller is still on the line (the ACD leaves them parked): the survey, if any, then hang up.

        The call was answered whatever happens here: a caller hanging up mid-survey is recorded as a
        step, the answers already given are kept, and the outcome stays `answered`.
        """
        survey_name = self._dialplan.queues[queue].survey
        if survey_name is not None and self._crm_sink is None:
            log.warning(
                "queue %s has survey %s but the runner has no CRM sink to keep answers", queue, survey_name
            )
        try:
            if survey_name is not None and self._crm_sink is not None:
                about = SurveyCall(survey_name, queue, agent_id)
                survey = self._dialplan.surveys[survey_name]
                run_survey(state, survey, about, sink=self._crm_sink, clock=self._clock)
            self._hang_up(state, NORMAL_CLEARING)
        except CallerHungUp:
            state.step("caller_hangup")

    def _hangup_action(self, state: _CallState, action: Hangup) -> Outcome:
        if action.hangup.prompt is not None:
            state.play(action.hangup.prompt)
        return self._hang_up(state, action.hangup.cause)

    def _hang_up(self, state: _CallState, cause: str) -> Outcome:
        state.step("hangup")
        state.channel.hangup(cause)
        return state.outcome("hangup", cause)
