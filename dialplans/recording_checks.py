"""Checks of the recording part of a dialplan: policies, where files go, QA forms, sensitive input.

Like the other check modules, every function reports all it finds as `Finding`s and never raises.
The recording directory goes as is into FreeSWITCH commands (`record_session PATH`, `uuid_record
UUID start PATH`), which split their arguments on spaces and expand `${...}`; and FreeSWITCH puts a
relative path under the channel's sound_prefix. So the directory must be absolute and plain.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping

from dialplans.crm_checks import lookup_actions
from dialplans.crm_models import BY_CALLER_ID
from dialplans.errors import Finding, NodePath, unknown_reference
from dialplans.models import Dialplan
from dialplans.recording_models import DEFAULT_RECORDING_DIRECTORY

_SAFE_CHARACTERS = "ASCII letters, digits and / _ . - :"
_SAFE_CHARACTER = re.compile(r"[A-Za-z0-9/_.:-]")
_RECORDING: NodePath = ("recording",)
_POLICIES: NodePath = (*_RECORDING, "policies")


def check_recording(plan: Dialplan) -> list[Finding]:
    return [
        *_directory(plan.recording.directory),
        *_policy_references(plan),
        *_policies(plan),
        *_qa_forms(plan),
        *_sensitive(plan),
        *_unused(plan),
    ]


def recording_prompts(plan: Dialplan) -> set[str]:
    """Every prompt the recording policies play: their announcements."""
    return {p.announce for p in plan.recording.policies.values() if p.announce is not None}


def _directory(directory: str) -> Iterator[Finding]:
    path: NodePath = (*_RECORDING, "directory")
    unsafe = sorted({ch for ch in directory if not _SAFE_CHARACTER.fullmatch(ch)})
    if unsafe:
        shown = ", ".join("a space" if ch == " " else repr(ch) for ch in unsafe)
        yield Finding(
            path,
            f"the recording directory holds {shown}: it goes into FreeSWITCH commands as is, so use only "
            f"{_SAFE_CHARACTERS}",
        )
    elif not directory.startswith("/"):
        yield Finding(
            path,
            f"{directory!r} is not an absolute path: FreeSWITCH would put the files under its sound "
            f"directory; write it from the root, e.g. {DEFAULT_RECORDING_DIRECTORY}",
        )
    elif directory.rstrip("/") == "":
        yield Finding(path, "recordings need a directory of their own, not the root: prune deletes under it")
    elif any(part in ("", ".", "..") for part in directory.rstrip("/").split("/")[1:]):
        yield Finding(
            path,
            f"{directory!r} has an empty, '.' or '..' part: write the directory plainly, "
            f"e.g. {DEFAULT_RECORDING_DIRECTORY}",
        )


def _policy_references(plan: Dialplan) -> Iterator[Finding]:
    policies = plan.recording.policies
    default = plan.recording.default_policy
    named: list[tuple[NodePath, str | None]] = [((*_RECORDING, "default_policy"), default)]
    named += [(("dids", number, "recording"), did.recording) for number, did in plan.dids.items()]
    named += [(("queues", name, "recording"), queue.recording) for name, queue in plan.queues.items()]
    for path, policy in named:
        if policy is not None and policy not in policies:
            yield Finding(path, _unknown_policy(policy, policies))
    for name, rules in policies.items():
        if rules.announce is not None and rules.announce not in plan.prompts:
            yield Finding(
                (*_POLICIES, name, "announce"), unknown_reference("prompt", rules.announce, plan.prompts)
            )


def _unknown_policy(name: str, policies: Mapping[str, object]) -> str:
    if not policies:
        return f"unknown recording policy {name!r}: recording.policies defines none"
    return unknown_reference("recording policy", name, policies)


def _policies(plan: Dialplan) -> Iterator[Finding]:
    for name, policy in plan.recording.policies.items():
        path: NodePath = (*_POLICIES, name)
        if policy.mode == "percent" and policy.percent == 100:
            yield Finding((*path, "percent"), "100 percent records every call: use mode all", "warning")
        if policy.mode == "none" and policy.announce is not None:
            yield Finding(
                (*path, "announce"),
                "mode none records nothing, so there is nothing to announce; remove announce",
                "warning",
            )


def _qa_forms(plan: Dialplan) -> Iterator[Finding]:
    for name, form in plan.qa_forms.items():
        seen: dict[str, int] = {}
        for index, criterion in enumerate(form.criteria):
            if criterion.id in seen:
                yield Finding(
                    ("qa_forms", name, "criteria", index, "id"),
                    f"criterion id {criterion.id!r} is already used by criteria[{seen[criterion.id]}]: "
                    "scores are stored by criterion, so each needs its own",
                )
            seen.setdefault(criterion.id, index)


def _sensitive(plan: Dialplan) -> Iterator[Finding]:
    """Sensitive input left exposed, or `sensitive` where there is nothing to keep secret.

    A sensitive menu masks its own key only: a lookup it offers asks for its keys under its own flag.
    """
    for path, action in lookup_actions(plan):
        lookup = plan.self_service.get(action.lookup)
        if path[0] != "menus" or lookup is None or lookup.sensitive or lookup.by == BY_CALLER_ID:
            continue
        if plan.menus[str(path[1])].sensitive:
            yield Finding(
                (*path, "lookup"),
                f"this menu is sensitive but lookup {action.lookup!r} is not: the keys it asks for would "
                "be recorded and stored; mark the lookup sensitive too",
                "warning",
            )
    for name, lookup in plan.self_service.items():
        if lookup.sensitive and lookup.by == BY_CALLER_ID:
            yield Finding(
                ("self_service", name, "sensitive"),
                "a caller_id lookup asks the caller for no keys, so there is nothing secret to mask",
                "warning",
            )


def _unused(plan: Dialplan) -> Iterator[Finding]:
    used = {plan.recording.default_policy}
    used |= {did.recording for did in plan.dids.values()}
    used |= {queue.recording for queue in plan.queues.values()}
    for name in plan.recording.policies:
        if name not in used:
            yield Finding(
                (*_POLICIES, name),
                f"recording policy {name!r} is not used by any DID or queue, nor as default_policy",
                "warning",
            )
