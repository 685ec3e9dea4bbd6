"""The ESL wire codec: bytes in, frozen frames out; commands out as bytes. No I/O.

CONTRACT (other modules are written against these names; keep them):

    parser = EslParser(max_body=16 * 1024 * 1024)
    frames: list[Frame] = parser.feed(data)      # raises ProtocolError on a bad frame
    parser.feed_eof()                            # raises ProtocolError if a frame was cut short

Frame is one of:
    AuthRequest()
    CommandReply(reply_text: str, headers: Mapping[str, str])   # includes the outbound `connect` reply
    ApiResponse(body: str)
    Event(headers: Mapping[str, str], body: str | None)           # text/event-plain and text/event-json
    DisconnectNotice(headers: Mapping[str, str], body: str)
    RudeRejection(body: str)                                       # text/rude-rejection (ACL refusal)

Encoders (all return bytes, all refuse CR/LF inside arguments with ValueError):
    connect(), auth(password), event(fmt, names), filter_(header, value), myevents(uuid=None),
    linger(seconds=None), nolinger(), api(command), bgapi(command, job_uuid=None),
    sendmsg_execute(app, arg, event_uuid, uuid=None, lock=False), sendmsg_hangup(cause, uuid=None),
    exit_()
"""

from __future__ import annotations
