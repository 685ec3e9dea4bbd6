"""Typed models of the YAML dialplan language.

These are the compiled form every other room reads: the IVR runner walks
`Menu`s, the renderer writes one extension per `Did`, the SIPp generator
enumerates menu paths. The loader (`dialplans.loader`) builds them from YAML
and adds the cross-reference checks that a single model cannot see.

The loader hands every YAML scalar over as text; fields that want a number
coerce it ("3" -> 3), and fields that want text keep it exactly as written.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    BeforeValidator,
    Discriminator,
    Field,
    StringConstraints,
    Tag,
    field_validator,
)

from dialplans.base import (
    AgentId,
    DigitKey,
    HangupCause,
    Mailbox,
    Name,
    Node,
    Number,
    empty_means_defaults,
)
from dialplans.campaign_models import Campaign
from dialplans.crm_models import Crm, SelfServiceLookup, Survey
from dialplans.desktop_models import Desktop
from dialplans.fallback_models import ServerDownFallback
from dialplans.recording_models import QaForm, Recording
from dialplans.schedule_models import Schedule
from dialplans.script_models import Script
from dialplans.vocabulary import NORMAL_CLEARING


class Prompt(Node):
    """A recorded audio file, with the text spoken by TTS when the file is missing."""

    file: str | None = Field(default=None, min_length=1, description="Audio file, relative to sounds_dir.")
    text: str | None = Field(
        default=None,
        min_length=1,
        max_length=1000,
        description="Spoken by text-to-speech if the file is missing.",
    )


class TransferTarget(Node):
    extension: Number | None = Field(default=None, description="Transfer to this extension...")
    queue: Name | None = Field(default=None, description="...or to this queue (exactly one of the two).")
    context: Name = Field(default="default", description="FreeSWITCH dialplan context of the transfer.")


class GotoMenu(Node):
    """Go to another menu (or back to a previous one)."""

    menu: Name


class PlayMessage(Node):
    """Self-service: play a message, then go back to the menu or hang up."""

    play: Name = Field(description="The prompt to play.")
    then: Literal["return", "hangup"] = Field(
        default="return", description="`return` replays this menu's options; `hangup` ends the call."
    )


class Transfer(Node):
    """Send the caller to a queue or an extension."""

    transfer: TransferTarget


class HangupSpec(Node):
    cause: HangupCause = Field(default=NORMAL_CLEARING, description="FreeSWITCH hangup cause.")
    prompt: Name | None = Field(default=None, description="Played before hanging up.")


class Lookup(Node):
    """Self-service: ask for a number, look the customer up and read the answer back."""

    lookup: Name = Field(description="The self_service lookup to run.")


class Hangup(Node):
    """End the call, optionally after a goodbye prompt."""

    hangup: Annotated[HangupSpec, BeforeValidator(empty_means_defaults)] = HangupSpec()


# Each action is a mapping with exactly one of these keys. The tags only show up
# in pydantic's error locations; the loader strips them (see ACTION_TAGS).
_ACTION_KEYS: dict[str, str] = {
    "menu": "action:menu",
    "play": "action:play",
    "transfer": "action:transfer",
    "hangup": "action:hangup",
    "lookup": "action:lookup",
}
ACTION_KEYS: tuple[str, ...] = tuple(_ACTION_KEYS)
ACTION_TAGS: frozenset[str] = frozenset(_ACTION_KEYS.values())


def _action_tag(value: Any) -> str | None:
    if isinstance(value, dict):
        present = [key for key in _ACTION_KEYS if key in value]
        return _ACTION_KEYS[present[0]] if len(present) == 1 else None
    models = (
        ("menu", GotoMenu),
        ("play", PlayMessage),
        ("transfer", Transfer),
        ("hangup", Hangup),
        ("lookup", Lookup),
    )
    for key, model in models:
        if isinstance(value, model):
            return _ACTION_KEYS[key]
    return None


Action = Annotated[
    Annotated[GotoMenu, Tag("action:menu")]
    | Annotated[PlayMessage, Tag("action:play")]
    | Annotated[Transfer, Tag("action:transfer")]
    | Annotated[Hangup, Tag("action:hangup")]
    | Annotated[Lookup, Tag("action:lookup")],
    Discriminator(
        _action_tag,
        custom_error_type="invalid_action",
        custom_error_message=(
            "an action is a mapping with exactly one of menu, play, transfer, hangup, lookup"
        ),
    ),
]


class Menu(Node):
    greeting: Name | None = Field(default=None, description="Played once when the caller enters the menu.")
    prompt: Name = Field(description="The options prompt, played before every try.")
    options: dict[DigitKey, Action] = Field(description="What each key does.")
    timeout: float = Field(default=5.0, gt=0, le=60, description="Seconds to wait for the first key.")
    digit_timeout: float = Field(default=3.0, gt=0, le=30, description="Seconds to wait between keys.")
    max_retries: int = Field(default=3, ge=1, le=10, description="Tries the caller gets before the fallback.")
    invalid_prompt: Name | None = Field(default=None, description="Played after a key with no option.")
    timeout_prompt: Name | None = Field(default=None, description="Played when no key was pressed in time.")
    fallback: Action = Field(description="What happens when every try has failed.")
    sensitive: bool = Field(
        default=False,
        description="Keys pressed here (a card number) are masked in recordings and never stored or logged.",
    )


class Did(Node):
    name: str = ""
    # None means the line is open 24x7.
    schedule: Name | None = Field(default=None, description="Opening hours; leave out for a 24x7 line.")
    menu: Name = Field(description="The menu callers reach while the line is open.")
    closed_menu: Name | None = Field(default=None, description="The menu outside opening hours.")
    recording: Name | None = Field(
        default=None,
        description="The recording policy of this line's calls (default: recording.default_policy).",
    )
    fallback: ServerDownFallback | None = Field(
        default=None,
        description="Where callers go when the application server is down (overrides the top-level one).",
    )


# --- Queues and agents (the ACD) ---------------------------------------------------------------

Strategy = Literal[
    "longest-idle",
    "round-robin",
    "ring-all",
    "fewest-calls",
    "least-talk-time",
    "top-down",
    "skills-based",
]
# Shown on phones and sent in SIP display names: free text, but nothing FreeSWITCH expands or quotes.
DISPLAY_NAME_PATTERN = r'^[^\x00-\x1f\x7f$\\{}<>"]{1,64}$'
# A FreeSWITCH sound source (local_stream://moh, tone_stream://..., a file): handed to playback as is.
SOUND_SOURCE_PATTERN = r"^[A-Za-z0-9_/][A-Za-z0-9_.:/@+=%;,-]{0,254}$"

DisplayName = Annotated[str, StringConstraints(pattern=DISPLAY_NAME_PATTERN)]
SkillLevel = Annotated[int, Field(ge=1, le=10)]


class Tier(Node):
    """An agent's place in a queue: lower levels are tried first, `position` orders within a level."""

    agent: AgentId = Field(description="The agent's id, as under `agents`.")
    level: int = Field(default=1, ge=1, le=99, description="Tier level; 1 is tried first.")
    position: int = Field(default=1, ge=1, le=999, description="Order within the level (top-down).")


class Announce(Node):
    """What a waiting caller is told, every `every` seconds."""

    every: int = Field(ge=10, le=3600, description="Seconds between announcements (at least 10).")
    position: bool = Field(default=True, description="Say the caller's place in the queue.")
    expected_wait: bool = Field(default=True, description="Say the expected wait.")


class OverflowToQueue(Node):
    """Move the caller to another queue, keeping their priority."""

    queue: Name


class OverflowMessage(Node):
    """Play a message, then hang up."""

    play: Name = Field(description="The prompt to play.")
    then: Literal["hangup"] = Field(default="hangup", description="Always `hangup` after a queue.")


class OverflowToVoicemail(Node):
    """Leave a message in a voicemail box."""

    voicemail: Mailbox = Field(description="The voicemail box.")


class CallbackSpec(Node):
    prompt: Name | None = Field(default=None, description="Played to confirm the callback before hanging up.")


class OverflowToCallback(Node):
    """Take the caller's number and call them back when an agent is free, in their place."""

    callback: Annotated[CallbackSpec, BeforeValidator(empty_means_defaults)] = CallbackSpec()


_OVERFLOW_KEYS: dict[str, str] = {
    "queue": "overflow:queue",
    "play": "overflow:play",
    "voicemail": "overflow:voicemail",
    "callback": "overflow:callback",
}
OVERFLOW_KEYS: tuple[str, ...] = tuple(_OVERFLOW_KEYS)
OVERFLOW_TAGS: frozenset[str] = frozenset(_OVERFLOW_KEYS.values())
_OVERFLOW_MODELS: dict[str, type[Node]] = {
    "queue": OverflowToQueue,
    "play": OverflowMessage,
    "voicemail": OverflowToVoicemail,
    "callback": OverflowToCallback,
}


def _overflow_tag(value: Any) -> str | None:
    if isinstance(value, dict):
        present = [key for key in _OVERFLOW_KEYS if key in value]
        return _OVERFLOW_KEYS[present[0]] if len(present) == 1 else None
    for key, model in _OVERFLOW_MODELS.items():
        if isinstance(value, model):
            return _OVERFLOW_KEYS[key]
    return None


Overflow = Annotated[
    Annotated[OverflowToQueue, Tag("overflow:queue")]
    | Annotated[OverflowMessage, Tag("overflow:play")]
    | Annotated[OverflowToVoicemail, Tag("overflow:voicemail")]
    | Annotated[OverflowToCallback, Tag("overflow:callback")],
    Discriminator(
        _overflow_tag,
        custom_error_type="invalid_overflow",
        custom_error_message="on_max_wait is a mapping with exactly one of queue, play, voicemail, callback",
    ),
]


class Queue(Node):
    """A queue of callers waiting for agents (the ACD).

    `extension` is the queue's direct-dial number in context default: the IVR transfers its
    callers there, so it stays required.
    """

    name: str = ""
    extension: Number = Field(description="The queue's number in context default.")
    strategy: Strategy = Field(default="longest-idle", description="How the next agent is chosen.")
    tiers: list[Tier] = Field(default_factory=list, description="The agents who answer this queue.")
    required_skills: dict[Name, SkillLevel] = Field(
        default_factory=dict, description="Skill -> minimum level (1-10) an agent needs."
    )
    music_on_hold: Annotated[str, StringConstraints(pattern=SOUND_SOURCE_PATTERN)] = Field(
        default="local_stream://moh", description="What waiting callers hear, e.g. local_stream://moh."
    )
    announce: Announce | None = Field(default=None, description="Position and expected-wait announcements.")
    max_wait: int | None = Field(default=None, ge=10, le=86400, description="Seconds before on_max_wait.")
    on_max_wait: Overflow | None = Field(default=None, description="What happens when max_wait runs out.")
    priorities: dict[Name, Annotated[int, Field(ge=-100, le=100)]] = Field(
        default_factory=dict, description="Customer tier -> priority; higher waits less (regular is 0)."
    )
    sticky_days: int = Field(default=0, ge=0, le=365, description="Days a caller returns to their agent.")
    wrap_up: int = Field(default=10, ge=0, le=3600, description="Seconds an agent gets after each call.")
    ring_timeout: int = Field(default=20, ge=5, le=120, description="Seconds an agent's phone rings.")
    service_level: int = Field(
        default=20, ge=1, le=3600, description="Seconds: calls answered within it make the service level."
    )
    max_no_answer: int = Field(
        default=3, ge=0, le=20, description="Missed calls in a row before the agent goes on break; 0 = off."
    )
    exit_key: DigitKey | None = Field(default=None, description="A key that takes the caller out.")
    exit_action: Action | None = Field(default=None, description="What the exit key does.")
    callback_key: DigitKey | None = Field(
        default=None, description="A key to be called back instead of waiting, keeping the caller's place."
    )
    survey: Name | None = Field(
        default=None, description="The survey a caller answers when the agent hangs up first."
    )
    recording: Name | None = Field(
        default=None, description="The recording policy from joining this queue on (overrides the DID's)."
    )


class Agent(Node):
    """A person who answers queue calls on a SIP phone registered as their extension."""

    name: DisplayName = Field(description="Shown on phones and in reports.")
    extension: Number | None = Field(default=None, description="The agent's phone; defaults to the id.")
    skills: dict[Name, SkillLevel] = Field(default_factory=dict, description="Skill -> level, 1 to 10.")
    department: Name | None = Field(default=None, description="For reports, e.g. service or claims.")
    auto_answer: bool = Field(
        default=False, description="A headset phone: the ACD's calls to it ask the phone to answer by itself."
    )


def _version_number(value: Any) -> Any:
    return int(value) if isinstance(value, str) and value.isdigit() else value


class Dialplan(Node):
    """A call center's phone lines: the numbers (dids), their menus, prompts, queues, agents and hours."""

    version: Annotated[Literal[1], BeforeValidator(_version_number)] = 1
    # Directory of audio files, relative to the YAML file unless absolute.
    sounds_dir: str = Field(
        default="sounds", min_length=1, description="Audio folder, relative to this file."
    )
    prompts: dict[Name, Prompt] = Field(default_factory=dict)
    schedules: dict[Name, Schedule] = Field(default_factory=dict)
    queues: dict[Name, Queue] = Field(default_factory=dict)
    agents: dict[AgentId, Agent] = Field(
        default_factory=dict, description="The people who answer queue calls, by agent id."
    )
    crm: Crm = Field(default_factory=Crm, description="Caller ID lookup, blacklist and VIP channel.")
    self_service: dict[Name, SelfServiceLookup] = Field(
        default_factory=dict, description="Lookups a menu option runs with `lookup: <name>`."
    )
    surveys: dict[Name, Survey] = Field(default_factory=dict, description="Post-call surveys, by name.")
    recording: Recording = Field(
        default_factory=Recording, description="Recording policies and where files go."
    )
    qa_forms: dict[Name, QaForm] = Field(default_factory=dict, description="QA scoring forms, by name.")
    campaigns: dict[Name, Campaign] = Field(
        default_factory=dict, description="Outbound campaigns, by name (docs/campaigns.md)."
    )
    scripts: dict[Name, Script] = Field(default_factory=dict, description="Campaign scripts, by name.")
    desktop: Desktop = Field(
        default_factory=Desktop, description="The agent desktop: the dispositions a call is closed with."
    )
    fallback: ServerDownFallback | None = Field(
        default=None,
        description=(
            "Where callers go when the application server is down: agents' phones rung by FreeSWITCH, "
            "then a voicemail box or a message and a hang-up."
        ),
    )
    menus: dict[Name, Menu]
    dids: dict[Number, Did] = Field(description="The numbers callers dial, each with its menus.")

    @field_validator("agents")
    @classmethod
    def _extension_defaults_to_the_id(cls, agents: dict[str, Agent]) -> dict[str, Agent]:
        return {
            agent_id: agent
            if agent.extension is not None
            else agent.model_copy(update={"extension": agent_id})
            for agent_id, agent in agents.items()
        }
