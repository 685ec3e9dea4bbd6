"""The call records' backstop: FreeSWITCH's own CDR files, read into the calls table.

The event listener records each call's end as it happens, but only while it is connected: calls
that end while the application server is down (killed, restarting) or disconnected from the switch
would keep a row with no end. mod_json_cdr writes every ended call to `cdr_dir` regardless
(freeswitch_conf renders it), so this sweep reads those files at start and then every `interval`
seconds: each inbound call's update (esl_handlers.json_cdr) goes to the record writer, whose merge
by UUID makes a record the listener already wrote change nothing, and the file is deleted once the
writer holds the update durably (`flush`). Outbound legs (the agents', callbacks') are not calls
here: their files are deleted unread.

mod_json_cdr writes a file in place (open, write, close; no rename), so a file younger than
`settle` seconds may be half written and is left for the next sweep. A file that does not parse
once settled is moved to `unreadable/` beside it and logged: kept for a person, never lost.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Protocol

import gevent

from esl_handlers.json_cdr import CdrUnreadable, call_update_from_json_cdr
from schema.calls.records import CallUpdate
from schema.errors import RecordRejected
from schema.threadpool import in_thread

log = logging.getLogger(__name__)

SUFFIX: Final = ".cdr.json"
UNREADABLE_DIR: Final = "unreadable"


class DurableQueue(Protocol):
    """The record writer as the backstop needs it."""

    def submit(self, record: CallUpdate) -> None: ...

    def flush(self, timeout: float | None = None) -> bool: ...


@dataclass
class _Sweep:
    """What one pass over the directory found."""

    updates: list[tuple[Path, CallUpdate]] = field(default_factory=list)
    not_calls: list[Path] = field(default_factory=list)
    unreadable: list[tuple[Path, str]] = field(default_factory=list)


class CdrBackstop:
    def __init__(
        self,
        directory: Path,
        queue: DurableQueue,
        *,
        interval: float = 5.0,
        settle: float = 1.0,
        flush_timeout: float = 5.0,
        on_ended: Callable[[str], None] = lambda _uuid: None,
    ) -> None:
        """`on_ended(uuid)` for each call whose end a file recorded (esl_handlers.switch_watch)."""
        self._directory = directory
        self._on_ended = on_ended
        self._queue = queue
        self._interval = interval
        self._settle = settle
        self._flush_timeout = flush_timeout
        self._submitted: set[Path] = set()  # handed to the writer, waiting for it to hold them
        self._greenlet: gevent.Greenlet[Any] | None = None
        self.ingested = 0
        self.kept_unreadable = 0

    def start(self) -> None:
        self._greenlet = gevent.spawn(self._run)

    def stop(self) -> None:
        if self._greenlet is not None:
            self._greenlet.kill(block=True)
            self._greenlet = None

    def sweep(self) -> int:
        """One pass: submit what settled, delete what the writer holds; the calls submitted."""
        found = in_thread(self._read, time.time() - self._settle)
        for path, update in found.updates:
            self._queue.submit(update)
            self._submitted.add(path)
            self._on_ended(update.uuid)
        for path, reason in found.unreadable:
            in_thread(self._keep_unreadable, path, reason)
        if self._submitted and self._queue.flush(self._flush_timeout):
            in_thread(_remove_all, list(self._submitted))
            self._submitted.clear()
        in_thread(_remove_all, found.not_calls)
        self.ingested += len(found.updates)
        return len(found.updates)

    def _run(self) -> None:
        first = True
        while True:
            try:
                count = self.sweep()
                if count or first:
                    log.info("CDR backstop: %d ended calls read from %s", count, self._directory)
                first = False
            except OSError as exc:
                log.warning("CDR backstop: cannot read %s: %s", self._directory, exc)
            gevent.sleep(self._interval)

    def _read(self, settled_before: float) -> _Sweep:
        found = _Sweep()
        try:
            entries = list(os.scandir(self._directory))
        except FileNotFoundError:
            return found  # FreeSWITCH makes it on its first call
        for entry in sorted(entries, key=lambda e: e.name):
            path = Path(entry.path)
            if not entry.name.endswith(SUFFIX) or path in self._submitted or not entry.is_file():
                continue
            if entry.stat().st_mtime > settled_before:
                continue
            try:
                update = call_update_from_json_cdr(json.loads(path.read_bytes()))
            except (ValueError, RecordRejected) as exc:  # CdrUnreadable and JSONDecodeError are ValueErrors
                found.unreadable.append((path, str(exc)))
                continue
            if update is None:
                found.not_calls.append(path)
            else:
                found.updates.append((path, update))
        return found

    def _keep_unreadable(self, path: Path, reason: str) -> None:
        keep = path.parent / UNREADABLE_DIR
        keep.mkdir(mode=0o700, exist_ok=True)
        os.replace(path, keep / path.name)
        self.kept_unreadable += 1
        log.error("CDR backstop: %s is not a mod_json_cdr call record (%s); kept in %s", path, reason, keep)


def _remove_all(paths: list[Path]) -> None:
    for path in paths:
        path.unlink(missing_ok=True)


__all__ = ["SUFFIX", "UNREADABLE_DIR", "CdrBackstop", "CdrUnreadable", "DurableQueue"]
