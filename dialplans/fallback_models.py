"""What FreeSWITCH does with a caller on its own when the application server cannot take the call.

Each DID's extension hands the call to the application server (the `socket` application); when
that server is down, or dies in the middle of the call, FreeSWITCH goes on with the DID's
`fallback` (or the dialplan's top-level one): ring some agents' phones directly, all at once, then,
if nobody answers, leave a message in a voicemail box or play a message and hang up. All of it
runs from FreeSWITCH's own XML dialplan, so none of it may need the application server.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, Discriminator, Field, Tag

from dialplans.base import AgentId, HangupCause, Mailbox, Name, Node, empty_means_defaults
from dialplans.vocabulary import NORMAL_TEMPORARY_FAILURE

# The FreeSWITCH context the fallbacks are rendered into: reserved, no menu may transfer there.
FALLBACK_CONTEXT = "cc_fallback"
# Q.850 41 / SIP 503: a carrier may route the call elsewhere, which "nobody is here" (480) forbids.
DEFAULT_FALLBACK_CAUSE = NORMAL_TEMPORARY_FAILURE


class FallbackVoicemail(Node):
    """Take a message in this voicemail box (mod_voicemail, run by FreeSWITCH itself)."""

    voicemail: Mailbox = Field(description="The voicemail box.")
    greeting: Name | None = Field(
        default=None, description="Played before the tone, e.g. 'please leave a message'."
    )


class FallbackHangupSpec(Node):
    prompt: Name | None = Field(default=None, description="Played (the call is answered) before hanging up.")
    cause: HangupCause = Field(
        default=DEFAULT_FALLBACK_CAUSE,
        description="FreeSWITCH hangup cause (default NORMAL_TEMPORARY_FAILURE, SIP 503).",
    )


class FallbackHangup(Node):
    """Optionally play a message, then hang up with a stated cause."""

    hangup: Annotated[FallbackHangupSpec, BeforeValidator(empty_means_defaults)] = FallbackHangupSpec()


_FALLBACK_KEYS: dict[str, str] = {"voicemail": "fallback:voicemail", "hangup": "fallback:hangup"}
FALLBACK_END_KEYS: tuple[str, ...] = tuple(_FALLBACK_KEYS)
FALLBACK_END_TAGS: frozenset[str] = frozenset(_FALLBACK_KEYS.values())


def _end_tag(value: Any) -> str | None:
    if isinstance(value, dict):
        present = [key for key in _FALLBACK_KEYS if key in value]
        return _FALLBACK_KEYS[present[0]] if len(present) == 1 else None
    if isinstance(value, FallbackVoicemail):
        return _FALLBACK_KEYS["voicemail"]
    if isinstance(value, FallbackHangup):
        return _FALLBACK_KEYS["hangup"]
    return None


FallbackEnd = Annotated[
    Annotated[FallbackVoicemail, Tag("fallback:voicemail")]
    | Annotated[FallbackHangup, Tag("fallback:hangup")],
    Discriminator(
        _end_tag,
        custom_error_type="invalid_fallback_end",
        custom_error_message="`then` is a mapping with exactly one of voicemail, hangup",
    ),
]


class ServerDownFallback(Node):
    """Where callers go when the application server is down: FreeSWITCH's own dialplan only."""

    ring: list[AgentId] = Field(
        default_factory=list,
        max_length=20,
        description="Agents whose registered phones ring, all at once, straight from FreeSWITCH.",
    )
    ring_timeout: int = Field(
        default=20, ge=5, le=120, description="Seconds the phones ring before `then` runs."
    )
    then: FallbackEnd = Field(description="If nobody answers: {voicemail: BOX} or {hangup: {prompt, cause}}.")
