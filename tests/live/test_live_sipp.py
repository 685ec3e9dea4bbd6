"""The live tier: a real FreeSWITCH on the rendered conf, the real application server, real SIPp calls.

Skipped, saying why, when there is no FreeSWITCH binary (PATH or FREESWITCH_BIN) or no sipp.
Never faked: every assertion here is about what FreeSWITCH and SIPp actually did.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator

import pytest

from freeswitch_conf.reload import RELOADXML
from freeswitch_conf.render import modules_for
from sipp_scenarios.switch import esl_api, profile_running
from tests.live import support
from tests.live.support import Build, Live

pytestmark = pytest.mark.live


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, build: Build | None) -> Iterator[Live]:
    with support.live_switch(tmp_path_factory.mktemp("live"), build) as running:
        yield running


@pytest.fixture
def app_server(live: Live) -> Iterator[subprocess.Popen[bytes]]:
    with support.app_server(live) as process:
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
