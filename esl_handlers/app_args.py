"""Arguments of the dialplan applications EslChannel runs, quoted the way FreeSWITCH parses them.

FreeSWITCH expands `${...}` in every application argument before the application sees it, and
`play_and_get_digits`, `speak` and friends then split that argument with switch_separate_string
(src/switch_utils.c): a single-quoted part is one token, a backslash escapes the next character,
and the quotes and escapes are stripped from each token. So:

- a value that must reach the application literally may not contain `${` (it would be expanded,
  and `${api ...}` runs API commands): such values are refused, TTS text has the `$` dropped;
- a token that may hold spaces is wrapped in single quotes with `\\` and `'` escaped;
- CR, LF and NUL are refused everywhere (they would end the ESL command early).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final

DTMF_KEYS: Final = frozenset("0123456789*#ABCD")
_NAME: Final = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]*$")
_WORD: Final = re.compile(r"^[^\s'\"\\]+$")
_CONTROL: Final = re.compile(r"[\r\n\x00]")
_SPACES: Final = re.compile(r"\s+")
_SETVAR_ESCAPE: Final = re.compile(r"[\\'\";]")
# One channel UUID (FreeSWITCH's own or an origination_uuid this server chose), a Q.850 cause name, one
# dial string without the separators originate gives a meaning (',' '|' ':_:' lists, '{' '['
# variable blocks, '&' applications) or that would split the command (spaces, quotes).
_UUID: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")
_CAUSE: Final = re.compile(r"^[A-Z][A-Z0-9_]{0,63}$")
_ENDPOINT: Final = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_./@:;=+\-#*%]*$")
# Characters an originate variable value may not hold even when quoted: the block separators,
# the quote and escape characters, and `$` (every value is expanded).
_ORIGINATE_UNSAFE: Final = frozenset(",{}[]'\"\\$^|")
# A recording file: an absolute path in one token. uuid_record splits its arguments at spaces,
# record_session reads a trailing " +<seconds>" as a time limit, a leading '{' or '[' opens a block
# of file-handle parameters, and `$` would be expanded.
_RECORDING_PATH: Final = re.compile(r"^/[A-Za-z0-9_./+-]*$")


def reject_control(value: str, what: str) -> str:
    if _CONTROL.search(value):
        raise ValueError(f"{what} must not contain CR, LF or NUL: {value[:60]!r}")
    return value


def literal(value: str, what: str) -> str:
    """A value FreeSWITCH must not expand."""
    reject_control(value, what)
    if "${" in value:
        raise ValueError(f"{what} must not contain '${{' (FreeSWITCH would expand it): {value[:60]!r}")
    return value


def variable_name(name: str) -> str:
    if not _NAME.match(name):
        raise ValueError(f"invalid channel variable name: {name[:60]!r}")
    return name


def setvar_list(variables: Mapping[str, str]) -> str:
    """`name=value;name=value` for `uuid_setvar_multi`, which splits at ';' with
    switch_separate_string and strips quotes and escapes from each part: `\\`, `'`, `"` and `;` are
    escaped with a backslash. A value's trailing spaces are lost (the split trims them), and
    nothing is expanded: `${` reaches the channel as text, but is refused here all the same."""
    if not variables:
        raise ValueError("no channel variables to set")
    parts = []
    for name, value in variables.items():
        escaped = _SETVAR_ESCAPE.sub(r"\\\g<0>", literal(value, f"value of {name}"))
        parts.append(f"{variable_name(name)}={escaped}")
    return ";".join(parts)


def word(value: str, what: str) -> str:
    """A single token without spaces or quotes (extension, context, terminators, path-free words)."""
    if not _WORD.match(value):
        raise ValueError(f"{what} must be one word without spaces or quotes: {value[:60]!r}")
    return literal(value, what)


def speech(text: str) -> str:
    """TTS text on one line: whitespace folded, `$` dropped so nothing is expanded."""
    folded = _SPACES.sub(" ", text.replace("$", "")).strip()
    if not folded:
        raise ValueError("text to speak is empty")
    return folded


def quoted(token: str) -> str:
    """One switch_separate_string token, whatever spaces or quotes it holds."""
    escaped = token.replace("\\", "\\\\").replace("'", "\\'")
    return f"'{escaped}'"


def terminators(keys: str) -> str:
    """play_and_get_digits treats an empty terminator list as '#'; 'none' matches no DTMF key."""
    if not keys:
        return "none"
    unknown = set(keys) - DTMF_KEYS
    if unknown:
        raise ValueError(f"terminators must be DTMF keys, not {''.join(sorted(unknown))!r}")
    return keys


def playback_terminators(keys: str) -> str:
    """playback's on_dtmf (mod_dptools) treats an unset playback_terminators as '*': say 'none'."""
    return terminators(keys)


def channel_uuid(value: str, what: str = "channel uuid") -> str:
    if not _UUID.match(value):
        raise ValueError(f"{what} is not a channel UUID: {value[:60]!r}")
    return value


def hangup_cause(value: str) -> str:
    if not _CAUSE.match(value):
        raise ValueError(f"hangup cause must be an upper-case cause name: {value[:60]!r}")
    return value


def endpoint(value: str) -> str:
    """One dial string such as user/1001@callcenter.local or sofia/gateway/gw/+15551230001."""
    if not _ENDPOINT.match(value) or ":_:" in value:
        raise ValueError(f"endpoint must be one dial string without spaces, quotes or lists: {value[:60]!r}")
    return value


def originate_value(value: str, what: str) -> str:
    """A value inside originate's `{name=value,...}` block, single-quoted when it holds spaces.

    originate_function splits its command with switch_separate_string (quotes keep spaces and are
    then stripped), and switch_event_create_brackets splits the block at ','.
    """
    reject_control(value, what)
    bad = sorted(set(value) & _ORIGINATE_UNSAFE)
    if bad:
        raise ValueError(f"{what} must not contain {''.join(bad)!r}: {value[:60]!r}")
    if value != value.strip() or not value:
        raise ValueError(f"{what} must be non-empty without leading or trailing spaces: {value[:60]!r}")
    return f"'{value}'" if " " in value else value


def recording_path(value: str) -> str:
    """An absolute recording path without spaces, quotes, `$`, blocks or `..` components."""
    if not _RECORDING_PATH.fullmatch(value) or value.endswith("/") or ".." in value.split("/"):
        raise ValueError(f"recording path must be an absolute file path in one word: {value[:80]!r}")
    return value


def milliseconds(seconds: float, what: str) -> int:
    if seconds < 0:
        raise ValueError(f"{what} must not be negative: {seconds!r}")
    return round(seconds * 1000)


def with_originate_variable(endpoint: str, name: str, value: str) -> str:
    """Add `{name=value}` to a dial string, merging with a leading `{...}` block if there is one."""
    reject_control(endpoint, "bridge endpoint")
    if not endpoint.strip():
        raise ValueError("bridge endpoint is empty")
    if endpoint.startswith("{"):
        return "{" + f"{name}={value}," + endpoint[1:]
    return "{" + f"{name}={value}" + "}" + endpoint
