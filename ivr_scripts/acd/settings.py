"""How one queue treats its callers: music, announcements, exits, callback, ringing agents.

The server maps the queue's YAML onto `QueueSettings` (`from_dialplan.queue_settings`); the waiting
loop (`waiting.py`) and the offer flow (`offer.py`) read nothing else. Every duration is in seconds.

When `max_wait` runs out, the caller leaves with `on_max_wait`, a dialplan `Action` (another queue is
a transfer, a message is a play-then-hang-up). Two overflows are not actions a menu could run, so they
have their own field, `max_wait_overflow`, and only one of the two may be set:
- `VoicemailOverflow`: the caller leaves (EXITWITHTIMEOUT) for a voicemail box.
- `CallbackOverflow`: the caller does not leave; the ticket keeps its place as a callback (CALLBACK),
  as if the callback key had been pressed, and `prompt` confirms it. A caller whose number cannot be
  dialled back leaves with EXITWITHTIMEOUT instead.
`wait_in_queue` acts on the callback overflow itself; a voicemail overflow ends the wait with
EXITWITHTIMEOUT and no action, after which the server can send the caller to the mailbox.

`callback_endpoint` is the FreeSWITCH dial string a callback dials the customer with. On FreeSWITCH
1.10 that is the callers' trunk: `sofia/gateway/<gateway>/{number}` (mod_sofia), or
`sofia/<profile>/{number}@<host>` for a peer without a gateway. The default,
`loopback/{number}/default`, re-enters the dialplan in context `default` (mod_loopback:
loopback/<exten>[/<context>[/<dialplan>]]); it works only where that context routes outside numbers,
which the rendered one (the agents' context) does not, so a deployment sets the server's callback endpoint.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from dialplans.models import Action
from ivr_scripts.acd.model import DispatchError

DTMF_KEYS: Final = frozenset("0123456789*#")


class QueueSettingsError(DispatchError):
    """Queue settings that cannot work together."""


@dataclass(frozen=True, slots=True)
class VoicemailOverflow:
    """Leave the queue for a voicemail box."""

    mailbox: str

    def __post_init__(self) -> None:
        if not self.mailbox:
            raise QueueSettingsError("the voicemail overflow has no mailbox")


@dataclass(frozen=True, slots=True)
class CallbackOverflow:
    """Keep the caller's place and call them back; `prompt` (a dialplan prompt name) confirms it."""

    prompt: str | None = None


QueueOverflow = VoicemailOverflow | CallbackOverflow


@dataclass(frozen=True, slots=True, kw_only=True)
class QueueSettings:
    music_on_hold: str = "local_stream://moh"
    # Seconds of music between announcements; None: no periodic announcements.
    announce_every: float | None = 30.0
    # Also announce as soon as the caller joins, before the first slice of music.
    announce_on_entry: bool = False
    announce_position: bool = True
    announce_expected_wait: bool = True
    # Longest wait before the caller leaves with EXITWITHTIMEOUT and `on_max_wait` runs; None: no limit.
    max_wait: float | None = None
    on_max_wait: Action | None = None
    # Instead of `on_max_wait`: what no dialplan action can express (see the module docstring).
    max_wait_overflow: QueueOverflow | None = None
    # A key that leaves the queue (EXITWITHKEY) and runs `on_exit_key`.
    exit_key: str | None = None
    on_exit_key: Action | None = None
    # A key that asks for a callback: the caller keeps their place and hangs up.
    callback_key: str | None = None
    # How long an agent's phone rings before the next agent is tried.
    ring_timeout: float = 20.0
    # Where a callback dials the customer: a FreeSWITCH dial string with {number} (see the module
    # docstring: normally the callers' gateway), how long it rings, and how many dials before giving up.
    callback_endpoint: str = "loopback/{number}/default"
    callback_ring_timeout: float = 30.0
    callback_attempts: int = 3
    # Seconds of wrap-up after each call, and no-answers in a row before an agent is put on break
    # (both applied by the agent service, carried here because they are queue settings).
    wrap_up: float = 10.0
    max_no_answer: int = 3

    def __post_init__(self) -> None:
        if not self.music_on_hold:
            raise QueueSettingsError("music_on_hold is empty")
        for name in ("announce_every", "max_wait"):
            value = getattr(self, name)
            if value is not None and not value > 0:
                raise QueueSettingsError(f"{name} must be more than 0 seconds, got {value!r}")
        for name in ("ring_timeout", "callback_ring_timeout"):
            if not getattr(self, name) > 0:
                raise QueueSettingsError(f"{name} must be more than 0 seconds, got {getattr(self, name)!r}")
        if not self.wrap_up >= 0:
            raise QueueSettingsError(f"wrap_up cannot be negative, got {self.wrap_up!r}")
        if self.max_no_answer < 0:
            raise QueueSettingsError(f"max_no_answer cannot be negative, got {self.max_no_answer}")
        if self.callback_attempts < 1:
            raise QueueSettingsError(f"callback_attempts must be at least 1, got {self.callback_attempts}")
        for name in ("exit_key", "callback_key"):
            key = getattr(self, name)
            if key is not None and key not in DTMF_KEYS:
                raise QueueSettingsError(f"{name} must be one of 0-9, * or #, got {key!r}")
        if "{number}" not in self.callback_endpoint:
            raise QueueSettingsError(
                f"callback_endpoint must contain {{number}}, got {self.callback_endpoint!r}"
            )
        if self.on_max_wait is not None and self.max_wait_overflow is not None:
            raise QueueSettingsError(
                "on_max_wait and max_wait_overflow are both set; a queue has one overflow"
            )
        if self.exit_key is not None and self.exit_key == self.callback_key:
            raise QueueSettingsError(f"exit_key and callback_key are both {self.exit_key!r}")

    @property
    def announces(self) -> bool:
        return self.announce_position or self.announce_expected_wait
