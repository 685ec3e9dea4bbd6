"""The live tier: a real FreeSWITCH on the rendered conf, the real application server, real SIPp calls.

Skipped, saying why, when there is no FreeSWITCH binary (PATH or FREESWITCH_BIN) or no sipp.
Never faked: every assertion here is about what FreeSWITCH and SIPp actually did.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from freeswitch_conf.reload import RELOADXML
from freeswitch_conf.render import modules_for
from sipp_scenarios.switch import esl_api, profile_running
from tests.support.live import harness
from tests.support.live.harness import Build, Live

pytestmark = pytest.mark.live


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, build: Build | None) -> Iterator[Live]:
    with harness.live_switch(tmp_path_factory.mktemp("live"), build) as running:
        yield running


@pytest.fixture
def app_server(live: Live) -> Iterator[subprocess.Popen[bytes]]:
    with harness.app_server(live) as process:
        yield process


def test_every_module_we_list_is_loaded(live: Live) -> None:
    for module in modules_for(live.settings):
        if module == "mod_flite":
            continue  # optional: a FreeSWITCH built without flite still serves recorded prompts
        assert esl_api(live.endpoints, f"module_exists {module}").strip() == "true", module


def test_both_profiles_run_and_reloadxml_accepts_the_conf(live: Live) -> None:
    status = esl_api(live.endpoints, "sofia status")
    for profile in ("callers", "agents"):
        assert profile_running(status, profile), status
    assert esl_api(live.endpoints, RELOADXML).startswith("+OK")


STARTER = """
import sys, tempfile, time
from pathlib import Path
from tests.support.live import harness
build = harness.Build(sys.argv[1], Path(sys.argv[2]))
running = harness.live_switch(Path(tempfile.mkdtemp(dir=sys.argv[3])), build)
live = running.__enter__()
print(live.switch.pid, flush=True)
time.sleep(120)
"""


def test_freeswitch_dies_with_the_process_that_started_it(build: Build | None, tmp_path: Path) -> None:
    """Killed outright (no atexit, no finally), the process that started FreeSWITCH takes it along."""
    found, _ = harness.skip_without(build)
    with subprocess.Popen(
        [sys.executable, "-c", STARTER, found.release, str(found.binary), str(tmp_path)],
        cwd=harness.ROOT,
        stdout=subprocess.PIPE,
        text=True,
    ) as starter:
        assert starter.stdout is not None
        pid = int(starter.stdout.readline())
        assert process_alive(pid)
        starter.kill()
    deadline = time.monotonic() + 10
    while process_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not process_alive(pid), f"FreeSWITCH {pid} outlived the process that started it"


def process_alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"
