"""What the application server does when FreeSWITCH goes away and comes back (a restart, a crash).

`CallsInProgress` follows the inbound calls the event listener saw start and not end. When the
listener loses the switch, `SwitchWatch.lost` notes the moment and says so in the log. When a new
session opens, `SwitchWatch.reconnected` (in a greenlet of its own: the listener's hook must not
block) compares the calls in progress with the switch's live channels: a call the switch no longer
has ended while nobody listened. Those with a CDR file (a switch stopped cleanly writes one for
every call it hangs up) are left to the CDR backstop, which records their real end; the others,
lost with the switch, are closed with the moment the switch was lost and the hangup cause CRASH
(FreeSWITCH's own name for it, switch_cause_table). Agent states are reconciled with the live
channels as at start (esl_handlers.acd_agents). One log line says what was found and done.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Final

import gevent

from esl_handlers.cdr_backstop import SUFFIX
from esl_handlers.codec import Event
from esl_handlers.db_writer import RecordQueue
from ivr_scripts.switch import SwitchError
from schema.calls.records import CallUpdate

log = logging.getLogger(__name__)

LOST_CAUSE: Final = "CRASH"


class CallsInProgress:
    """Inbound calls seen starting (CHANNEL_CREATE) and not yet seen ending."""

    def __init__(self) -> None:
        self._uuids: set[str] = set()

    def on_event(self, event: Event) -> None:
        if event.get("Call-Direction") != "inbound" or not event.unique_id:
            return
        if event.name == "CHANNEL_CREATE":
            self._uuids.add(event.unique_id)
        elif event.name == "CHANNEL_HANGUP_COMPLETE":
            self._uuids.discard(event.unique_id)

    def ended(self, uuid: str) -> None:
        """Its end is recorded another way (the CDR backstop)."""
        self._uuids.discard(uuid)

    def snapshot(self) -> set[str]:
        return set(self._uuids)

    def forget(self, uuids: Iterable[str]) -> None:
        self._uuids.difference_update(uuids)


class SwitchWatch:
    def __init__(
        self,
        calls: CallsInProgress,
        records: RecordQueue,
        *,
        live_calls: Callable[[], set[str]],
        reconcile_agents: Callable[[], int],
        cdr_dir: Path | None,
        clock: Callable[[], dt.datetime],
    ) -> None:
        """`live_calls()`: the uuids of the switch's channels; `reconcile_agents()`: the number of
        agent states it corrected."""
        self._calls = calls
        self._records = records
        self._live_calls = live_calls
        self._reconcile_agents = reconcile_agents
        self._cdr_dir = cdr_dir
        self._clock = clock
        self._lost_at: dt.datetime | None = None
        self._lost_monotonic = 0.0
        self._closing = False

    def closing(self) -> None:
        """The server is stopping: the session about to end is not lost."""
        self._closing = True

    def lost(self, reason: str) -> None:
        if self._closing:
            return
        if self._lost_at is None:
            self._lost_at, self._lost_monotonic = self._clock(), time.monotonic()
        log.warning(
            "lost FreeSWITCH (%s) with %d calls in progress; reconnecting",
            reason,
            len(self._calls.snapshot()),
        )

    def reconnected(self, *_: object) -> None:
        if self._lost_at is not None:
            gevent.spawn(self.reconcile)

    def reconcile(self) -> None:
        lost_at, self._lost_at = self._lost_at, None
        if lost_at is None:
            return
        away = time.monotonic() - self._lost_monotonic
        try:
            live = self._live_calls()
        except SwitchError as exc:
            log.warning("reconnected to FreeSWITCH but could not list its channels: %s", exc)
            self._lost_at = lost_at  # the next session tries again
            return
        gone = self._calls.snapshot() - live
        with_cdr = {uuid for uuid in gone if self._has_cdr(uuid)}
        for uuid in sorted(gone - with_cdr):
            self._records.submit(CallUpdate(uuid=uuid, ended_at=lost_at, hangup_cause=LOST_CAUSE))
        self._calls.forget(gone)
        corrected = self._reconcile_agents()
        log.warning(
            "reconnected to FreeSWITCH %.1f s after losing it: %d calls still up, %d ended meanwhile "
            "(%d from its CDR files, %d closed as %s at %s), %d agent states corrected",
            away,
            len(live & self._calls.snapshot()),
            len(gone),
            len(with_cdr),
            len(gone - with_cdr),
            LOST_CAUSE,
            lost_at.isoformat(timespec="seconds"),
            corrected,
        )

    def _has_cdr(self, uuid: str) -> bool:
        return self._cdr_dir is not None and (self._cdr_dir / f"{uuid}{SUFFIX}").exists()
