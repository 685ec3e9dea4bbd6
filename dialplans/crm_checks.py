"""Checks of the CRM part of a dialplan: caller screening, self-service lookups and surveys.

Like `checks` and `acd_checks`, every function reports all it finds as `Finding`s and never
raises. Phone numbers are normalised the way the CRM stores them (E.164 in `crm.default_region`,
"00" read as "+", full numbers only), so a number the checks accept is one the CRM can match.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Sequence

import phonenumbers

from dialplans.crm_models import BY_ACCOUNT, BY_CALLER_ID, SayPrompt
from dialplans.errors import Finding, NodePath, unknown_reference
from dialplans.models import Dialplan, Lookup

# A region code people often write for the one phonenumbers knows.
_REGION_MISTAKES = {"UK": "GB", "EL": "GR"}
_COUNTRY_CODES = sorted(str(code) for code in phonenumbers.COUNTRY_CODE_TO_REGION_CODE)
_WHY_NOT_POSSIBLE = {
    phonenumbers.ValidationResult.TOO_SHORT: "it is too short",
    phonenumbers.ValidationResult.TOO_LONG: "it is too long",
    phonenumbers.ValidationResult.INVALID_LENGTH: "it has the wrong number of digits",
    phonenumbers.ValidationResult.INVALID_COUNTRY_CODE: "no country has its calling code",
    phonenumbers.ValidationResult.IS_POSSIBLE_LOCAL_ONLY: "it is a local number without its area code",
}
_BLACKLIST: NodePath = ("crm", "blacklist")
_VIP: NodePath = ("crm", "vip")


def check_crm(plan: Dialplan) -> list[Finding]:
    return [
        *_region(plan),
        *_screening(plan),
        *_crm_references(plan),
        *_keypad_fields(plan),
        *_lookups(plan),
        *_lookup_actions(plan),
        *_surveys(plan),
        *_unused(plan),
    ]


def crm_prompts(plan: Dialplan) -> set[str]:
    """Every prompt the screening, the lookups and the surveys play."""
    played: set[str] = set()
    crm = plan.crm
    played.update(p for p in (crm.blacklist.prompt, crm.vip.greeting if crm.vip else None) if p)
    for lookup in plan.self_service.values():
        played.update(p for p in (lookup.ask, lookup.not_found) if p)
        for item in lookup.answer:
            said = item.prompt if isinstance(item, SayPrompt) else item.missing
            if said is not None:
                played.add(said)
    for survey in plan.surveys.values():
        played.update(p for p in (survey.intro, survey.invalid_prompt, survey.thanks) if p)
        played.update(question.prompt for question in survey.questions)
    return played


def crm_queues(plan: Dialplan) -> set[str]:
    """Queues callers reach without a menu: the VIP green channel's."""
    return {plan.crm.vip.queue} if plan.crm.vip is not None else set()


def lookup_actions(plan: Dialplan) -> Iterator[tuple[NodePath, Lookup]]:
    """Every `{lookup: NAME}` action: in menu options and fallbacks, and in queues' exit actions."""
    for name, menu in plan.menus.items():
        for key, action in menu.options.items():
            if isinstance(action, Lookup):
                yield ("menus", name, "options", key), action
        if isinstance(menu.fallback, Lookup):
            yield ("menus", name, "fallback"), menu.fallback
    for name, queue in plan.queues.items():
        if isinstance(queue.exit_action, Lookup):
            yield ("queues", name, "exit_action"), queue.exit_action


def normalise_number(text: str, region: str) -> tuple[str | None, str]:
    """E.164 for `text` in `region`, or None and why not (the rule of the CRM's schema.crm.phones)."""
    raw = text.strip()
    if raw.startswith("00"):
        raw = "+" + raw[2:]
    try:
        parsed = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as exc:
        if exc.error_type == phonenumbers.NumberParseException.INVALID_COUNTRY_CODE:
            return None, _WHY_NOT_POSSIBLE[phonenumbers.ValidationResult.INVALID_COUNTRY_CODE]
        return None, "it cannot be read as a phone number"
    reason = phonenumbers.is_possible_number_with_reason(parsed)
    if reason != phonenumbers.ValidationResult.IS_POSSIBLE:
        return None, _WHY_NOT_POSSIBLE.get(reason, "it is not a possible phone number")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164), ""


def _region_is_known(plan: Dialplan) -> bool:
    return plan.crm.default_region in phonenumbers.SUPPORTED_REGIONS


def _region(plan: Dialplan) -> Iterator[Finding]:
    region = plan.crm.default_region
    if _region_is_known(plan):
        return
    if region in _REGION_MISTAKES:
        hint = f"; did you mean {_REGION_MISTAKES[region]!r}?"
    else:
        hint = "; use an ISO 3166 code such as GB, US or DE"
    yield Finding(("crm", "default_region"), f"no phone numbering plan is known for region {region!r}{hint}")


def _screening(plan: Dialplan) -> Iterator[Finding]:
    """Numbers that normalise, prefixes of real calling codes, no duplicates, nobody both refused and VIP."""
    yield from _prefixes(plan.crm.blacklist.prefixes)
    if not _region_is_known(plan):
        return  # every national number would be misread; the region is reported instead
    region = plan.crm.default_region
    blocked, findings = _numbers((*_BLACKLIST, "numbers"), plan.crm.blacklist.numbers, region)
    yield from findings
    prefixes = _first_places((*_BLACKLIST, "prefixes"), plan.crm.blacklist.prefixes)
    for e164, path in blocked.items():
        covering = _covering_prefix(e164, prefixes)
        if covering is not None:
            yield Finding(path, f"{e164} is already refused by prefix {covering}", "warning")
    if plan.crm.vip is None:
        return
    vips, findings = _numbers((*_VIP, "numbers"), plan.crm.vip.numbers, region)
    yield from findings
    for e164, path in vips.items():
        covering = _covering_prefix(e164, prefixes)
        if e164 in blocked:
            why = f"is also blacklisted at {_where(blocked[e164])}"
        elif covering is not None:
            why = f"is also refused by the blacklist prefix {covering}"
        else:
            continue
        yield Finding(path, f"{e164} {why}: a caller cannot be both refused and given the VIP green channel")


def _numbers(
    path: NodePath, numbers: Sequence[str], region: str
) -> tuple[dict[str, NodePath], list[Finding]]:
    """Each listed number in E.164 with its first place, and what is wrong with the list."""
    seen: dict[str, NodePath] = {}
    findings: list[Finding] = []
    for index, text in enumerate(numbers):
        place: NodePath = (*path, index)
        e164, why = normalise_number(text, region)
        if e164 is None:
            findings.append(
                Finding(
                    place,
                    f"{text!r} is not a full phone number in {region}: {why}; write it in E.164 "
                    "(+441632960001) or as dialled nationally, with the area code",
                )
            )
        elif e164 in seen:
            findings.append(Finding(place, f"{e164} is already listed at {_where(seen[e164])}", "warning"))
        else:
            seen[e164] = place
    return seen, findings


def _first_places(path: NodePath, prefixes: Sequence[str]) -> dict[str, NodePath]:
    places: dict[str, NodePath] = {}
    for index, prefix in enumerate(prefixes):
        places.setdefault(prefix, (*path, index))
    return places


def _covering_prefix(e164: str, prefixes: dict[str, NodePath]) -> str | None:
    return next((prefix for prefix in prefixes if e164.startswith(prefix)), None)


def _prefixes(prefixes: Sequence[str]) -> Iterator[Finding]:
    seen: dict[str, int] = {}
    for index, prefix in enumerate(prefixes):
        path: NodePath = (*_BLACKLIST, "prefixes", index)
        digits = prefix.removeprefix("+")
        shorter = next((p for p in seen if prefix.startswith(p) and p != prefix), None)
        if not any(digits.startswith(code) or code.startswith(digits) for code in _COUNTRY_CODES):
            yield Finding(path, f"no country calling code begins {prefix}, so no caller ID can match it")
        elif prefix in seen:
            yield Finding(path, f"{prefix} is already listed at prefixes[{seen[prefix]}]", "warning")
        elif shorter is not None:
            yield Finding(path, f"{prefix} is already refused by prefix {shorter}", "warning")
        elif digits in _COUNTRY_CODES:
            yield Finding(
                path,
                f"{prefix} is a whole country calling code: it refuses every caller from "
                f"{', '.join(phonenumbers.COUNTRY_CODE_TO_REGION_CODE[int(digits)])}",
                "warning",
            )
        seen.setdefault(prefix, index)


def _where(path: NodePath) -> str:
    *_, field, index = path
    return f"{field}[{index}]"


def _crm_references(plan: Dialplan) -> Iterator[Finding]:
    crm = plan.crm
    if crm.blacklist.prompt is not None and crm.blacklist.prompt not in plan.prompts:
        yield _unknown_prompt((*_BLACKLIST, "prompt"), crm.blacklist.prompt, plan)
    if crm.vip is not None:
        if crm.vip.greeting is not None and crm.vip.greeting not in plan.prompts:
            yield _unknown_prompt((*_VIP, "greeting"), crm.vip.greeting, plan)
        if crm.vip.queue not in plan.queues:
            yield Finding((*_VIP, "queue"), unknown_reference("queue", crm.vip.queue, plan.queues))
    for name, queue in plan.queues.items():
        if queue.survey is not None and queue.survey not in plan.surveys:
            yield Finding(("queues", name, "survey"), unknown_reference("survey", queue.survey, plan.surveys))


def _unknown_prompt(path: NodePath, name: str, plan: Dialplan) -> Finding:
    return Finding(path, unknown_reference("prompt", name, plan.prompts))


def _keypad_fields(plan: Dialplan) -> Iterator[Finding]:
    seen: dict[str, int] = {}
    for index, field in enumerate(plan.crm.keypad_fields):
        path: NodePath = ("crm", "keypad_fields", index)
        if field in (BY_ACCOUNT, BY_CALLER_ID):
            yield Finding(
                path, f"{field!r} is already a way lookups find customers; name the keypad field otherwise"
            )
        elif field in seen:
            yield Finding(path, f"{field!r} is already listed at keypad_fields[{seen[field]}]", "warning")
        seen.setdefault(field, index)


def _lookups(plan: Dialplan) -> Iterator[Finding]:
    fields = list(dict.fromkeys(plan.crm.keypad_fields))
    ways = [BY_ACCOUNT, BY_CALLER_ID, *fields]
    for name, lookup in plan.self_service.items():
        path: NodePath = ("self_service", name)
        if lookup.by not in ways:
            close = difflib.get_close_matches(lookup.by, ways, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            yield Finding(
                (*path, "by"),
                f"a lookup cannot find customers by {lookup.by!r}; {hint}use account, caller_id, or a "
                f"field listed in crm.keypad_fields ({', '.join(fields) or 'none'})",
            )
        if lookup.by == BY_CALLER_ID and lookup.ask is not None:
            yield Finding(
                (*path, "ask"),
                "a caller_id lookup asks the caller nothing (it uses the customer their number matched); "
                "remove ask",
            )
        elif lookup.by != BY_CALLER_ID and lookup.ask is None:
            yield Finding(path, f"this lookup asks for the {lookup.by}, so it needs ask: the prompt asking")
        if lookup.min_digits > lookup.max_digits:
            yield Finding(
                (*path, "min_digits"),
                f"min_digits ({lookup.min_digits}) is more than max_digits ({lookup.max_digits})",
            )
        for field in ("ask", "not_found"):
            prompt = getattr(lookup, field)
            if prompt is not None and prompt not in plan.prompts:
                yield _unknown_prompt((*path, field), prompt, plan)
        for index, item in enumerate(lookup.answer):
            field = "prompt" if isinstance(item, SayPrompt) else "missing"
            said = item.prompt if isinstance(item, SayPrompt) else item.missing
            if said is not None and said not in plan.prompts:
                yield _unknown_prompt((*path, "answer", index, field), said, plan)


def _lookup_actions(plan: Dialplan) -> Iterator[Finding]:
    for path, action in lookup_actions(plan):
        if action.lookup not in plan.self_service:
            yield Finding((*path, "lookup"), unknown_reference("lookup", action.lookup, plan.self_service))
        if path[-1] == "fallback":
            yield Finding(
                path,
                "a lookup cannot be a fallback: a caller it cannot find ends in the fallback, which "
                "would have nowhere left to go; offer it on a key",
            )
        elif path[-1] == "exit_action":
            yield Finding(
                path,
                "a lookup runs within a menu (its tries, its fallback), and a caller leaving a queue "
                "is in no menu; use {menu: NAME} to a menu that offers it",
            )


def _surveys(plan: Dialplan) -> Iterator[Finding]:
    for name, survey in plan.surveys.items():
        path: NodePath = ("surveys", name)
        for field in ("intro", "invalid_prompt", "thanks"):
            prompt = getattr(survey, field)
            if prompt is not None and prompt not in plan.prompts:
                yield _unknown_prompt((*path, field), prompt, plan)
        asked: dict[str, int] = {}
        for index, question in enumerate(survey.questions):
            if question.prompt not in plan.prompts:
                yield _unknown_prompt((*path, "questions", index, "prompt"), question.prompt, plan)
            if question.id in asked:
                yield Finding(
                    (*path, "questions", index, "id"),
                    f"question id {question.id!r} is already used by questions[{asked[question.id]}]: "
                    "answers are stored by id, so each question needs its own",
                )
            asked.setdefault(question.id, index)


def _unused(plan: Dialplan) -> Iterator[Finding]:
    used_lookups = {action.lookup for _, action in lookup_actions(plan)}
    for name in plan.self_service:
        if name not in used_lookups:
            yield Finding(("self_service", name), f"lookup {name!r} is never used by a menu", "warning")
    used_surveys = {queue.survey for queue in plan.queues.values() if queue.survey is not None}
    for name in plan.surveys:
        if name not in used_surveys:
            yield Finding(("surveys", name), f"survey {name!r} is not used by any queue", "warning")
