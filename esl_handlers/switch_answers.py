"""What FreeSWITCH's API commands answer, read for `EslSwitch` (the answers are listed in
esl_handlers.switch): an originate's BACKGROUND_JOB body, and the rows of `show ... as json`."""

from __future__ import annotations

import json

from dialplans.vocabulary import BUSY_CAUSES, NO_ANSWER_CAUSES, SUCCESS
from ivr_scripts.switch import Originated, OriginateResult, SwitchError


def originate_outcome(body: str) -> Originated:
    """Map a BACKGROUND_JOB body of `originate` to an Originated."""
    text = body.strip()
    if text.startswith("+OK"):
        leg = text[3:].strip()
        return Originated("answered", leg or None, SUCCESS)
    cause = text.removeprefix("-ERR").strip() if text.startswith("-ERR") else text
    cause = cause or "UNKNOWN"
    result: OriginateResult = "failed"
    if cause in NO_ANSWER_CAUSES:
        result = "no_answer"
    elif cause in BUSY_CAUSES:
        result = "busy"
    return Originated(result, None, cause)


def show_rows(body: str, what: str) -> list[dict[str, str]]:
    """The rows of a `show ... as json` answer (SwitchError for a refusal or another shape)."""
    if body.startswith("-"):
        raise SwitchError(f"{what} refused: {body.strip()}")
    try:
        document = json.loads(body)
    except ValueError as exc:
        raise SwitchError(f"{what}: not JSON: {body[:80]!r}") from exc
    rows = document.get("rows", []) if isinstance(document, dict) else None
    if not isinstance(rows, list):
        raise SwitchError(f"{what}: unexpected JSON shape: {body[:80]!r}")
    return [{str(k): str(v) for k, v in row.items()} for row in rows if isinstance(row, dict)]


def agent_extension(row: dict[str, str]) -> str | None:
    """The user a channel belongs to: presence_id "1001@domain", else the user in an outbound
    leg's name "sofia/<profile>/1001@host"."""
    presence = row.get("presence_id") or ""
    if "@" in presence:
        return presence.split("@", 1)[0].removeprefix("sip:") or None
    name = row.get("name") or ""
    if row.get("direction") == "outbound" and name.count("/") >= 2 and "@" in name:
        return name.split("/", 2)[2].split("@", 1)[0].removeprefix("sip:") or None
    return None
