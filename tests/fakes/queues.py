"""An ACD answering `join` from a script, for the IVR runner."""

from __future__ import annotations

from ivr_scripts.runner import QueueResult


class ScriptedQueues:
    """A fake ACD: hands back the scripted results in order and remembers who joined."""

    def __init__(self, *results: QueueResult) -> None:
        self.results = list(results)
        self.joined: list[tuple[str, tuple[str, ...]]] = []
        self.preferred: list[str | None] = []

    def join(
        self, leg: object, queue: str, *, ivr_path: tuple[str, ...], preferred_agent: str | None = None
    ) -> QueueResult:
        self.joined.append((queue, ivr_path))
        self.preferred.append(preferred_agent)
        return self.results.pop(0)
