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
  Without an ACD the call is transferred to the queue's extension in FreeSWITCH.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal, Protocol

from dialplans.models import Action, Dialplan, GotoMenu, Hangup, Menu, PlayMessage, Transfer
from ivr_scripts.channel import Audio, CallerHungUp, Channel
from ivr_scripts.journal import IvrStep, Outcome, OutcomeKind, StepResult, StepSink
from ivr_scripts.prompts import PromptBook
from ivr_scripts.schedule import menu_for

Clock = Callable[[], dt.datetime]


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
        channel: Channel,
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

    channel: Channel
    sink: StepSink
    clock: Clock
    seq: int = 0
    path: list[str] = field(default_factory=list)
    menu: str | None = None

    def step(self, result: StepResult, *, prompt: str | None = None, digits: str | None = None) -> None:
        self.seq += 1
        step = IvrStep(self.seq, self.menu, prompt, digits, result, self.clock())
        self.sink.record_step(self.channel.info.uuid, step)

    def outcome(self, kind: OutcomeKind, destination: str | None = None) -> Outcome:
        return Outcome(kind, destination, tuple(self.path))


class IvrRunner:
    def __init__(
        self,
        dialplan: Dialplan,
        prompts: PromptBook,
        *,
        clock: Clock = utc_now,
        max_actions: int = 50,
        queues: QueueEntry | None = None,
    ) -> None:
        self._dialplan = dialplan
        self._prompts = prompts
        self._clock = clock
        self._max_actions = max_actions
        self._queues = queues

    def run(self, channel: Channel, sink: StepSink) -> Outcome:
        """Answer the call and run its menus until it is transferred or hung up."""
        state = _CallState(channel, sink, self._clock)
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
            channel.hangup("UNALLOCATED_NUMBER")
            return state.outcome("unknown_did")
        channel.answer()
        menu_name, is_open = menu_for(did, self._dialplan.schedules, self._clock())
        state.step("open" if is_open else "closed")
        greet = True
        pending: Action | None = None  # an action handed back by a queue, run before asking again
        for _ in range(self._max_actions):
            state.menu = menu_name
            if greet:
                state.path.append(menu_name)
            menu = self._dialplan.menus[menu_name]
            action = pending or self._choose(state, menu, greet=greet)
            pending = None
            if isinstance(action, GotoMenu):
                menu_name, greet = action.menu, True
                continue
            if isinstance(action, PlayMessage):
                self._play(state, action.play)
                if action.then == "return":
                    greet = False
                    continue
                return self._hang_up(state, "NORMAL_CLEARING")
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
        channel.hangup("NORMAL_CLEARING")
        return state.outcome("loop_limit")

    def _choose(self, state: _CallState, menu: Menu, *, greet: bool) -> Action:
        """Prompt for a key until a valid one is pressed or the tries run out."""
        if greet and menu.greeting is not None:
            self._play(state, menu.greeting)
        for attempt in range(1, menu.max_retries + 1):
            digits = state.channel.collect_digits(
                self._audio(menu.prompt),
                max_digits=1,
                timeout=menu.timeout,
                digit_timeout=menu.digit_timeout,
                terminators="",
            )
            action = menu.options.get(digits) if digits else None
            if action is not None:
                state.step("ok", prompt=menu.prompt, digits=digits)
                return action
            state.step("invalid" if digits else "timeout", prompt=menu.prompt, digits=digits or None)
            retry_prompt = menu.invalid_prompt if digits else menu.timeout_prompt
            if retry_prompt is not None and attempt < menu.max_retries:
                self._play(state, retry_prompt)
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
            channel.transfer(queue.extension, target.context)
            return state.outcome("queued", f"queue:{target.queue}")
        # The loader guarantees exactly one of extension and queue.
        extension = target.extension or ""
        state.step("transfer", digits=extension)
        channel.transfer(extension, target.context)
        return state.outcome("transferred", extension)

    def _queue(self, state: _CallState, queue: str) -> Outcome | Action:
        """Wait in the ACD; the outcome of the call, or the action the queue hands back."""
        assert self._queues is not None
        state.channel.set_variable(VAR_IVR_PATH, "/".join(state.path))
        state.step("queue", digits=queue)
        result = self._queues.join(state.channel, queue, ivr_path=tuple(state.path))
        if result.kind == "action":
            assert result.action is not None  # QueueResult guarantees it
            return result.action
        state.step(result.kind, digits=result.agent_id)
        return state.outcome(result.kind, f"queue:{queue}")

    def _hangup_action(self, state: _CallState, action: Hangup) -> Outcome:
        if action.hangup.prompt is not None:
            self._play(state, action.hangup.prompt)
        return self._hang_up(state, action.hangup.cause)

    def _hang_up(self, state: _CallState, cause: str) -> Outcome:
        state.step("hangup")
        state.channel.hangup(cause)
        return state.outcome("hangup", cause)

    def _play(self, state: _CallState, prompt: str) -> None:
        state.channel.play(self._audio(prompt))
        state.step("played", prompt=prompt)

    def _audio(self, prompt: str) -> Audio:
        return self._prompts[prompt]
