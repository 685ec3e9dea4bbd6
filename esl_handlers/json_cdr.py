"""One of mod_json_cdr's files (`<uuid>.cdr.json`) read as a call-record update.

FreeSWITCH writes the file when a channel ends, whether or not anyone listens to its events, so it
is what the application server reads for the calls that ended while it was down or disconnected
(esl_handlers.cdr_backstop). The update carries what the event listener's CHANNEL_* events carry
(esl_handlers.cdr) and, when the call went through the dialplan's fallback context, the outcome
`fallback` with the fallback's extension: the one fact only the switch saw.

The layout is mod_json_cdr's (switch_ivr_generate_json_cdr): `channel_data.direction`, the channel
`variables` (values unencoded, `encode-values` false), and `callflow`, one caller profile per
dialplan the call went through, newest first.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, Final

from dialplans.fallback_models import FALLBACK_CONTEXT
from esl_handlers.cdr import from_micros
from schema.calls.records import CallUpdate

FALLBACK_OUTCOME: Final = "fallback"
"""The calls table's outcome for a call the switch sent to its fallback (the application server was
gone, or gave up on it): no outcome of the runner's (ivr_scripts.journal.OutcomeKind) says that."""


class CdrUnreadable(ValueError):
    """The document is not a call record mod_json_cdr writes."""


def call_update_from_json_cdr(document: object) -> CallUpdate | None:
    """The call's update, or None for a leg that is not a call here (the agents' and callbacks'
    outbound legs, recorded by the queue layer)."""
    if not isinstance(document, Mapping):
        raise CdrUnreadable("not a JSON object")
    channel = _mapping(document, "channel_data")
    variables = _mapping(document, "variables")
    if channel.get("direction") != "inbound":
        return None
    uuid = variables.get("uuid")
    if not isinstance(uuid, str) or not uuid:
        raise CdrUnreadable("no variables.uuid")
    profiles = _profiles(document)
    first = profiles[-1] if profiles else {}
    fallback = next((p for p in profiles if p.get("context") == FALLBACK_CONTEXT), None)
    return CallUpdate(
        uuid=uuid,
        direction="inbound",
        caller_number=_text(first.get("caller_id_number")),
        caller_name=_text(first.get("caller_id_name")),
        did=_text(variables.get("cc_did")) or _text(first.get("destination_number")),
        started_at=_micros(variables, "start_uepoch"),
        answered_at=_micros(variables, "answer_uepoch"),
        ended_at=_micros(variables, "end_uepoch"),
        hangup_cause=_text(variables.get("hangup_cause")),
        outcome=FALLBACK_OUTCOME if fallback is not None else None,
        destination=_text(fallback.get("destination_number")) if fallback is not None else None,
    )


def _mapping(document: Mapping[Any, Any], key: str) -> Mapping[str, Any]:
    value = document.get(key)
    if not isinstance(value, Mapping):
        raise CdrUnreadable(f"no {key} object")
    return value


def _profiles(document: Mapping[Any, Any]) -> list[Mapping[str, Any]]:
    """The caller profiles, newest first; a single one is written as an object, not a list."""
    callflow = document.get("callflow", [])
    entries = callflow if isinstance(callflow, list) else [callflow]
    profiles = []
    for entry in entries:
        profile = entry.get("caller_profile") if isinstance(entry, Mapping) else None
        if isinstance(profile, Mapping):
            profiles.append(profile)
    return profiles


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _micros(variables: Mapping[str, Any], name: str) -> dt.datetime | None:
    value = variables.get(name)
    return from_micros(value) if isinstance(value, str) else None
