"""The IVR's current dialplan and runner: `DialplanHolder` swaps them on a reload that validates.

Every runner screens callers and serves self-service through `SqlCallerDirectory`
(schema.adapters.crm_directory) when the CRM is wired, records calls through a `RecordingLog`, and plays
the prompts `callcenter render` synthesized.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from dialplans.clock import Clock
from dialplans.crm_models import Crm
from dialplans.loader import DialplanError, LoadedDialplan, load_dialplan
from ivr_scripts.crm import CrmSink
from ivr_scripts.prompts import PromptAudio, PromptBook
from ivr_scripts.recording import RecordingLog
from ivr_scripts.runner import IvrRunner, QueueEntry, utc_now
from schema.adapters.crm_directory import SqlCallerDirectory
from schema.crm.screening_rules import sync_yaml_rules
from schema.errors import StorageError
from schema.threadpool import in_thread

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CrmWiring:
    """Where runners find customers (`engine`, as SYSTEM) and send what screening and surveys decided."""

    engine: Engine
    sink: CrmSink


def build_runner(
    loaded: LoadedDialplan,
    clock: Clock,
    queues: QueueEntry | None = None,
    crm: CrmWiring | None = None,
    recordings: RecordingLog | None = None,
    *,
    prompts: PromptAudio | None = None,
) -> IvrRunner:
    """A runner for `loaded`; with `crm`, callers are screened and self-service looks customers up;
    with `recordings`, calls are recorded as the dialplan's policies say; with `prompts`, prompts
    without a recording play the file `callcenter render` synthesized."""
    model = loaded.model
    directory = None
    if crm is not None:
        directory = SqlCallerDirectory(crm.engine, model.crm.default_region, model.crm.keypad_fields)
    return IvrRunner(
        model,
        PromptBook.build(model, loaded.sounds_dir, prompts),
        clock=clock,
        queues=queues,
        directory=directory,
        crm_sink=None if crm is None else crm.sink,
        recordings=recordings,
    )


def sync_screening_rules(engine: Engine, crm: Crm) -> None:
    """The YAML's blacklist and VIP numbers into screening_rules; a database error is logged, not raised
    (the rules already stored stay in force)."""
    try:
        count = in_thread(sync_yaml_rules, engine, crm)
    except StorageError as exc:
        log.error("screening rules from the YAML not synced; the stored ones stay in force: %s", exc)
        return
    log.info("screening rules from the YAML: %d", count)


class DialplanHolder:
    """The current runner; `reload` swaps it only for a dialplan that validates.

    The ACD keeps the queues and agents it started with: a reload changes menus and prompts only (and,
    with the CRM wired, the screening rules from the YAML).
    """

    def __init__(
        self,
        path: Path,
        clock: Clock = utc_now,
        crm: CrmWiring | None = None,
        recordings: RecordingLog | None = None,
        prompts: PromptAudio | None = None,
    ) -> None:
        self._path = path
        self._clock = clock
        self._crm = crm
        self._recordings = recordings
        self._prompts = prompts
        self._queues: QueueEntry | None = None
        self._loaded = load_dialplan(path)
        self._runner = build_runner(self._loaded, clock, crm=crm, recordings=recordings, prompts=prompts)

    @property
    def loaded(self) -> LoadedDialplan:
        return self._loaded

    def use_queues(self, queues: QueueEntry) -> None:
        self._queues = queues
        self._runner = build_runner(
            self._loaded, self._clock, queues, self._crm, self._recordings, prompts=self._prompts
        )

    def sync_screening_rules(self) -> None:
        if self._crm is not None:
            sync_screening_rules(self._crm.engine, self._loaded.model.crm)

    @property
    def runner(self) -> IvrRunner:
        return self._runner

    def reload(self) -> bool:
        try:
            loaded = load_dialplan(self._path)
        except DialplanError as exc:
            log.error("dialplan reload refused, the previous one stays in service:\n%s", exc)
            return False
        self._loaded = loaded
        self._runner = build_runner(
            loaded, self._clock, self._queues, self._crm, self._recordings, prompts=self._prompts
        )
        log.info("dialplan reloaded from %s", self._path)
        self.sync_screening_rules()
        return True
