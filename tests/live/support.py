"""What the live tests that stand SIPp in for a party share: finding SIPp, free ports, UAS scenarios."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from sipp_scenarios.tools import ToolMissing, find_sipp


def sipp_or_skip() -> Path:
    """The sipp binary; skips the test when it is missing or cannot replay DTMF captures."""
    try:
        binary = find_sipp()
    except ToolMissing as exc:
        pytest.skip(str(exc))
    if os.geteuid() != 0:
        pytest.skip("SIPp replays DTMF captures over a raw socket: run as root (or grant CAP_NET_RAW)")
    return binary


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def answer_invite(*, tag: str, origin: str, media_port: str) -> str:
    """SIPp steps that take an INVITE and answer it with PCMU and telephone-events on `media_port`.

    Keeps the caller, callee and contact in $caller, $callee and $target for `send_bye`.
    """
    return f"""  <recv request="INVITE" crlf="true">
    <action>
      <ereg regexp=".*" search_in="hdr" header="From:" assign_to="caller"/>
      <ereg regexp=".*" search_in="hdr" header="To:" assign_to="callee"/>
      <ereg regexp="sip:[^>;]*" search_in="hdr" header="Contact:" assign_to="target"/>
    </action>
  </recv>
  <send>
    <![CDATA[

      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]{tag}[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Contact: <sip:[local_ip]:[local_port];transport=[transport]>
      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o={origin} 1 1 IN IP[local_ip_type] [local_ip]
      s=-
      c=IN IP[media_ip_type] [media_ip]
      t=0 0
      m=audio {media_port} RTP/AVP 0 101
      a=rtpmap:0 PCMU/8000
      a=rtpmap:101 telephone-event/8000

    ]]>
  </send>
"""


def send_bye(*, tag: str) -> str:
    """SIPp steps that hang up a call `answer_invite` took (with the same tag) and await the 200."""
    return f"""  <send retrans="500">
    <![CDATA[

      BYE [$target] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From:[$callee];tag=[pid]{tag}[call_number]
      To:[$caller]
      Call-ID: [call_id]
      CSeq: 1 BYE
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
  <recv response="200"/>
"""


def scenario(name: str, *steps: str) -> str:
    head = f'<?xml version="1.0" encoding="ISO-8859-1" ?>\n<scenario name="{name}">\n'
    return head + "".join(steps) + "</scenario>\n"
