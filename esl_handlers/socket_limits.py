"""What the outbound socket lets a peer hold: its limits, and the budget shared by all connections.

A connection's parser keeps only the partial frame it is waiting to complete; `ReadBudget` adds
those bytes up across connections. When the total passes the budget the largest holder is
dropped, so the total held after each read never exceeds the budget, and during one read exceeds
it by at most that read (esl_handlers.connection.RECV_SIZE).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Protocol

MIB: Final = 1024 * 1024

# The largest frame FreeSWITCH sends an outbound socket is the connect reply, every channel
# variable in its header block: about 11 KB in the transcripts (tests/transcripts). Events are
# smaller. 1 MiB of body and 256 KiB of header block leave a wide margin.
DEFAULT_MAX_BODY_BYTES: Final = MIB
DEFAULT_MAX_HEADER_BYTES: Final = 256 * 1024
DEFAULT_BUFFER_BUDGET_BYTES: Final = 64 * MIB
DEFAULT_FRAME_DEADLINE: Final = 5.0


@dataclass(frozen=True)
class OutboundLimits:
    """`allowed_peers`: addresses or networks (CIDR) or host names FreeSWITCH connects from.
    `frame_deadline`: seconds a frame may take to arrive once its first byte has."""

    allowed_peers: tuple[str, ...] = ("127.0.0.1",)
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    max_header_bytes: int = DEFAULT_MAX_HEADER_BYTES
    buffer_budget_bytes: int = DEFAULT_BUFFER_BUDGET_BYTES
    frame_deadline: float = DEFAULT_FRAME_DEADLINE

    def __post_init__(self) -> None:
        if not self.allowed_peers:
            raise ValueError("the outbound socket needs at least one allowed peer")
        for name in ("max_body_bytes", "max_header_bytes", "buffer_budget_bytes", "frame_deadline"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive, got {getattr(self, name)!r}")


class Holder(Protocol):
    """A connection holding buffered bytes; the budget closes it when it holds the most."""

    def close(self, reason: str = ...) -> None: ...


class ReadBudget:
    """Bytes held by partial frames across connections, kept under `limit`."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._held: dict[Holder, int] = {}
        self._total = 0
        self.peak = 0
        self.dropped = 0

    @property
    def total(self) -> int:
        return self._total

    def hold(self, holder: Holder, size: int) -> None:
        """`holder` now holds `size` bytes; while the total is over the limit, drop the largest."""
        self._total += size - self._held.pop(holder, 0)
        if size:
            self._held[holder] = size
        self.peak = max(self.peak, self._total)
        while self._total > self.limit:
            largest = max(self._held, key=self._held.__getitem__)
            held = self._held[largest]
            self.release(largest)
            self.dropped += 1
            largest.close(f"dropped: {held} bytes of partial frame over the {self.limit}-byte budget")

    def release(self, holder: Holder) -> None:
        self._total -= self._held.pop(holder, 0)
