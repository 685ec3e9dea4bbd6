"""SIPp steps of a phone that answers (a UAS): the 200 OK with its SDP, the 200 to a request, our BYE.

Shared by the dialer's customers (sipp_scenarios.callee) and the live tests' far ends
(tests/support/live/harness.py). The caller, the callee and the contact to send a BYE to are taken
from the INVITE into $caller, $callee and $target (`CAPTURE_DIALOG`); SIPp refuses a scenario that
sets a variable it never uses, so a scenario that never sends its own BYE leaves the capture out.
"""

from __future__ import annotations

from typing import Final

CAPTURE_DIALOG: Final = """      <ereg regexp=".*" search_in="hdr" header="From:" assign_to="caller"/>
      <ereg regexp=".*" search_in="hdr" header="To:" assign_to="callee"/>
      <ereg regexp="sip:[^>;]*" search_in="hdr" header="Contact:" assign_to="target"/>
"""

OK: Final = """  <send>
    <![CDATA[

      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0

    ]]>
  </send>
"""
"""The 200 to the request just received (a BYE, a CANCEL)."""


def ok_with_sdp(*, tag: str, origin: str, media_port: str, retrans: bool = False) -> str:
    """The 200 OK answering the INVITE with PCMU and telephone-events on `media_port` (`retrans`: resent
    every 500 ms until the ACK)."""
    send = '<send retrans="500">' if retrans else "<send>"
    return f"""  {send}
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
    """Hang up a call answered with `ok_with_sdp` (the same tag), after CAPTURE_DIALOG, and await the 200."""
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
