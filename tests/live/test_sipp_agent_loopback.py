"""agent.xml through the real SIPp against a Python registrar on loopback: no FreeSWITCH needed.

The phone must answer the 401 with a digest that is right for its password, take the INVITE it
is sent (ringing, then 200 with PCMU and telephone-events), end the call either way, and
unregister with Expires: 0, again authenticated. Needs only the sipp binary.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from sipp_scenarios.agent_phone import AgentLogin, AgentOptions, AgentPhone, Registrar
from sipp_scenarios.sipp_run import ScenarioResult
from tests.support.live.harness import sipp_binary_or_skip
from tests.support.live.registrar import OFFER, REALM, SipMessage, digest_params, digest_response
from tests.support.live.registrar import Registrar as FakeRegistrar

pytestmark = pytest.mark.live

EXTENSION = "1003"


@pytest.fixture
def registrar() -> Iterator[FakeRegistrar]:
    server = FakeRegistrar()
    yield server
    server.close()


def run_agent(
    sipp: Path,
    registrar: FakeRegistrar,
    work: Path,
    *,
    password: str,
    hangup_after_ms: int,
    far_end_bye: bool,
    ring_ms: int = 0,
    answered_after: list[float] | None = None,
) -> tuple[ScenarioResult, list[SipMessage]]:
    """Play the switch's side of one queue call in a thread while SIPp plays the agent's phone."""
    login = AgentLogin(EXTENSION, REALM, password)
    seen: list[SipMessage] = []
    failures: list[BaseException] = []

    def switch_side() -> None:
        try:
            seen.extend(registrar.register())
            registrar.request("INVITE", 1, body=OFFER)
            invited = time.monotonic()
            answer = registrar.expect("200 INVITE")
            if answered_after is not None:
                answered_after.append(time.monotonic() - invited)
            seen.append(answer)
            tag = answer.header("To").partition(";tag=")[2]
            registrar.request("ACK", 1, to_tag=tag)
            if far_end_bye:
                registrar.request("BYE", 2, to_tag=tag)
                seen.append(registrar.expect("200 BYE"))
            else:
                bye = registrar.expect("BYE")
                seen.append(bye)
                registrar.reply(bye, "200 OK")
            seen.extend(registrar.register())
        except BaseException as exc:  # reported by the test thread
            failures.append(exc)

    thread = threading.Thread(target=switch_side, daemon=True)
    options = AgentOptions(hangup_after_ms=hangup_after_ms, timeout_s=30, ring_ms=ring_ms)
    with AgentPhone(sipp, login, Registrar("127.0.0.1", registrar.port, REALM), work, options) as phone:
        thread.start()
        phone.wait_registered(timeout=20)
    thread.join(timeout=30)
    if failures:
        raise failures[0]
    assert phone.result is not None
    return phone.result, seen


def assert_authorised(challenged: SipMessage, retry: SipMessage, *, password: str, nonce: str) -> None:
    assert not challenged.header("Authorization")
    params = digest_params(retry.header("Authorization"))
    assert params["username"] == EXTENSION
    assert params["realm"] == REALM
    assert params["nonce"] == nonce
    assert params["uri"] == retry.request_uri  # what FreeSWITCH hashes is what the request names
    assert params["response"] == digest_response(params, method="REGISTER", password=password)
    assert params["response"] != digest_response(params, method="REGISTER", password=password + "x")
    assert retry.header("From").startswith(f"<sip:{EXTENSION}@{REALM}>")  # auto_from realm, matching user
    assert retry.header("To") == f"<sip:{EXTENSION}@{REALM}>"


@pytest.mark.parametrize("far_end_bye", [True, False], ids=["far-end-hangs-up", "agent-hangs-up"])
def test_agent_registers_with_digest_answers_and_unregisters(
    registrar: FakeRegistrar, tmp_path: Path, far_end_bye: bool
) -> None:
    sipp = sipp_binary_or_skip()
    password = secrets.token_urlsafe(18)
    result, seen = run_agent(
        sipp,
        registrar,
        tmp_path,
        password=password,
        hangup_after_ms=0 if far_end_bye else 1000,
        far_end_bye=far_end_bye,
    )
    assert result.ok, (result.returncode, result.successful, result.failed, result.errors)
    first, retry, answer, hangup, unregister, unregister_retry = seen
    assert_authorised(first, retry, password=password, nonce=registrar.nonces[0])
    assert first.header("Expires") == retry.header("Expires") == "3600"
    assert retry.header("Contact") == f"<sip:{EXTENSION}@127.0.0.1:{registrar.phone[1]};transport=UDP>"
    assert "m=audio " in answer.body
    assert "a=rtpmap:101 telephone-event/8000" in answer.body
    assert answer.header("Content-Type") == "application/sdp"
    if far_end_bye:
        assert hangup.status == 200
        assert hangup.cseq == "2 BYE"
    else:
        assert hangup.method == "BYE"
        assert hangup.header("Call-ID") == "queue-call@127.0.0.1"
    assert_authorised(unregister, unregister_retry, password=password, nonce=registrar.nonces[1])
    assert unregister.header("Expires") == unregister_retry.header("Expires") == "0"
    assert any(m.status == 180 for m in registrar.received)
    assert password not in " ".join(result.command)
    assert (tmp_path / "agent.csv").stat().st_mode & 0o077 == 0


@pytest.mark.parametrize("ring_ms", [0, 2000])
def test_agent_rings_as_long_as_asked_before_answering(
    registrar: FakeRegistrar, tmp_path: Path, ring_ms: int
) -> None:
    """The desk's tests need a phone that rings a while, so the screen pop is seen before the answer."""
    answered_after: list[float] = []
    result, _ = run_agent(
        sipp_binary_or_skip(),
        registrar,
        tmp_path,
        password=secrets.token_urlsafe(18),
        hangup_after_ms=0,
        far_end_bye=True,
        ring_ms=ring_ms,
        answered_after=answered_after,
    )
    assert result.ok, (result.returncode, result.successful, result.failed, result.errors)
    (elapsed,) = answered_after
    assert ring_ms / 1000 <= elapsed < ring_ms / 1000 + 1.0, elapsed
