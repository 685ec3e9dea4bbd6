"""What an agent's phone is shown of a caller: `caller_id_text` keeps originate's variable block intact."""

from __future__ import annotations

from typing import Final

ANONYMOUS: Final = "anonymous"
# Punctuation a caller id may keep; anything else (commas, quotes, braces, $ ...) breaks or injects into
# originate's {var=value,...} block, so it becomes a space.
_CALLER_ID_PUNCTUATION: Final = frozenset(" +-._()@#*")


def caller_id_text(text: str, fallback: str) -> str:
    """`text` made safe to show on a phone: letters, digits and a little punctuation, spaces collapsed.

    Empty after cleaning (an unknown name, a withheld number): `fallback`.
    """
    kept = "".join(ch if ch.isalnum() or ch in _CALLER_ID_PUNCTUATION else " " for ch in text)
    return " ".join(kept.split())[:80] or fallback
