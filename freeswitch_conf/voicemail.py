"""The voicemail boxes queues overflow to and fallbacks end in, as mod_voicemail needs them
(FreeSWITCH 1.10 and 1.11).

A queue's `on_max_wait: {voicemail: BOX}` makes the queue server run `voicemail default <domain> BOX`
on the caller's channel; a fallback's `then: {voicemail: BOX}` has FreeSWITCH's dialplan run it.
mod_voicemail (voicemail_leave_main) then looks BOX up as a user of the
directory domain (`id` or `number-alias`) and refuses to record for an unknown user ("Can't find
user"); it needs no password to leave a message (`vm-password` only guards checking the box, which
the rendered dialplan never offers). So each box that is not already an agent's extension becomes a
directory user of its own. Such a user has no SIP password, and mod_sofia treats a user without one
as authenticated (sofia_reg_parse_auth), so each carries `sip-forbid-register` (AUTH_FORBIDDEN for
REGISTER and INVITE alike): nobody can register or call as a mailbox.

mod_voicemail refuses to load without `voicemail.conf` (load_config: SWITCH_STATUS_TERM), so the
module and its configuration are rendered only when some queue or fallback uses voicemail; the
profile `default` stores messages under `<voicemail_dir>/<domain>/<box>/`.
"""

from __future__ import annotations

import re
from typing import Final

from dialplans.fallback_checks import fallbacks
from dialplans.fallback_models import FallbackVoicemail
from dialplans.models import Dialplan, OverflowToVoicemail
from freeswitch_conf.escaping import RenderError

VOICEMAIL_MODULE: Final = "mod_voicemail"
VOICEMAIL_PROFILE: Final = "default"
# dialplans.base.MAILBOX_PATTERN, checked again: a model can be built without validation.
_MAILBOX: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")


def voicemail_boxes(dialplan: Dialplan) -> list[str]:
    """Every mailbox a queue overflows to or a fallback ends in, sorted and once each; RenderError
    for an unsafe name."""
    boxes = set()
    for name, queue in dialplan.queues.items():
        if isinstance(queue.on_max_wait, OverflowToVoicemail):
            boxes.add(mailbox_name(queue.on_max_wait.voicemail, f"queue {name}"))
    for _, fallback in fallbacks(dialplan):
        if isinstance(fallback.then, FallbackVoicemail):
            boxes.add(mailbox_name(fallback.then.voicemail, "a fallback"))
    return sorted(boxes)


def mailbox_name(box: str, owner: str) -> str:
    if not _MAILBOX.match(box):
        raise RenderError(f"{owner}: mailbox {box!r} is not letters, digits, '_' and '-'")
    return box


def mailbox_users(dialplan: Dialplan, agent_extensions: set[str]) -> list[str]:
    """The mailboxes that need a directory user of their own (an agent's extension already is one)."""
    return [box for box in voicemail_boxes(dialplan) if box not in agent_extensions]
