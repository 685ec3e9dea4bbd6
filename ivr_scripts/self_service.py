"""Self-service lookups: a menu option (`{lookup: <name>}`) finds the customer and reads fields back.

Within the menu that offered it, the lookup follows that menu's retry rules:
- `by: account` or a keypad field: the caller keys the number in (`ask`, up to `max_digits`, ended
  early by `terminator`, with the menu's timeout and digit timeout). No keys, fewer than
  `min_digits` (or a star or hash key), no customer or more than one (keypad text is ambiguous)
  is a failed try. After a failed try the lookup's `not_found` prompt plays; without one the
  menu's timeout or invalid prompt stands in, only when another try follows, as in the menu.
  After `max_retries` failed tries the menu's fallback action runs.
- `by: caller_id`: nothing is asked; the customer screening matched is used, else the lookup fails
  at once (not_found, then the fallback).
- A CRM that cannot answer sends the caller to the fallback at once rather than asking again.

The answer plays prompts by name and reads fields with the switch's say phrases (number, digits,
date, money) or TTS (text). A missing field, or one that does not read as its kind (a date must be
YYYY-MM-DD), plays the item's `missing` prompt or nothing. Steps record the keys the caller pressed
(account numbers are not secret here) but never the field values read back.

A `sensitive` lookup (a card number) collects its keys as sensitive with every running recording
masked meanwhile; its steps (same results) never carry the keys, and nothing here logs them.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from contextlib import nullcontext
from typing import Final, Literal

from dialplans.crm_models import BY_CALLER_ID, SayField, SayPrompt, SelfServiceLookup
from dialplans.models import Action, Menu
from ivr_scripts.channel import Audio, SayKind
from ivr_scripts.crm import CallerDirectory, CrmUnavailable, CustomerRecord
from ivr_scripts.journal import CallSteps

log = logging.getLogger(__name__)

LookupEnd = Literal["return", "hangup"]
TTS_MAX: Final = 1000  # the longest prompt text the dialplan allows
# Asked when a lookup has no `ask` prompt (the checks should require one): a short silence.
SILENT_ASK: Final = Audio(label="silence", file="silence_stream://250")

_KEYS: Final = re.compile(r"[0-9]+")  # the star and hash keys are no part of an account number
_FORMATS: Final[dict[SayKind, re.Pattern[str]]] = {
    "number": re.compile(r"-?[0-9]+"),
    "digits": re.compile(r"[0-9]+"),
    "date": re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}"),
    "money": re.compile(r"-?[0-9]+(\.[0-9]{1,2})?"),
}


def run_lookup(
    call: CallSteps,
    menu: Menu,
    lookup: SelfServiceLookup,
    *,
    directory: CallerDirectory | None,
    caller_customer: CustomerRecord | None,
) -> LookupEnd | Action:
    """Run one lookup offered by `menu`: how it ends when a customer was found, else the fallback."""
    if lookup.by == BY_CALLER_ID:
        if caller_customer is None:
            call.step("lookup_not_found")
            _after_failed_try(call, lookup, None, again=False)
            call.step("fallback")
            return menu.fallback
        call.step("lookup_found")
        return _answer(call, lookup, caller_customer)
    if directory is None:
        log.warning("a self-service lookup ran without a customer directory; the menu's fallback runs")
        call.step("fallback", prompt=lookup.ask)
        return menu.fallback
    for attempt in range(1, menu.max_retries + 1):
        another_try = attempt < menu.max_retries
        with call.masked() if lookup.sensitive else nullcontext():
            digits = call.channel.collect_digits(
                call.audio(lookup.ask) if lookup.ask is not None else SILENT_ASK,
                max_digits=lookup.max_digits,
                timeout=menu.timeout,
                digit_timeout=menu.digit_timeout,
                terminators=lookup.terminator,
                sensitive=lookup.sensitive,
            )
        kept = None if lookup.sensitive else digits
        if not digits:
            call.step("timeout", prompt=lookup.ask)
            _after_failed_try(call, lookup, menu.timeout_prompt, again=another_try)
            continue
        if len(digits) < lookup.min_digits or _KEYS.fullmatch(digits) is None:
            call.step("invalid", prompt=lookup.ask, digits=kept)
            _after_failed_try(call, lookup, menu.invalid_prompt, again=another_try)
            continue
        try:
            matches = directory.find(lookup.by, digits)
        except CrmUnavailable as exc:
            # The store's message may quote the query's parameters: the keys of a sensitive lookup.
            reason = type(exc).__name__ if lookup.sensitive else str(exc)
            log.warning("self-service lookup failed, the menu's fallback runs: %s", reason)
            call.step("fallback", prompt=lookup.ask, digits=kept)
            return menu.fallback
        if len(matches) == 1:
            call.step("lookup_found", prompt=lookup.ask, digits=kept)
            return _answer(call, lookup, matches[0])
        call.step("lookup_not_found", prompt=lookup.ask, digits=kept)
        _after_failed_try(call, lookup, menu.invalid_prompt, again=another_try)
    call.step("fallback", prompt=lookup.ask)
    return menu.fallback


def _after_failed_try(
    call: CallSteps, lookup: SelfServiceLookup, retry_prompt: str | None, *, again: bool
) -> None:
    """The not-found prompt, else the menu's retry prompt when the caller tries `again`. Keying the next
    try may start during it, except in a sensitive entry (a key kept for later sits in a variable)."""
    prompt = lookup.not_found or (retry_prompt if again else None)
    if prompt is not None:
        call.play(prompt, type_ahead=again and not lookup.sensitive)


def _answer(call: CallSteps, lookup: SelfServiceLookup, customer: CustomerRecord) -> LookupEnd:
    for item in lookup.answer:
        if isinstance(item, SayPrompt):
            call.play(item.prompt)
        else:
            _read_field(call, item, customer)
    return lookup.then


def _read_field(call: CallSteps, item: SayField, customer: CustomerRecord) -> None:
    value = sayable(item.say_as, customer.fields.get(item.field))
    if value is None:
        if item.missing is not None:
            call.play(item.missing)
        return
    if item.say_as == "text":
        call.channel.play(Audio(label=f"field:{item.field}", text=value))
    else:
        call.channel.say(item.say_as, value)
    call.step("played", prompt=f"field:{item.field}")


def sayable(say_as: SayKind | Literal["text"], value: str | None) -> str | None:
    """`value` as it can be read as `say_as`, or None when it is missing or does not read as that kind."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    if say_as == "text":
        return value[:TTS_MAX]
    if _FORMATS[say_as].fullmatch(value) is None:
        return None
    if say_as == "date":
        try:
            dt.date.fromisoformat(value)
        except ValueError:
            return None
    return value
