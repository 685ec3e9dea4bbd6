"""Customers the dialer calls, played by one SIPp UAS: each dialled number behaves as it is told.

`write_callee_scenario` writes a scenario whose INVITE handling branches on the last two digits of
the Request-URI's user part: each code is a `Callee` (a person or a machine who answers and speaks,
busy, no answer, a number that does not exist). One SIPp process with it answers every call of a
test, in parallel, so the dialer dials one carrier address as it would in production.

- answer: 180, `ring_ms` later 200 with PCMU, then the capture (`pcap`) plays; the callee waits for
  the switch's BYE, or hangs up itself `hangup_after_ms` after the answer.
- busy: 486 Busy Here (FreeSWITCH: USER_BUSY). unreachable: 404 (UNALLOCATED_NUMBER).
- no_answer: 180, then waits for the switch's CANCEL (its originate timeout: NO_ANSWER).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from xml.sax.saxutils import quoteattr

from sipp_scenarios import uas_steps

CalleeKind = Literal["answer", "busy", "no_answer", "unreachable"]
_WAIT_FOR_BYE_MS = 120_000


@dataclass(frozen=True)
class Callee:
    kind: CalleeKind
    pcap: Path | None = None
    ring_ms: int = 1000
    hangup_after_ms: int = 0
    """0: wait for the switch to hang up."""

    def __post_init__(self) -> None:
        if (self.kind == "answer") != (self.pcap is not None):
            raise ValueError("a callee that answers needs a capture to play; no other kind plays one")


def callee_number(prefix: str, code: int) -> str:
    """The number that reaches `code`'s callee: `prefix` then the code's two digits."""
    if not 0 <= code <= 99:
        raise ValueError(f"a callee's code is two digits, not {code}")
    return f"{prefix}{code:02d}"


def write_callee_scenario(path: Path, callees: Mapping[int, Callee]) -> Path:
    """The UAS scenario answering each code of `callees` as told; an unknown code gets 404."""
    hangs_up = any(callee.hangup_after_ms for callee in callees.values())
    # SIPp refuses a scenario with a variable set and never used: the headers only for BYEs we send.
    parts = [_HEAD.replace("HEADERS\n", uas_steps.CAPTURE_DIALOG if hangs_up else "")]
    for code in callees:
        test = f'<test assign_to="is_{code}" variable="code_n" compare="equal" value="{code}"/>'
        parts.append(
            f'  <nop><action>{test}</action></nop>\n  <nop next="callee_{code}" test="is_{code}"/>\n'
        )
    parts.append(_final("404 Not Found", "unknown"))
    for code, callee in callees.items():
        parts.append(f'  <label id="callee_{code}"/>\n')
        parts.append(_branch(code, callee))
    parts.append('  <label id="done"/>\n</scenario>\n')
    path.write_text("".join(parts), encoding="ISO-8859-1")
    return path


def _branch(code: int, callee: Callee) -> str:
    if callee.kind == "busy":
        return _final("486 Busy Here", f"busy{code}")
    if callee.kind == "unreachable":
        return _final("404 Not Found", f"unreach{code}")
    if callee.kind == "no_answer":
        return _ringing(code) + _CANCELLED
    return _answered(code, callee)


def _final(status: str, tag: str) -> str:
    return f"""  <send>
    <![CDATA[

      SIP/2.0 {status}
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]{tag}[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0

    ]]>
  </send>
  <recv request="ACK" next="done"/>
"""


def _ringing(code: int) -> str:
    return f"""  <send>
    <![CDATA[

      SIP/2.0 180 Ringing
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]callee{code}[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Contact: <sip:[local_ip]:[local_port];transport=[transport]>
      Content-Length: 0

    ]]>
  </send>
"""


_CANCELLED = (
    '  <recv request="CANCEL"/>\n'
    + uas_steps.OK
    + """  <send>
    <![CDATA[

      SIP/2.0 487 Request Terminated
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      CSeq: [last_cseq_number] INVITE
      Content-Length: 0

    ]]>
  </send>
  <recv request="ACK" next="done"/>
"""
)


def _answered(code: int, callee: Callee) -> str:
    assert callee.pcap is not None  # Callee checks it
    tag = f"callee{code}"
    play = f"  <nop><action><exec play_pcap_audio={quoteattr(str(callee.pcap))}/></action></nop>\n"
    if callee.hangup_after_ms:
        ending = f'  <recv request="BYE" timeout="{callee.hangup_after_ms}" ontimeout="bye_{code}"/>\n'
        ending += (
            uas_steps.OK + f'  <nop next="done"/>\n  <label id="bye_{code}"/>\n' + uas_steps.send_bye(tag=tag)
        )
    else:
        ending = (
            f'  <recv request="BYE" timeout="{_WAIT_FOR_BYE_MS}"/>\n'
            + uas_steps.OK
            + '  <nop next="done"/>\n'
        )
    return (
        _ringing(code)
        + f'  <pause milliseconds="{callee.ring_ms}"/>\n'
        + uas_steps.ok_with_sdp(tag=tag, origin="callee", media_port="[media_port]", retrans=True)
        + '  <recv request="ACK"/>\n'
        + play
        + ending
    )


_HEAD = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">

<!-- Written by sipp_scenarios.callee: customers the dialer calls, each number behaving as told. -->
<scenario name="callcenter callees">
  <recv request="INVITE" crlf="true">
    <action>
      <ereg regexp="^INVITE sip:[^@ ]*([0-9][0-9])@" search_in="msg" check_it="true" assign_to="uri,code"/>
HEADERS
      <log message="dialled [$uri]"/>
      <todouble assign_to="code_n" variable="code"/>
    </action>
  </recv>
"""
