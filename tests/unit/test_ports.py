"""Ports for SIPp and test switches: outside the ephemeral range, one slice per parallel run."""

from __future__ import annotations

import re
import socket
from pathlib import Path

import pytest

from sipp_scenarios.ports import (
    LISTEN_PORTS,
    MEDIA_PORTS,
    PORT_BLOCK_ENV,
    block_of,
    free_media_port,
    free_sip_port,
    free_tcp_port,
)


def test_runs_side_by_side_get_disjoint_slices() -> None:
    slices = [block_of(LISTEN_PORTS, f"{i}/3") for i in range(3)]
    assert [(s.start, s.stop) for s in slices] == [(10000, 12000), (12000, 14000), (14000, 16000)]
    assert block_of(LISTEN_PORTS, None) == LISTEN_PORTS
    assert block_of(LISTEN_PORTS, "") == LISTEN_PORTS


@pytest.mark.parametrize("setting", ["3/3", "-1/2", "a/b", "1", "1/0"])
def test_a_bad_block_setting_says_what_is_wanted(setting: str) -> None:
    with pytest.raises(ValueError, match=PORT_BLOCK_ENV):
        block_of(LISTEN_PORTS, setting)


def test_ports_come_from_the_run_s_slice_and_are_not_handed_out_twice(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(PORT_BLOCK_ENV, "1/3")
    sip = [free_sip_port() for _ in range(50)]
    assert all(12000 <= port < 14000 for port in sip)
    assert len(set(sip)) == len(sip)
    media = free_media_port()
    assert media % 2 == 0
    assert media in block_of(MEDIA_PORTS, "1/3")


def test_a_port_in_use_is_not_handed_out(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PORT_BLOCK_ENV, "0/3000")  # a slice of two ports: 10000 and 10001
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as held:
        held.bind(("127.0.0.1", 10000))
        held.listen()
        try:
            port = free_tcp_port()
        except OSError:
            port = None  # 10001 was handed out earlier in this process (or is in use elsewhere)
        assert port != 10000


ROOT = Path(__file__).resolve().parents[2]


def test_every_sipp_media_port_comes_from_the_media_range() -> None:
    """SIPp binds its RTP port and the one two above (video): a port checked alone (free_udp_port) from the
    listening range let a callee's SIPp exit with 'Unable to bind video RTP socket' (seen in CI)."""
    flag = '"-' + 'mp"'  # spelt so this file does not match itself
    wrong = []
    for path in [*ROOT.joinpath("tests").rglob("*.py"), *ROOT.joinpath("sipp_scenarios").rglob("*.py")]:
        text = path.read_text(encoding="utf-8")
        for match in re.finditer(re.escape(flag), text):
            following = text[match.end() : match.end() + 80]
            if "free_media_port" not in following:
                wrong.append(f"{path.relative_to(ROOT)}: {following.split(')')[0]!r}")
    assert wrong == []
